"""Keys typed ahead land in order, each in the widget focused when it is handled (#21 item 5).

A terminal delivers a burst (a paste then Tab, ``tmux send-keys``, keys over
ssh) as one read: the driver posts every key to the app at once. ``burst``
does the same; ``pilot.press`` would wait for the app to go idle after each
key and hide the bug.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input, TextArea

from tests.ui.helpers import settle, wait_until
from tests.ui.service_double import CacheBackedService, make_summary
from tui_mail.ui.screens.compose import ComposeScreen
from tui_mail.ui.widgets.preview import MessagePreview


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Drafts autosaved by these tests stay in the test's folder (not the user's)."""
    monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(tmp_path / "state"))


NAMED = {"tab": "\t", "enter": "\r", "escape": "\x1b"}


def burst(app: Any, *parts: str) -> None:
    """Post keys as the terminal driver does for one read: all of them, no pause between.

    A part named in ``NAMED`` is one key; any other part is typed character by character.
    """
    for part in parts:
        if part in NAMED:
            app.post_message(events.Key(part, NAMED[part]))
            continue
        for char in part:
            key = char if char.isalnum() else _character_to_key(char)
            app.post_message(events.Key(key, char))


def ten_messages(double: CacheBackedService) -> None:
    double.add("INBOX", [make_summary(uid, subject=f"Message {uid}") for uid in range(1, 11)])


def fields(app: Any) -> tuple[str, str, str]:
    screen = app.screen
    assert isinstance(screen, ComposeScreen)
    return (
        screen.query_one("#compose-to", Input).value,
        screen.query_one("#compose-subject", Input).value,
        screen.query_one("#compose-body", TextArea).text,
    )


async def test_a_burst_in_compose_fills_to_subject_and_body(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(ten_messages)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.focused, Input))
        burst(app, "bob@example.org", "tab", "tab", "Hello there", "tab", "the body")
        await wait_until(pilot, lambda: fields(app)[2] == "the body", timeout=5)
        assert fields(app) == ("bob@example.org", "Hello there", "the body")


async def test_keys_typed_with_the_compose_key_wait_for_the_compose_screen(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(ten_messages)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        cursor = app.main_screen.message_list.cursor
        burst(app, "c", "ann@example.org", "tab", "tab", "Hi", "tab", "jjj")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen), timeout=5)
        await wait_until(pilot, lambda: fields(app)[2] == "jjj", timeout=5)
        assert fields(app) == ("ann@example.org", "Hi", "jjj")
        assert app.main_screen.message_list.cursor == cursor, "no key leaked into the list"


async def test_keys_typed_while_the_list_loads_move_and_open_as_meant(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(ten_messages)
    async with app.run_test(size=(120, 40)) as pilot:
        # Straight after start: the service is starting, the list has no rows yet.
        burst(app, "j", "j", "enter")
        screen = app.main_screen
        await wait_until(pilot, lambda: isinstance(app.focused, MessagePreview), timeout=5)
        await settle(pilot, app)
        assert screen.message_list.cursor == 2
        assert screen.message_list.current.summary.uid == 8
        assert screen.preview.key == ("test", "INBOX", 8)


async def test_a_burst_on_the_main_screen_is_handled_in_order(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(ten_messages)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        screen = app.main_screen
        # Enter moves the focus to the preview, where j moves to the next message too (issue 18).
        burst(app, "j", "j", "j", "enter", "j", "j", "escape", "j")
        await wait_until(pilot, lambda: screen.message_list.cursor == 6, timeout=5)
        await settle(pilot, app)
        assert screen.message_list.cursor == 6
        assert app.focused is screen.message_list
