"""The help screen is generated from the keymap registry, remapped keys included."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Static

from tui_mail.ui.keymap import SCOPE_TITLES, help_rows
from tui_mail.ui.screens.help import HelpScreen, help_text


class _Host(App[None]):
    """A bare app that opens nothing by itself."""


def test_help_text_groups_rows_by_scope_with_titles() -> None:
    text = help_text(help_rows({})).plain
    assert SCOPE_TITLES["app"] in text and SCOPE_TITLES["tree"] in text
    assert text.index(SCOPE_TITLES["app"]) < text.index(SCOPE_TITLES["list"])
    assert "Quit" in text


async def test_help_lists_a_remapped_key_and_closes_on_escape() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        screen = HelpScreen(help_rows({"mail.delete": "ctrl+x", "app.quit": "Q"}))
        closed: list[object] = []
        app.push_screen(screen, closed.append)
        await pilot.pause()
        shown = str(screen.query_one("#help-text", Static).content)
        delete_line = next(line for line in shown.splitlines() if "Delete" in line)
        assert "ctrl+x" in delete_line.lower()
        quit_line = next(line for line in shown.splitlines() if line.strip().endswith("Quit"))
        assert quit_line.split()[0] == "Q"
        await pilot.press("escape")
        await pilot.pause()
        assert closed == [None]
        assert app.screen is not screen


async def test_q_and_question_mark_close_help() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        for key in ("q", "question_mark"):
            screen = HelpScreen(help_rows({}))
            app.push_screen(screen)
            await pilot.pause()
            assert app.screen is screen
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is not screen
