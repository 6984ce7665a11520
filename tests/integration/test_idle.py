"""New mail pushed through IDLE reaches the cache and the UI with no user action."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import (
    FAST,
    account_config,
    kill_dovecot_sessions,
    make_message,
    other_client,
    running_service,
)
from tui_mail.backend import MessagesAdded, SyncFolder
from tui_mail.backend.imap.idle import IdleWatcher, is_change

pytestmark = pytest.mark.integration


def _arrived(log: Any, subject: str) -> bool:
    return any(s.subject == subject for e in log.of(MessagesAdded) for s in e.summaries)


def _watching(service: Any) -> bool:
    watcher: IdleWatcher = service.watchers["test"]
    return watcher.watching.is_set()


def test_appended_message_arrives_through_idle_within_10_seconds(
    imap_server: Any, tmp_path: Path
) -> None:
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, log):
        service.submit(SyncFolder("test", "INBOX")).result(30)  # the app opens INBOX
        assert log.wait_for(lambda: _watching(service), 10)
        assert service.watchers["test"].uses_idle
        client = other_client(imap_server)
        client.append("INBOX", make_message(1, "pushed"))
        client.logout()
        started = time.monotonic()
        assert log.wait_for(lambda: _arrived(log, "pushed 1"), 10), "no MessagesAdded within 10 s"
        print(f"\n[{imap_server.kind}] IDLE delivery took {time.monotonic() - started:.2f} s")


def test_idle_reconnects_after_the_server_restarts(
    dovecot: Any, imap_server: Any, tmp_path: Path
) -> None:
    if imap_server.kind != "dovecot":
        pytest.skip("restarting needs the session Dovecot")
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path, replace(FAST, idle_check_timeout=0.5)) as (service, log):
        service.submit(SyncFolder("test", "INBOX")).result(30)
        assert log.wait_for(lambda: _watching(service), 10)
        dovecot.stop()
        kill_dovecot_sessions(dovecot)
        try:
            assert log.wait_for(lambda: not _watching(service), 10)
        finally:
            dovecot.start()
        assert log.wait_for(lambda: _watching(service), 15)
        client = other_client(imap_server)
        client.append("INBOX", make_message(2, "after restart"))
        client.logout()
        assert log.wait_for(lambda: _arrived(log, "after restart 2"), 15)


def test_change_detection_on_untagged_responses() -> None:
    assert is_change((3, b"EXISTS"))
    assert is_change((2, b"EXPUNGE"))
    assert is_change((5, b"FETCH", (b"FLAGS", (b"\\Seen",))))
    assert not is_change((b"OK", b"Still here"))
    assert not is_change((1, b"RECENT"))
    assert not is_change(b"garbage")


def test_polling_fallback_reports_changes(imap_server: Any, tmp_path: Path) -> None:
    """Without IDLE (forced here: both test servers offer it) NOOP polling sees new mail."""
    config = account_config(imap_server, tmp_path)
    changes: list[str] = []
    watcher = IdleWatcher(
        config.accounts["test"],
        password=lambda: imap_server.password,
        on_change=changes.append,
        poll_interval=0.3,
        use_idle=False,
    )
    watcher.start()
    try:
        assert watcher.watching.wait(10) and watcher.uses_idle is False
        client = other_client(imap_server)
        client.append("INBOX", make_message(3, "polled"))
        client.logout()
        deadline = time.monotonic() + 10
        while not changes and time.monotonic() < deadline:
            time.sleep(0.05)
        assert changes and set(changes) == {"INBOX"}
    finally:
        started = time.monotonic()
        watcher.stop(2.0)
        assert not watcher.is_alive() and time.monotonic() - started < 2.5
