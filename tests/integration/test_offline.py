"""Offline (issue 21): reads from the cache never wait; actions queue and replay exactly once.

Real Dovecot, stopped and started in the test (its session processes killed too,
as in ``test_worker.py``). The server's state is checked with a second client.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import (
    FAST,
    EventLog,
    account_config,
    dovecot_user,
    kill_dovecot_sessions,
    make_message,
    other_client,
    running_service,
    server_state,
)
from tui_mail.backend import (
    AccountState,
    AccountStateChanged,
    CopyMessages,
    FetchBody,
    ListFolders,
    MailServiceImpl,
    MoveMessages,
    QueuedActionFailed,
    QueuedActionsChanged,
    SetFlags,
    SyncAll,
    SyncFolder,
)
from tui_mail.backend.cache.action_queue import PROVISIONAL_FLOOR, is_provisional
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.service import cache_file
from tui_mail.config import Config

pytestmark = pytest.mark.integration
OPTIONS = replace(FAST, idle=False)
FLAGGED, SEEN = "\\Flagged", "\\Seen"


def _seed(user: Any, count: int = 3) -> None:
    client = other_client(user)
    try:
        for index in range(count):
            client.append("INBOX", make_message(index, "offline"))
    finally:
        client.logout()


def _warm(service: MailServiceImpl) -> list[int]:
    service.submit(ListFolders("test")).result(15)
    service.submit(SyncFolder("test", "INBOX")).result(15)
    uids = sorted(service.workers["test"].cache.uids("INBOX"))  # type: ignore[union-attr]
    for uid in uids:
        service.submit(FetchBody("test", "INBOX", uid)).result(15)
    return uids


def _offline(log: EventLog) -> bool:
    states = log.of(AccountStateChanged)
    return bool(states) and states[-1].state is AccountState.OFFLINE


@contextmanager
def _server_down(dovecot: Any) -> Iterator[None]:
    dovecot.stop()
    kill_dovecot_sessions(dovecot)
    try:
        yield
    finally:
        dovecot.start()  # from the test's thread: the test bed's processes live with it


def _cached(tmp_path: Path, folder: str) -> dict[int, frozenset[str]]:
    cache = MailCache.open(cache_file(tmp_path / "cache", "test"), "test")
    try:
        return cache.flags(folder)
    finally:
        cache.close()


def _subjects(user: Any, folder: str) -> dict[str, frozenset[str]]:
    """Subject -> flags on the server (each subject is unique in these tests)."""
    client = other_client(user)
    try:
        client.select_folder(folder, readonly=True)
        data = client.fetch(client.search("ALL"), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        found: dict[str, frozenset[str]] = {}
        for item in data.values():
            subject = item[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().split(":", 1)[1].strip()
            assert subject not in found, f"{subject!r} twice in {folder}: an action ran twice"
            found[subject] = frozenset(f.decode() for f in item[b"FLAGS"] if f != b"\\Recent")
        return found
    finally:
        client.logout()


def _drained(log: EventLog) -> bool:
    changes = log.of(QueuedActionsChanged)
    return bool(changes) and changes[-1].pending == 0


def _queued_offline(
    dovecot: Any,
    user: Any,
    tmp_path: Path,
    count: int,
    act: Callable[[MailServiceImpl, list[int]], None],
    also_sync: tuple[str, ...] = (),
) -> tuple[Config, list[int]]:
    """Seed ``count`` messages, warm the cache (and sync ``also_sync``) online, then run
    ``act`` on a service started while the server is down, and close it: its actions
    stay queued. Returns the config and the seeded UIDs."""
    _seed(user, count)
    config = account_config(user, tmp_path)
    with running_service(config, tmp_path, OPTIONS) as (service, _):
        uids = _warm(service)
        for folder in also_sync:
            service.submit(SyncFolder("test", folder)).result(10)
    with _server_down(dovecot):
        with running_service(config, tmp_path, OPTIONS) as (service, _):
            act(service, uids)
    return config, uids


def test_offline_reads_answer_at_once_and_actions_reach_the_server_once_in_order(
    dovecot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot_user(dovecot, monkeypatch)
    _seed(user, 3)
    config = account_config(user, tmp_path)
    with running_service(config, tmp_path, OPTIONS) as (service, log):
        first, second, third = _warm(service)
        body = service.submit(FetchBody("test", "INBOX", first)).result(5)
        with _server_down(dovecot):
            syncing = service.submit(SyncFolder("test", "INBOX"))  # needs the server: waits
            assert log.wait_for(lambda: _offline(log), 10)
            started = time.monotonic()
            assert service.submit(FetchBody("test", "INBOX", first)).result(5) == body
            took = time.monotonic() - started
            print(f"\ncached FetchBody offline: {took * 1000:.1f} ms")
            assert took < 1.0
            assert not syncing.done()
            offline = log.of(AccountStateChanged)[-1]
            assert offline.retry_at > time.time() - 1  # the status bar can say when
            # In order: flag, then move the flagged message, then mark it read where it went.
            service.submit(SetFlags("test", "INBOX", (first,), (FLAGGED,))).result(2)
            moved = service.submit(MoveMessages("test", "INBOX", (first,), "Archive")).result(2)
            assert set(moved) == {first} and is_provisional(moved[first])
            service.submit(SetFlags("test", "Archive", (moved[first],), (SEEN,))).result(2)
            # Undo of a queued move: the reverse names the provisional UID.
            trashed = service.submit(MoveMessages("test", "INBOX", (second,), "Trash")).result(2)
            service.submit(MoveMessages("test", "Trash", (trashed[second],), "INBOX")).result(2)
            assert first not in _cached(tmp_path, "INBOX")
            assert _cached(tmp_path, "Archive")[moved[first]] >= {FLAGGED, SEEN}
        # (The service is still running here: it reconnects and replays on its own.)
        assert syncing.result(30).total == 2
        assert log.wait_for(lambda: _drained(log), 20)
    inbox, archive, trash = (_subjects(user, f) for f in ("INBOX", "Archive", "Trash"))
    assert set(inbox) == {"offline 1", "offline 2"}
    assert archive == {"offline 0": frozenset({FLAGGED, SEEN})}
    assert trash == {}
    assert not log.of(QueuedActionFailed)
    assert sorted(_cached(tmp_path, "INBOX")) == sorted(server_state(user, "INBOX"))
    assert max(_cached(tmp_path, "Archive")) < PROVISIONAL_FLOOR  # none left behind
    del third


def test_queued_actions_survive_closing_the_service(
    dovecot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot_user(dovecot, monkeypatch)
    _seed(user, 2)
    config = account_config(user, tmp_path)
    with running_service(config, tmp_path, OPTIONS) as (service, log):
        first, second = _warm(service)
    with _server_down(dovecot):
        with running_service(config, tmp_path, OPTIONS) as (service, log):
            service.submit(SetFlags("test", "INBOX", (first,), (FLAGGED,))).result(5)
            service.submit(MoveMessages("test", "INBOX", (second,), "Archive")).result(5)
        with running_service(config, tmp_path, OPTIONS) as (service, log):
            assert service.submit(FetchBody("test", "INBOX", first)).result(1)
            assert _cached(tmp_path, "INBOX").get(first, frozenset()) >= {FLAGGED}
            assert second not in _cached(tmp_path, "INBOX")
    started = time.monotonic()
    with running_service(config, tmp_path, OPTIONS) as (service, log):
        assert log.wait_for(lambda: _drained(log), 20)
        print(f"\nqueued actions reached the server {time.monotonic() - started:.2f} s after start")
    assert _subjects(user, "INBOX") == {"offline 0": frozenset({FLAGGED})}
    assert set(_subjects(user, "Archive")) == {"offline 1"}


_CHILD = """
import sys, time
from pathlib import Path
from tui_mail.backend import MailServiceImpl, MoveMessages, SetFlags
from tui_mail.config import load_config
from tests.integration.backend_helpers import FAST
from dataclasses import replace

config = load_config(Path(sys.argv[1]))
service = MailServiceImpl(config, lambda e: None, cache_dir=Path(sys.argv[2]),
                          options=replace(FAST, idle=False))
service.start()
uids = [int(u) for u in sys.argv[3].split(",")]
service.submit(SetFlags("test", "INBOX", (uids[0],), ("\\\\Flagged",))).result(10)
service.submit(SetFlags("test", "INBOX", (uids[0],), ("\\\\Flagged",), False)).result(10)
service.submit(SetFlags("test", "INBOX", (uids[1],), ("\\\\Seen",))).result(10)
service.submit(MoveMessages("test", "INBOX", (uids[1],), "Archive")).result(10)
print("QUEUED", flush=True)
time.sleep(60)
"""


def test_kill_9_while_offline_then_restart_replays_in_order_exactly_once(
    dovecot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot_user(dovecot, monkeypatch)
    _seed(user, 2)
    config_path = user.config_toml(tmp_path, filename="child.toml")
    config = account_config(user, tmp_path)
    with running_service(config, tmp_path, OPTIONS) as (service, log):
        first, second = _warm(service)
    repo = Path(__file__).resolve().parents[2]
    with _server_down(dovecot):
        child = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(_CHILD), str(config_path),
             str(tmp_path / "cache"), f"{first},{second}"],
            cwd=repo, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(repo)},
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == b"QUEUED"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
    with running_service(config, tmp_path, OPTIONS) as (service, log):
        assert log.wait_for(lambda: _drained(log), 20)
    # Flag then unflag: in order leaves it unflagged; Seen then moved: read in Archive.
    assert _subjects(user, "INBOX") == {"offline 0": frozenset()}
    assert _subjects(user, "Archive") == {"offline 1": frozenset({SEEN})}
    assert not log.of(QueuedActionFailed)


def test_a_queued_action_on_a_message_expunged_meanwhile_is_reported(
    dovecot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot_user(dovecot, monkeypatch)

    def act(service: MailServiceImpl, uids: list[int]) -> None:
        service.submit(MoveMessages("test", "INBOX", (uids[0],), "Archive")).result(5)
        service.submit(SetFlags("test", "INBOX", (uids[1],), (FLAGGED,))).result(5)

    config, (first, _) = _queued_offline(dovecot, user, tmp_path, 2, act)
    client = other_client(user)  # another client expunges the first message meanwhile
    try:
        client.select_folder("INBOX")
        client.delete_messages([first])
        client.expunge()
    finally:
        client.logout()
    with running_service(config, tmp_path, OPTIONS) as (service, log):
        assert log.wait_for(lambda: _drained(log), 20)
        assert log.wait_for(lambda: bool(log.of(QueuedActionFailed)), 10)
        failed = log.of(QueuedActionFailed)[0]
        assert "Archive" in failed.action and failed.folder == "INBOX"
        assert service.workers["test"].is_alive()
    assert _subjects(user, "INBOX") == {"offline 1": frozenset({FLAGGED})}
    assert _subjects(user, "Archive") == {}
    assert _cached(tmp_path, "Archive") == {}  # the provisional row was corrected


def test_a_crash_between_the_servers_ok_and_the_rows_delete_runs_nothing_twice(
    dovecot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot_user(dovecot, monkeypatch)

    def act(service: MailServiceImpl, uids: list[int]) -> None:
        service.submit(MoveMessages("test", "INBOX", (uids[0],), "Archive")).result(5)
        service.submit(CopyMessages("test", "INBOX", (uids[1],), "Archive")).result(5)

    config, (first, second) = _queued_offline(dovecot, user, tmp_path, 2, act)
    # As if a replay had sent both and was killed before deleting the rows.
    client = other_client(user)
    try:
        client.select_folder("INBOX")
        client.move([first], "Archive")
        client.copy([second], "Archive")
    finally:
        client.logout()
    conn = sqlite3.connect(cache_file(tmp_path / "cache", "test"))
    with conn:
        conn.execute("UPDATE action_queue SET attempts = 1")
    conn.close()
    with running_service(config, tmp_path, OPTIONS) as (service, log):
        assert log.wait_for(lambda: _drained(log), 20)
    assert set(_subjects(user, "Archive")) == {"offline 0", "offline 1"}  # each once
    assert set(_subjects(user, "INBOX")) == {"offline 1"}
    assert not log.of(QueuedActionFailed)


def test_sync_all_while_offline_tries_at_once_not_at_the_next_backoff(
    dovecot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot_user(dovecot, monkeypatch)
    _seed(user, 1)
    config = account_config(user, tmp_path)
    slow = replace(OPTIONS, backoff_initial=30.0, backoff_max=30.0)
    with running_service(config, tmp_path, slow) as (service, log):
        _warm(service)
        with _server_down(dovecot):
            waiting = service.submit(SyncFolder("test", "INBOX"))
            assert log.wait_for(lambda: _offline(log), 10)
            assert log.of(AccountStateChanged)[-1].retry_at > time.time() + 20
        started = time.monotonic()
        service.submit(SyncAll("test")).result(10)  # `$`
        assert time.monotonic() - started < 5
        assert waiting.result(5).total == 1


def test_a_queued_move_to_a_folder_deleted_meanwhile_is_reported_and_undone_locally(
    dovecot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot_user(dovecot, monkeypatch)
    client = other_client(user)
    client.create_folder("Projects")
    client.logout()

    def act(service: MailServiceImpl, uids: list[int]) -> None:
        service.submit(MoveMessages("test", "INBOX", (uids[0],), "Projects")).result(5)
        assert uids[0] not in _cached(tmp_path, "INBOX")

    config, (first,) = _queued_offline(dovecot, user, tmp_path, 1, act)
    client = other_client(user)
    client.delete_folder("Projects")
    client.logout()
    with running_service(config, tmp_path, OPTIONS) as (service, log):
        assert log.wait_for(lambda: _drained(log), 20)
        assert log.wait_for(lambda: first in _cached(tmp_path, "INBOX"), 10)  # resynced
        (failed,) = log.of(QueuedActionFailed)
        assert "Projects" in failed.action
        assert service.workers["test"].is_alive()
    assert set(_subjects(user, "INBOX")) == {"offline 0"}


def test_provisional_rows_left_by_a_crash_after_the_last_action_are_corrected(
    dovecot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot_user(dovecot, monkeypatch)

    def act(service: MailServiceImpl, uids: list[int]) -> None:
        service.submit(MoveMessages("test", "INBOX", (uids[0],), "Archive")).result(5)

    config, (first,) = _queued_offline(dovecot, user, tmp_path, 1, act, also_sync=("Archive",))
    client = other_client(user)  # the move reached the server; the row was deleted, then kill -9
    client.select_folder("INBOX")
    client.move([first], "Archive")
    client.logout()
    conn = sqlite3.connect(cache_file(tmp_path / "cache", "test"))
    with conn:
        conn.execute("DELETE FROM action_queue")
    conn.close()
    assert max(_cached(tmp_path, "Archive")) >= PROVISIONAL_FLOOR
    with running_service(config, tmp_path, OPTIONS) as (service, log):
        folder = service.submit(SyncFolder("test", "Archive")).result(15)
        assert folder.total == 1
    assert sorted(_cached(tmp_path, "Archive")) == sorted(server_state(user, "Archive"))


@contextmanager
def _silent_host() -> Iterator[int]:
    """A port that accepts connections and never says a word (a host behind a black hole)."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_a_cached_body_opens_while_the_worker_waits_on_a_silent_host(
    dovecot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker is stuck in a connect whose greeting never comes (timeout 10 s):
    a body the cache holds is still answered at once, from the reader thread."""
    user = dovecot_user(dovecot, monkeypatch)
    _seed(user, 2)
    config = account_config(user, tmp_path)
    with running_service(config, tmp_path, OPTIONS) as (service, _):
        first = _warm(service)[0]
        body = service.submit(FetchBody("test", "INBOX", first)).result(5)
    with _silent_host() as port:
        account = config.accounts["test"]
        silent = replace(account, imap=replace(account.imap, port=port))
        with running_service(replace(config, accounts={"test": silent}), tmp_path, OPTIONS) as (
            service,
            _,
        ):
            syncing = service.submit(SyncFolder("test", "INBOX"))  # blocks the worker
            time.sleep(0.5)
            started = time.monotonic()
            assert service.submit(FetchBody("test", "INBOX", first)).result(3) == body
            took = time.monotonic() - started
            print(f"\ncached FetchBody while connecting to a silent host: {took * 1000:.1f} ms")
            assert took < 1.0
            assert not syncing.done()
