"""The compose screen: focus order, Bcc, send, close choices, autosave, editor, attachments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Button, Input, Select, Static, TextArea

from tui_mail.models import Address, Draft
from tui_mail.ui.editor import EditorError, edit_text_with, editor_command
from tui_mail.ui.screens.compose import ComposeResult, ComposeScreen
from tui_mail.ui.screens.dialogs import ConfirmScreen
from tui_mail.ui.widgets.address_input import (
    format_addresses,
    invalid_addresses,
    parse_addresses,
    split_last,
)
from tui_mail.ui.widgets.attachment_panel import AttachmentPanel, complete_path

ME = Address("Me", "me@example.org")


class _Host(App[None]):
    """A bare app the compose screen is pushed onto."""


class _RecordingEditor:
    """A BodyEditor for tests: appends a line, as a user would in vi (App.suspend cannot run here)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def edit(self, app: App[Any], text: str) -> str | None:
        self.seen.append(text)
        return text + "edited outside\n"


async def _open(pilot: Any, screen: ComposeScreen) -> list[ComposeResult]:
    results: list[ComposeResult] = []
    pilot.app.push_screen(screen, results.append)
    await pilot.pause()
    return results


def _focused_id(app: App[None]) -> str | None:
    return app.focused.id if app.focused is not None else None


async def test_new_message_focus_order_and_bcc_toggle() -> None:
    app = _Host()
    async with app.run_test(size=(100, 40)) as pilot:
        await _open(pilot, ComposeScreen(Draft(account="a", from_=ME)))
        assert _focused_id(app) == "compose-to"
        order = []
        for _ in range(3):
            await pilot.press("tab")
            order.append(_focused_id(app))
        assert order == ["compose-cc", "compose-subject", "compose-body"]
        await pilot.press("ctrl+b")
        assert _focused_id(app) == "compose-bcc"
        await pilot.press("shift+tab")
        assert _focused_id(app) == "compose-cc"
        await pilot.press("tab", "tab")
        assert _focused_id(app) == "compose-subject"
        await pilot.press("ctrl+b")  # hidden again: out of the tab order
        app.screen.query_one("#compose-cc", Input).focus()
        await pilot.press("tab")
        assert _focused_id(app) == "compose-subject"
        await pilot.press("ctrl+b", "ctrl+b")  # hiding Bcc while in it moves to Cc
        assert _focused_id(app) == "compose-cc"


async def test_ctrl_s_dismisses_with_the_typed_draft() -> None:
    app = _Host()
    saved: list[Draft] = []
    async with app.run_test(size=(100, 40)) as pilot:
        results = await _open(
            pilot, ComposeScreen(Draft(account="a", from_=ME), on_autosave=saved.append)
        )
        screen = app.screen
        screen.query_one("#compose-to", Input).value = '"Doe, Jane" <jane@example.org>, '
        await pilot.press("end", *"b@x.io", "tab", *"c@x.io", "tab")
        screen.query_one("#compose-subject", Input).value = "Hello [b]there[/b]"
        await pilot.press("tab", *"Hi", "ctrl+s")
        await pilot.pause()
        assert len(results) == 1 and results[0].action == "send"
        draft = results[0].draft
        assert draft.to == [Address("Doe, Jane", "jane@example.org"), Address("", "b@x.io")]
        assert draft.cc == [Address("", "c@x.io")]
        assert draft.subject == "Hello [b]there[/b]"
        assert draft.body == "Hi"
        assert saved and saved[-1] == draft  # saved before handing over for sending


async def test_send_without_recipient_or_with_bad_address_stays() -> None:
    app = _Host()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ComposeScreen(Draft(account="a", from_=ME, subject="s", body="b"))
        results = await _open(pilot, screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert results == [] and app.screen is screen
        await pilot.press(*"not-an-address", "ctrl+s")
        await pilot.pause()
        assert results == [] and app.screen is screen


async def test_presend_warnings_ask_before_sending() -> None:
    app = _Host()
    async with app.run_test(size=(100, 40)) as pilot:
        draft = Draft(account="a", from_=ME, to=[Address("", "x@y.org")], body="See attached file")
        results = await _open(pilot, ComposeScreen(draft))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        message = str(app.screen.query_one("#confirm-message", Static).content)
        assert "subject is empty" in message and "attachment" in message
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert results == []
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert [r.action for r in results] == ["send"]


async def test_escape_offers_save_discard_keep() -> None:
    app = _Host()
    saved: list[Draft] = []
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ComposeScreen(Draft(account="a", from_=ME), on_autosave=saved.append)
        results = await _open(pilot, screen)
        await pilot.press(*"a@b.org", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        labels = [str(b.label) for b in app.screen.query(Button)]
        assert [label.split(" (")[0] for label in labels] == [
            "Save draft",
            "Discard",
            "Keep editing",
        ]
        await pilot.press("k")
        await pilot.pause()
        assert app.screen is screen and results == []
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert [r.action for r in results] == ["save"]
        assert saved[-1].to == [Address("", "a@b.org")]


async def test_escape_discard_does_not_save() -> None:
    app = _Host()
    saved: list[Draft] = []
    async with app.run_test(size=(100, 40)) as pilot:
        results = await _open(
            pilot, ComposeScreen(Draft(account="a", from_=ME), on_autosave=saved.append)
        )
        await pilot.press(*"typed", "escape")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert [r.action for r in results] == ["discard"] and saved == []


async def test_autosave_only_when_changed() -> None:
    app = _Host()
    saved: list[Draft] = []
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ComposeScreen(
            Draft(account="a", from_=ME), on_autosave=saved.append, autosave_seconds=0.05
        )
        await _open(pilot, screen)
        await pilot.pause(0.2)
        assert saved == []  # nothing changed yet
        screen.query_one("#compose-to", Input).value = "x@y.org"
        await pilot.pause(0.3)
        assert len(saved) == 1 and saved[0].to == [Address("", "x@y.org")]
        assert screen.autosave() is False  # no change since
        await pilot.press("tab", *"Hi")
        await pilot.pause(0.3)
        assert saved[-1].cc == [Address("", "Hi")]


async def test_reply_opens_in_body_above_the_quote() -> None:
    app = _Host()
    async with app.run_test(size=(100, 40)) as pilot:
        draft = Draft(
            account="a",
            from_=ME,
            to=[Address("Al", "al@x.org")],
            subject="Re: hi",
            body="\n\nOn Monday Al wrote:\n> hi\x1b[31m\u202e\n",
            reply_kind="reply",
        )
        results = await _open(pilot, ComposeScreen(draft))
        body = app.screen.query_one("#compose-body", TextArea)
        assert app.focused is body and body.cursor_location == (0, 0)
        await pilot.press(*"Thanks", "ctrl+s")
        await pilot.pause()
        assert results[0].draft.body.startswith("Thanks\n\nOn Monday Al wrote:\n> hi")
        assert "\x1b" not in results[0].draft.body and "\u202e" not in results[0].draft.body


async def test_ctrl_e_uses_the_editor_interface() -> None:
    app = _Host()
    editor = _RecordingEditor()
    async with app.run_test(size=(100, 40)) as pilot:
        await _open(
            pilot, ComposeScreen(Draft(account="a", from_=ME, body="draft\n"), editor=editor)
        )
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert editor.seen == ["draft\n"]
        assert app.screen.query_one("#compose-body", TextArea).text == "draft\nedited outside\n"


async def test_identities_select_and_ctrl_o_attach(tmp_path: Path) -> None:
    other = Address("Work", "me@work.org")
    file = tmp_path / "notes.txt"
    file.write_text("x")
    app = _Host()
    async with app.run_test(size=(100, 40)) as pilot:
        draft = Draft(account="a", from_=ME, to=[Address("", "t@x.org")], subject="s")
        results = await _open(pilot, ComposeScreen(draft, identities=[ME, other]))
        app.screen.query_one("#compose-from", Select).value = 1
        await pilot.press("ctrl+o")
        assert _focused_id(app) == "attach-path"
        app.screen.query_one("#attach-path", Input).value = str(tmp_path / "missing.txt")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one(AttachmentPanel).paths == []
        app.screen.query_one("#attach-path", Input).value = str(file)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one(AttachmentPanel).paths == [str(file.resolve())]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert results[0].draft.from_ == other
        assert results[0].draft.attachments == [str(file.resolve())]


async def test_address_suggestions_complete_and_list() -> None:
    app = _Host()
    book = ["Alice Smith <alice@example.org>", "Bob <bob@example.org>", "Malice <m@evil.org>"]

    def lookup(typed: str) -> list[str]:
        return [entry for entry in book if typed.lower() in entry.lower()]

    async with app.run_test(size=(100, 40)) as pilot:
        results = await _open(
            pilot,
            ComposeScreen(Draft(account="a", from_=ME, subject="s"), address_suggestions=lookup),
        )
        await pilot.press(*"bob@example.org, ali")
        await pilot.pause(0.3)
        hints = str(app.screen.query_one("#address-hints", Static).content)
        assert "Alice Smith <alice@example.org>" in hints
        await pilot.press("right")  # accept the ghost completion
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert results[0].draft.to == [
            Address("", "bob@example.org"),
            Address("Alice Smith", "alice@example.org"),
        ]


def test_address_parsing_round_trip() -> None:
    addresses = [
        Address("Doe, Jane", "j@d.org"),
        Address('Say "hi"', "h@d.org"),
        Address("", "x@y"),
    ]
    assert parse_addresses(format_addresses(addresses)) == addresses
    assert parse_addresses("  ") == []
    assert invalid_addresses(parse_addresses("bob, a@b.org")) == ["bob"]
    assert split_last("a@b.org,  jo") == ("a@b.org,  ", "jo")


def test_complete_path(tmp_path: Path) -> None:
    (tmp_path / "report-2024.pdf").write_text("x")
    (tmp_path / "photos").mkdir()
    assert complete_path(str(tmp_path / "rep")) == str(tmp_path / "report-2024.pdf")
    assert complete_path(str(tmp_path / "ph")) == str(tmp_path / "photos") + "/"
    assert complete_path(str(tmp_path / "zz")) is None


def test_edit_text_with_a_real_command(tmp_path: Path) -> None:
    """ExternalEditor's file round trip, with sed standing in for a human in vi."""
    assert edit_text_with(["sed", "-i", "s/old/new/"], "old text\n") == "new text\n"
    with pytest.raises(EditorError):
        edit_text_with(["false"], "x")
    with pytest.raises(EditorError):
        edit_text_with([str(tmp_path / "no-such-editor")], "x")
    assert editor_command({"VISUAL": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert editor_command({"EDITOR": "nano"}) == ["nano"]
    assert editor_command({}) == ["vi"]
