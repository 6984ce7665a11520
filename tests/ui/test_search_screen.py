"""Searching as a user does, on real servers: ``/``, typing, Enter, Escape; ``l`` limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ui.helpers import current_id, opened, real_app, wait_until
from tui_mail.ui.screens import search_flow
from tui_mail.ui.widgets.search_bar import SearchBar

pytestmark = pytest.mark.integration


def subjects(screen: Any) -> list[str]:
    rows = screen.message_list.rows
    return [rows.row(i).summary.subject for i in range(len(rows))]


async def test_search_as_you_type_then_escape_returns_to_the_folder(
    imap_server: Any, tmp_path: Path
) -> None:
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        total = len(screen.message_list.rows)
        await pilot.press("j", "j")
        before = current_id(screen)
        word = subjects(screen)[0].split()[-1].strip(":,.!?").lower()
        list_size = screen.message_list.size
        await pilot.press("slash")
        await wait_until(pilot, lambda: screen.search_bar.display)
        # The bar covers the key bar's line: the list keeps its size (no relayout).
        assert screen.search_bar.region.y == screen.key_bar.region.y
        assert screen.message_list.size == list_size
        await pilot.press(*f"subject:{word}")
        await wait_until(pilot, lambda: 0 < len(screen.message_list.rows) < total)
        assert all(word in s.lower() for s in subjects(screen))
        assert "Search" in str(screen.status.render())
        await pilot.press("enter")  # server search too, merged
        await pilot.pause(1.0)
        assert all(word in s.lower() for s in subjects(screen))
        screen.query_one(SearchBar).query_one("Input").focus()
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(screen.message_list.rows) == total)
        assert not screen.search_bar.display
        assert current_id(screen) == before
        status = screen.status.render().plain
        assert "Search" not in status and f"{total} messages" in status


async def test_after_enter_escape_in_the_results_leaves_the_search(
    imap_server: Any, tmp_path: Path
) -> None:
    """Enter moves to the results; Escape there (and from the preview: once to the list,
    once more) goes back to the folder at the message the search began on."""
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        total = len(screen.message_list.rows)
        before = current_id(screen)
        word = subjects(screen)[0].split()[-1].strip(":,.!?").lower()
        for back_from_preview in (False, True):
            await pilot.press("slash", *f"subject:{word}")
            await wait_until(pilot, lambda: 0 < len(screen.message_list.rows) < total)
            await pilot.press("enter")
            await wait_until(pilot, lambda: screen.message_list.has_focus)
            if back_from_preview:
                screen.preview.focus()
                await pilot.press("escape")
                await wait_until(pilot, lambda: screen.message_list.has_focus)
                assert screen.search_bar.display  # the first Escape only leaves the preview
            await pilot.press("escape")
            await wait_until(pilot, lambda: len(screen.message_list.rows) == total)
            assert not screen.search_bar.display
            assert current_id(screen) == before
            assert "Search" not in screen.status.render().plain


async def test_a_malformed_query_says_what_is_wrong_and_keeps_the_app(
    imap_server: Any, tmp_path: Path
) -> None:
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        await pilot.press("l")
        await wait_until(pilot, lambda: screen.search_bar.display)
        await pilot.press(*"before:2024-13-45")
        await pilot.pause(0.6)
        error = str(screen.query_one(SearchBar).query_one(".search-error").render())
        assert "before" in error.lower()
        assert app.is_running


async def test_the_preview_follows_the_first_hit_once_typing_pauses(
    imap_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each keystroke repaints the list; the preview of the first hit is drawn once the
    keys pause (drawing it per keystroke doubled a keystroke's loop time)."""
    monkeypatch.setattr(search_flow, "PREVIEW_AFTER_TYPING", 2.0)  # a slow machine's pause
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        await wait_until(pilot, lambda: screen.preview.key is not None)
        first_key = screen.preview.key
        target = subjects(screen)[-1]
        word = max(target.split(), key=len).strip(":,.!?").lower()
        await pilot.press("slash")
        await wait_until(pilot, lambda: screen.search_bar.display)
        await pilot.press(*f"subject:{word}")
        await wait_until(pilot, lambda: subjects(screen) and word in subjects(screen)[0].lower())
        hit = screen.message_list.current.summary
        hit_key = (hit.account, hit.folder, hit.uid)
        assert hit_key != first_key, "pick a word the newest message does not have"
        assert screen.preview.key == first_key  # not yet: the keys have not paused
        await wait_until(pilot, lambda: screen.preview.key == hit_key)
        await wait_until(pilot, lambda: hit.subject in screen.preview.text.plain)
