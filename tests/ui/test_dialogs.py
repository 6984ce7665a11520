"""Dialogs: confirm, error, password, folder picker, save attachments (Pilot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widgets import Checkbox, Input, OptionList, Static

from tui_mail.models import Attachment
from tui_mail.ui.fuzzy import fuzzy_filter
from tui_mail.ui.screens.dialogs import SAVE_DISCARD_KEEP, ConfirmScreen, ErrorScreen
from tui_mail.ui.screens.folder_picker import FolderPickerScreen
from tui_mail.ui.screens.password import PasswordScreen
from tui_mail.ui.screens.save_attachments import SaveAttachmentsScreen, SaveRequest


class _Host(App[None]):
    """A bare app the dialogs are pushed onto."""


async def _open(app: App[None], pilot: Any, screen: Screen[Any]) -> list[Any]:
    results: list[Any] = []
    app.push_screen(screen, results.append)
    await pilot.pause()
    return results


def _plain(screen: Screen[Any], selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


async def test_confirm_offers_every_choice_and_keys_pick_them() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        results = await _open(app, pilot, ConfirmScreen("Close?", SAVE_DISCARD_KEEP))
        await pilot.press("d")
        results2 = await _open(
            app, pilot, ConfirmScreen("Close?", SAVE_DISCARD_KEEP, escape_value="keep")
        )
        await pilot.press("escape")
        results3 = await _open(app, pilot, ConfirmScreen("Really?"))
        await pilot.press("enter")  # the first choice has focus
        await pilot.pause()
        assert (results, results2, results3) == (["discard"], ["keep"], ["yes"])


async def test_confirm_and_error_show_markup_and_escapes_literally() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        hostile = "[@click=app.quit]boom[/] \x1b]52;c;Zm9v\x07end"
        screen = ConfirmScreen(hostile)
        await _open(app, pilot, screen)
        shown = _plain(screen, "#confirm-message")
        assert shown == "[@click=app.quit]boom[/] end"
        await pilot.click("#confirm-message")
        await pilot.press("escape")
        error = ErrorScreen("Sync failed: [b]x[/b]", "Traceback (most recent call last):\x1b[31m")
        closed = await _open(app, pilot, error)
        assert _plain(error, "#error-summary") == "Sync failed: [b]x[/b]"
        assert app.is_running
        await pilot.press("escape")
        await pilot.pause()
        assert closed == [None]


async def test_password_prompt_masks_and_dismisses_with_remember() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        screen = PasswordScreen("work", server_message="[AUTHENTICATIONFAILED] bad\x1b[2J")
        results = await _open(app, pilot, screen)
        password_input = screen.query_one("#password-input", Input)
        assert password_input.password is True
        assert "\x1b" not in _plain(screen, "#password-refused")
        assert "[AUTHENTICATIONFAILED]" in _plain(screen, "#password-refused")
        await pilot.press("enter")  # empty: refused, stays open
        await pilot.pause()
        assert results == [] and "Type a password" in _plain(screen, "#password-empty")
        await pilot.press(*"s3cret")
        screen.query_one("#password-remember", Checkbox).value = True
        await pilot.press("enter")
        await pilot.pause()
        assert results == [("s3cret", True)]


async def test_password_prompt_without_keyring_disables_remember() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        screen = PasswordScreen("home", keyring_available=False)
        results = await _open(app, pilot, screen)
        assert screen.query_one("#password-remember", Checkbox).disabled
        assert "password_command" in _plain(screen, "#password-hint")
        await pilot.press("x", "enter")
        await pilot.press("escape")
        await pilot.pause()
        assert results == [("x", False)]
        results = await _open(app, pilot, PasswordScreen("home"))
        await pilot.press("escape")
        await pilot.pause()
        assert results == [None]


def test_fuzzy_filter_orders_subsequence_matches_best_first() -> None:
    folders = ["INBOX", "Archive/2023", "Lists/python-dev", "Trash", "Sent", "Archive"]
    assert fuzzy_filter("", folders) == folders
    assert fuzzy_filter("arch", folders)[0] == "Archive"
    assert set(fuzzy_filter("arch", folders)) == {"Archive", "Archive/2023"}
    assert fuzzy_filter("lpy", folders) == ["Lists/python-dev"]
    assert fuzzy_filter("zzz", folders) == []


async def test_folder_picker_filters_as_you_type_and_picks() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        folders = ["INBOX", "Archive", "Lists/python-dev", "Lists/rust", "Trash"]
        screen = FolderPickerScreen(folders, title="Move to", exclude=["INBOX"])
        results = await _open(app, pilot, screen)
        assert screen.query_one(OptionList).option_count == 4
        await pilot.press(*"lst")
        await pilot.pause()
        assert set(screen.matches) == {"Lists/rust", "Lists/python-dev"}
        assert screen.query_one(OptionList).option_count == 2
        second = screen.matches[1]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert results == [second]


async def test_folder_picker_escape_and_no_match() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        screen = FolderPickerScreen(["INBOX", "Sent"])
        results = await _open(app, pilot, screen)
        await pilot.press(*"qqq", "enter")
        await pilot.pause()
        assert results == [] and "No folder" in _plain(screen, "#picker-none")
        await pilot.press("escape")
        await pilot.pause()
        assert results == [None]


async def test_save_attachments_returns_directory_and_ticked_indexes(tmp_path: Path) -> None:
    app = _Host()
    attachments = [
        Attachment(index=0, filename="../../evil.sh", content_type="text/x-sh", size=10),
        Attachment(index=3, filename="photo.jpg", content_type="image/jpeg", size=2048),
    ]
    async with app.run_test() as pilot:
        screen = SaveAttachmentsScreen(attachments, directory=str(tmp_path))
        results = await _open(app, pilot, screen)
        first = screen.query_one("#save-item-0", Checkbox)
        assert "evil.sh" in str(first.label) and ".." not in str(first.label)
        first.value = False
        await pilot.press("enter")
        await pilot.pause()
        assert results == [SaveRequest(tmp_path, [3])]


async def test_save_attachments_needs_a_choice_and_escape_cancels() -> None:
    app = _Host()
    attachments = [Attachment(index=0, filename="a.txt", content_type="text/plain", size=1)]
    async with app.run_test() as pilot:
        screen = SaveAttachmentsScreen(attachments)
        results = await _open(app, pilot, screen)
        assert screen.query_one("#save-directory", Input).value == "~/Downloads"
        screen.query_one("#save-item-0", Checkbox).value = False
        await pilot.press("enter")
        await pilot.pause()
        assert results == [] and "Tick" in _plain(screen, "#save-note")
        await pilot.press("escape")
        await pilot.pause()
        assert results == [None]
