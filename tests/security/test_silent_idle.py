"""An IDLE that never speaks is found out, and new mail still arrives (issue 22, item 2).

The server here is scripted (``silent_imap.py``): its IDLE sends nothing and its
sessions see nothing new until a fresh SELECT/EXAMINE, as one real server did.
The watcher must notice within ``idle_verify_after`` (STATUS disagrees, a
re-EXAMINE shows the change), announce the change, then poll; ``tui-mail check``
must say so. ``Store(pushes=True)`` is the same server with a working IDLE:
there the checks must never switch to polling.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from tests.integration.backend_helpers import FAST, EventLog
from tests.security.scripted_imap import ScriptedImapServer
from tests.security.silent_imap import Store, sample_message, serve_store
from tests.waiting import wait_until
from tui_mail.backend import (
    AppendMessage,
    MailServiceImpl,
    MessagesAdded,
    ServiceOptions,
    SyncFolder,
)
from tui_mail.backend.backoff import Backoff
from tui_mail.backend.check import run_check
from tui_mail.backend.imap.idle import IdleWatcher
from tui_mail.config import AccountConfig, Config, GeneralConfig, ServerConfig

pytestmark = pytest.mark.integration

VERIFY_AFTER = 2.0
PASSWORD_ENV = "TUI_MAIL_SILENT_IDLE_PW"


def _account(port: int, **options: object) -> AccountConfig:
    server = ServerConfig("127.0.0.1", port, "none", "u", password_env=PASSWORD_ENV)
    return AccountConfig(
        name="test", email="u@example.com", display_name="U", imap=server, smtp=None,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "pw")
    monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(tmp_path / "state"))  # the service's outbox


@contextmanager
def _watcher(
    store: Store, *, verify_after: float = VERIFY_AFTER, poll_interval: float = 1.0
) -> Iterator[tuple[IdleWatcher, list[str], ScriptedImapServer]]:
    changes: list[str] = []
    with ScriptedImapServer(serve_store(store)) as server:
        watcher = IdleWatcher(
            _account(server.port), password=lambda: "pw", on_change=changes.append,
            backoff=Backoff(0.05, 0.2), check_timeout=0.5, poll_interval=poll_interval,
            verify_after=verify_after, timeout=5,
        )
        watcher.start()
        try:
            assert watcher.watching.wait(10) and watcher.uses_idle
            yield watcher, changes, server
        finally:
            started = time.monotonic()
            watcher.stop(3)
            assert not watcher.is_alive() and time.monotonic() - started < 3.5
        assert not server.failures


def test_silent_idle_new_mail_is_announced_within_verify_after_then_polled() -> None:
    store = Store()
    with _watcher(store) as (watcher, changes, _server):
        time.sleep(0.3)  # the watcher is in IDLE now
        store.add()
        started = time.monotonic()
        assert wait_until(lambda: changes == ["INBOX"], VERIFY_AFTER + 10), changes
        print(f"\n[silent IDLE] new mail announced after {time.monotonic() - started:.2f} s")
        assert watcher.idle_silent
        assert wait_until(lambda: watcher.uses_idle is False, 5)
        idles = store.count(b"IDLE")
        store.add()  # the poll (every 1 s here) re-examines, so this one shows too
        assert wait_until(lambda: len(changes) == 2, 5), changes
        assert store.count(b"IDLE") == idles, "a watcher that polls must not IDLE again"


def test_own_change_makes_the_watcher_check_soon() -> None:
    """verify_soon() (the service calls it after our own APPEND/MOVE/DELETE) checks at once."""
    store = Store()
    with _watcher(store, verify_after=600) as (watcher, changes, _server):
        time.sleep(0.3)
        store.add()
        watcher.verify_soon()
        assert wait_until(lambda: changes == ["INBOX"], 6), changes
        assert watcher.idle_silent


def test_idle_that_pushes_is_never_switched_to_polling() -> None:
    store = Store(pushes=True)
    with _watcher(store, verify_after=0.5) as (watcher, changes, _server):
        assert wait_until(lambda: store.count(b"STATUS") >= 3, 10), "the quiet checks did not run"
        store.add()
        watcher.verify_soon()  # our own change, which IDLE reports at once
        assert wait_until(lambda: changes == ["INBOX"], 3), changes
        time.sleep(1.5)  # a few more checks
        assert not watcher.idle_silent and watcher.uses_idle
        assert changes == ["INBOX"], "a check after a reported change must not report it again"


def _service_config(port: int, **options: object) -> Config:
    return Config(Path("config.toml"), GeneralConfig(), {"test": _account(port, **options)})


@contextmanager
def _service(config: Config, tmp_path: Path, options: ServiceOptions) -> Iterator[tuple[MailServiceImpl, EventLog]]:
    log = EventLog()
    service = MailServiceImpl(config, log, cache_dir=tmp_path / "cache", options=options)
    service.start()
    try:
        yield service, log
    finally:
        service.stop(5)


def _arrived(log: EventLog, subject: str) -> bool:
    return any(s.subject == subject for e in log.of(MessagesAdded) for s in e.summaries)


def test_service_shows_new_mail_from_a_silent_idle_server(tmp_path: Path) -> None:
    """The account's idle_verify_after reaches the watcher; the change becomes a sync."""
    store = Store()
    options = replace(FAST, idle_liveness_after=600.0, poll_interval=None, idle_verify_after=None)
    with ScriptedImapServer(serve_store(store)) as server, _service(
        _service_config(server.port, idle_verify_after=VERIFY_AFTER, poll_interval=1.0), tmp_path, options
    ) as (service, log):
        service.submit(SyncFolder("test", "INBOX")).result(20)
        watcher = service.watchers["test"]
        assert wait_until(lambda: watcher.watching.is_set() and bool(watcher.uses_idle), 10)
        assert watcher.verify_after == VERIFY_AFTER and watcher.poll_interval == 1.0
        store.add(raw=sample_message(3, "arrived"))
        started = time.monotonic()
        assert log.wait_for(lambda: _arrived(log, "arrived 3"), VERIFY_AFTER + 10)
        print(f"\n[silent IDLE, service] new mail shown after {time.monotonic() - started:.2f} s")
        assert watcher.idle_silent
        assert not server.failures


def test_service_checks_idle_after_its_own_append_to_inbox(tmp_path: Path) -> None:
    store = Store()
    options = replace(FAST, idle_liveness_after=600.0, poll_interval=None, idle_verify_after=None)
    with ScriptedImapServer(serve_store(store)) as server, _service(
        _service_config(server.port, idle_verify_after=600.0), tmp_path, options
    ) as (service, log):
        service.submit(SyncFolder("test", "INBOX")).result(20)
        watcher = service.watchers["test"]
        assert wait_until(lambda: watcher.watching.is_set() and bool(watcher.uses_idle), 10)
        service.submit(AppendMessage("test", "INBOX", sample_message(3, "own"))).result(10)
        assert log.wait_for(lambda: _arrived(log, "own 3"), 8)
        assert watcher.idle_silent


def test_idle_poll_in_the_config_polls_from_the_start(tmp_path: Path) -> None:
    store = Store()
    options = replace(FAST, poll_interval=None, idle_verify_after=None)
    with ScriptedImapServer(serve_store(store)) as server, _service(
        _service_config(server.port, idle="poll", poll_interval=1.0), tmp_path, options
    ) as (service, log):
        service.submit(SyncFolder("test", "INBOX")).result(20)  # the watcher waits for a login
        watcher = service.watchers["test"]
        assert wait_until(lambda: watcher.watching.is_set(), 10)
        assert watcher.uses_idle is False and store.count(b"IDLE") == 0
        store.add(raw=sample_message(3, "polled"))
        assert log.wait_for(lambda: _arrived(log, "polled 3"), 8)


# --- tui-mail check ------------------------------------------------------------------------


def _check(store: Store, **options: object) -> tuple[int, str, float]:
    out = io.StringIO()
    with ScriptedImapServer(serve_store(store)) as server:
        started = time.monotonic()
        code = run_check(_service_config(server.port, **options), None, out)
        took = time.monotonic() - started
        assert not server.failures
    return code, out.getvalue(), took


def test_check_says_a_silent_idle_server_is_polled() -> None:
    store = Store()
    code, report, took = _check(store, poll_interval=45.0)
    assert code == 0, report
    assert "IDLE does not report new mail: polling every 45 s" in report
    assert took < 10, f"check took {took:.1f} s"
    assert list(store.folders) == [b"INBOX"], "the scratch folder was left behind"


def test_check_says_a_pushing_idle_reports() -> None:
    store = Store(pushes=True)
    code, report, _took = _check(store)
    assert code == 0, report
    assert "IDLE: reports new mail" in report
    assert "does not report" not in report
    assert list(store.folders) == [b"INBOX"]


def test_check_with_idle_poll_in_the_config_does_not_probe() -> None:
    store = Store()
    code, report, _took = _check(store, idle="poll", poll_interval=30.0)
    assert code == 0, report
    assert "polling every 30 s" in report
    assert store.count(b"IDLE") == 0 and store.count(b"CREATE") == 0
