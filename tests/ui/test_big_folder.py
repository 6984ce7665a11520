"""A 100,000-message folder on real Dovecot never freezes the UI (issue #4).

The folder is written straight into the Maildir (APPEND would take minutes), the
app opens it cold (empty cache, the sync fetching every envelope in batches),
then the user jumps to the end (``G``) and back (``g``). A 50 ms interval timer
on the app's loop records its largest gap all along.

While the probe runs, the test waits with ``asyncio.sleep`` rather than
``pilot.pause``: each ``pilot.pause`` walks every widget and forces a full
screen render from the test's own task (measured 40-130 ms per call at this
size), which is load of the test harness, not of the app being measured.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import dovecot_user, write_maildir_folder
from tests.ui.helpers import LagProbe, real_app, settle, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIZE = 100_000


async def sleep_until(predicate: Callable[[], Any], timeout: float = 15.0) -> None:
    """Let the app run until ``predicate()`` holds, without driving the app from the test."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_opening_and_scrolling_100000_messages_keeps_the_loop_free(
    dovecot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    account = dovecot_user(dovecot, monkeypatch)
    write_maildir_folder(dovecot, account.username, "Big", SIZE)
    app = real_app(account, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.main_screen is not None)
        screen = app.main_screen
        await settle(pilot, app)
        gc.collect()
        probe = LagProbe(app)
        started = time.monotonic()
        screen.open_folder("test", "Big")
        await sleep_until(lambda: len(screen.message_list.rows) > 0, timeout=60)
        first_rows = time.monotonic() - started
        await sleep_until(lambda: len(screen.message_list.rows) == SIZE, timeout=600)
        all_rows = time.monotonic() - started
        await asyncio.sleep(1.0)  # the last refreshes after the sync
        opening_gap = probe.largest
        newest = screen.message_list.current.summary.uid
        await pilot.press("G")
        await sleep_until(lambda: screen.message_list.current.summary.uid == 1)
        await asyncio.sleep(0.5)
        await pilot.press("g")
        await sleep_until(lambda: screen.message_list.current.summary.uid == newest == SIZE)
        await asyncio.sleep(0.5)
        probe.stop()
    print(
        f"\n100,000 on Dovecot: first rows after {first_rows:.2f} s, all after {all_rows:.1f} s; "
        f"largest loop gap while opening {opening_gap * 1000:.0f} ms, overall {probe.largest * 1000:.0f} ms"
    )
    # Issue #4: no gap over 100 ms. Measured 65-67 ms on a quiet machine (GIL switch
    # interval 1 ms, see app.py); 90-111 ms before with Textual's Pilot driving waits.
    assert probe.largest < 0.1
