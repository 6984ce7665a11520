"""AccountWorker: outages, reconnects, auth failures, cancellation and bounded stop."""

from __future__ import annotations

import threading
import time
from concurrent.futures import CancelledError
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import (
    FAST,
    account_config,
    dovecot_user,
    kill_dovecot_sessions,
    running_service,
    server_state,
    write_maildir_folder,
)
from tui_mail.backend import (
    AccountState,
    AccountStateChanged,
    FoldersChanged,
    ListFolders,
    MessagesAdded,
    SyncFolder,
)
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.service import cache_file
from tui_mail.errors import AuthError

pytestmark = pytest.mark.integration


def _states(log: Any) -> list[AccountState]:
    return [e.state for e in log.of(AccountStateChanged)]


@pytest.mark.slow
def test_dovecot_stopped_mid_sync_goes_offline_reconnects_and_completes(
    dovecot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot_user(dovecot, monkeypatch)
    write_maildir_folder(dovecot, user.username, "Outage", 3000)
    config = account_config(user, tmp_path)
    outage = threading.Event()
    with running_service(config, tmp_path, replace(FAST, max_job_retries=20, idle=False)) as (
        service,
        log,
    ):
        original = service.workers["test"]._emit

        def stop_server_after_first_batch(event: Any) -> None:
            original(event)
            if isinstance(event, MessagesAdded) and not outage.is_set():
                outage.set()
                dovecot.stop()  # on the worker thread: the next FETCH finds the server gone
                kill_dovecot_sessions(dovecot)

        service.workers["test"]._emit = stop_server_after_first_batch
        syncing = service.submit(SyncFolder("test", "Outage"))
        try:
            assert log.wait_for(lambda: AccountState.OFFLINE in _states(log), 30)
            time.sleep(0.5)  # a few failed reconnects
        finally:
            # Started from this (long-lived) thread: the test bed's processes die
            # with the thread that spawned them.
            dovecot.start()
        folder = syncing.result(60)
        states = _states(log)
        offline_at = states.index(AccountState.OFFLINE)
        assert AccountState.ONLINE in states[offline_at:]
        offline = next(e for e in log.of(AccountStateChanged) if e.state == AccountState.OFFLINE)
        assert offline.reason  # the reason is shown in the status bar
        assert folder.total == 3000
    cache = MailCache.open(cache_file(tmp_path / "cache", "test"), "test")
    try:
        uids = cache.uids("Outage")
    finally:
        cache.close()
    assert len(uids) == len(set(uids)) == 3000
    assert set(uids) == set(server_state(user, "Outage"))


def test_wrong_password_one_auth_failed_no_retry_then_set_password(
    imap_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = account_config(imap_server, tmp_path, password="wrong")
    with running_service(config, tmp_path) as (service, log):
        with pytest.raises(AuthError):
            service.submit(ListFolders("test")).result(15)
        time.sleep(1.5)  # several backoff periods: a retry loop would show here
        with pytest.raises(AuthError):
            service.submit(ListFolders("test")).result(15)
        states = _states(log)
        assert states.count(AccountState.AUTH_FAILED) == 1
        assert states[-1] == AccountState.AUTH_FAILED
        service.set_password("test", imap_server.password)
        assert log.wait_for(lambda: _states(log)[-1] == AccountState.ONLINE, 10)
        assert service.submit(ListFolders("test")).result(15)


def test_cancelled_job_is_skipped_and_stop_is_bounded(
    imap_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, log):
        worker = service.workers["test"]
        gate = threading.Event()
        busy = worker.submit_call(lambda: gate.wait(10))
        skipped = service.submit(ListFolders("test"))
        assert skipped.cancel()
        gate.set()
        busy.result(10)
        assert service.submit(SyncFolder("test", "INBOX")).result(15).total >= 0
        assert not log.of(FoldersChanged), "the cancelled ListFolders never ran"
        with pytest.raises(CancelledError):
            skipped.result(0)
        stuck = worker.submit_call(lambda: time.sleep(3))  # a job that ignores the stop request
        queued = service.submit(ListFolders("test"))
        time.sleep(0.2)
        started = time.monotonic()
        service.stop(1.0)
        assert time.monotonic() - started < 1.5
        assert not stuck.done()
        assert worker.is_alive()  # still in the stuck job, yet stop() returned in time
        assert stuck.result(5) is None  # then the job ends and the thread winds down
        assert queued.cancelled()
        worker.join(2)
        assert not worker.is_alive()
