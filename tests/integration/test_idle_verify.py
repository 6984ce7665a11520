"""The IDLE checks of issue 22 on real servers: Dovecot and pymap push, so they stay on IDLE.

The silent server the checks are for is scripted in
``tests/security/test_silent_idle.py``; here the point is that checking never
mistakes a working IDLE for a silent one, and that push stays fast.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import account_config, make_message, other_client
from tests.waiting import wait_until
from tui_mail.backend.check import run_check
from tui_mail.backend.imap.idle import IdleWatcher

pytestmark = pytest.mark.integration


def _watcher(imap_server: Any, tmp_path: Path, changes: list[str], verify_after: float) -> IdleWatcher:
    config = account_config(imap_server, tmp_path)
    watcher = IdleWatcher(
        config.accounts["test"],
        password=lambda: imap_server.password,
        on_change=changes.append,
        check_timeout=0.5,
        verify_after=verify_after,
        timeout=10,
    )
    watcher.start()
    assert watcher.watching.wait(10) and watcher.uses_idle
    return watcher


def test_quiet_checks_keep_a_pushing_idle(imap_server: Any, tmp_path: Path) -> None:
    changes: list[str] = []
    watcher = _watcher(imap_server, tmp_path, changes, verify_after=0.7)
    try:
        time.sleep(2.5)  # several quiet checks (DONE, STATUS, IDLE again)
        assert not changes and not watcher.idle_silent
        client = other_client(imap_server)
        client.append("INBOX", make_message(1, "after checks"))
        client.logout()
        started = time.monotonic()
        assert wait_until(lambda: bool(changes), 5), "IDLE did not report the new message"
        took = time.monotonic() - started
        print(f"\n[{imap_server.kind}] IDLE push with quiet checks: {took:.2f} s")
        assert took < 2.0
        time.sleep(1.5)
        assert not watcher.idle_silent and watcher.uses_idle
    finally:
        watcher.stop(2.0)
    assert not watcher.is_alive()


def test_a_check_right_after_our_own_change_does_not_switch_to_polling(
    imap_server: Any, tmp_path: Path
) -> None:
    """Checking at once after an APPEND races the push; NOOP settles it, not EXAMINE."""
    changes: list[str] = []
    watcher = _watcher(imap_server, tmp_path, changes, verify_after=600)
    try:
        for index in range(3):
            client = other_client(imap_server)
            client.append("INBOX", make_message(10 + index, "own"))
            client.logout()
            watcher.verify_soon()
            assert wait_until(lambda n=index: len(changes) > n, 8), changes
            time.sleep(1.0)
        assert not watcher.idle_silent and watcher.uses_idle
    finally:
        watcher.stop(2.0)


def test_check_says_idle_reports_new_mail(imap_server: Any, tmp_path: Path) -> None:
    out = io.StringIO()
    started = time.monotonic()
    assert run_check(account_config(imap_server, tmp_path), None, out) == 0, out.getvalue()
    took = time.monotonic() - started
    report = out.getvalue()
    assert "IDLE: reports new mail" in report, report
    assert took < 15, f"check took {took:.1f} s"
    client = other_client(imap_server)
    try:
        names = [name for _flags, _delimiter, name in client.list_folders()]
    finally:
        client.logout()
    assert not [n for n in names if "tui-mail-check" in n], names
