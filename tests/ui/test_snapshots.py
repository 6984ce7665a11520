"""SVG snapshots of the reader (baselines in ``screenshots/test_snapshots/``).

Deterministic: the test double holds seeded mail, the list's clock is fixed
(``NOW``), and every run waits until workers are done. Update the baselines
with ``pytest tests/ui/test_snapshots.py --snapshot-update`` and look at them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui.helpers import seeded, settle, threaded
from tui_mail.backend.api import AccountState, AccountStateChanged
from tui_mail.ui.bridge import BackendMessage


async def ready(pilot: Any) -> None:
    await settle(pilot, pilot.app)
    pilot.app.clear_notifications()
    await pilot.pause()


def test_main_view(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    assert snap_compare(app_factory(seeded), terminal_size=(160, 45), run_before=ready)


def test_main_view_small_terminal(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    assert snap_compare(app_factory(seeded), terminal_size=(80, 24), run_before=ready)


def test_threaded_view(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("T")
        await ready(pilot)

    assert snap_compare(app_factory(threaded), terminal_size=(160, 45), run_before=run_before)


def test_message_with_attachment(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("enter")
        await ready(pilot)

    assert snap_compare(app_factory(seeded), terminal_size=(160, 45), run_before=run_before)


def test_help_screen(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app_factory(seeded), terminal_size=(160, 45), run_before=run_before)


def test_offline_error_state(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await ready(pilot)
        event = AccountStateChanged(
            "test", AccountState.OFFLINE, "Connection refused by 127.0.0.1:1143"
        )
        pilot.app.post_message(BackendMessage(event))
        await pilot.pause(0.2)

    assert snap_compare(app_factory(seeded), terminal_size=(160, 45), run_before=run_before)
