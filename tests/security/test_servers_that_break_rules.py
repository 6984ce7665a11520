"""A folder's sync survives servers that break the rules, and never wedges (issue 22).

Every test talks to ``rule_breaking_imap.RuleBreakingServer``, a FAKE server on
127.0.0.1 that does what a real server was seen to do and Dovecot and pymap do
not: refuse a ``UID FETCH`` naming an expunged UID, refuse a sync's command
twice, or show a session stale flags after its own STORE. The same sync against
the real servers is tested in ``tests/integration/test_sync.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.backend_helpers import EventLog
from tests.security.rule_breaking_imap import Folder, RuleBreakingServer
from tests.security.scripted_imap import CAPABILITIES, Message
from tui_mail.backend import FlagsChanged, MessagesRemoved, SetFlags, SyncAll, SyncFolder
from tui_mail.backend.account.worker import AccountWorker
from tui_mail.backend.backoff import Backoff
from tui_mail.backend.cache.store import FolderState, MailCache
from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.errors import ServerError

pytestmark = pytest.mark.integration

WAIT = 20
SERVER_WORDS = b"BAD [SERVERBUG] flag lookup is broken today"


def _messages(*uids: int) -> list[Message]:
    return [Message(uid, f"Subject: m{uid}\r\n\r\nbody {uid}\r\n".encode()) for uid in uids]


def _account(port: int) -> AccountConfig:
    server = ServerConfig("127.0.0.1", port, "none", "u")
    return AccountConfig(name="test", email="u@example.com", display_name="U", imap=server, smtp=None)


@contextmanager
def _worker(server: RuleBreakingServer, tmp_path: Path) -> Iterator[tuple[AccountWorker, EventLog]]:
    log = EventLog()
    worker = AccountWorker(
        _account(server.port), tmp_path / "cache.sqlite3", log, backoff=Backoff(0.05, 0.2),
        password_source=lambda _: "pw", max_job_retries=1, timeout=5,
    )
    worker.start()
    try:
        yield worker, log
    finally:
        worker.stop(3)
        assert not worker.is_alive()
        assert not server.failures


def _sync(worker: AccountWorker, folder: str = "INBOX") -> int:
    return worker.submit(SyncFolder("test", folder)).result(WAIT).total


def _cached(tmp_path: Path, folder: str = "INBOX") -> dict[int, frozenset[str]]:
    cache = MailCache.open(tmp_path / "cache.sqlite3", "test")
    try:
        return cache.flags(folder)
    finally:
        cache.close()


def _state(tmp_path: Path, folder: str = "INBOX") -> FolderState | None:
    cache = MailCache.open(tmp_path / "cache.sqlite3", "test")
    try:
        return cache.folder_state(folder)
    finally:
        cache.close()


# --- a UID FETCH naming a gone UID is refused -------------------------------------------------


def test_after_another_clients_expunge_the_next_sync_succeeds_and_the_row_is_gone(
    tmp_path: Path,
) -> None:
    """The server answers BAD to a UID FETCH FLAGS naming the gone UID: so none is sent."""
    inbox = Folder(_messages(1, 2, 3))
    with RuleBreakingServer({"INBOX": inbox}, refuse_gone_uids=True) as server, _worker(
        server, tmp_path
    ) as (worker, log):
        assert _sync(worker) == 3
        inbox.expunge(2)  # another client
        inbox.messages[0].flags = ("\\Seen",)  # and another client's flag change
        assert _sync(worker) == 2
        assert _cached(tmp_path) == {1: frozenset({"\\Seen"}), 3: frozenset()}
        assert log.of(MessagesRemoved)[-1].uids == (2,)
        assert server.refusals == []  # no command named the gone UID
        assert _sync(worker) == 2  # and it stays so
        assert worker.is_alive()


def test_a_message_expunged_between_the_comparison_and_the_fetch_of_new_mail(
    tmp_path: Path,
) -> None:
    """The summaries' UID FETCH is refused for the gone UID: the rest is fetched anyway."""
    inbox = Folder(_messages(1, 2, 3))
    with RuleBreakingServer({"INBOX": inbox}, refuse_gone_uids=True) as server, _worker(
        server, tmp_path
    ) as (worker, _log):
        assert _sync(worker) == 3
        inbox.add(*_messages(4))
        inbox.add(*_messages(5))

        def expunge_after_the_search(folder: str, verb: str, arguments: bytes, uid: bool) -> None:
            if verb == "SEARCH" and 5 not in inbox.gone:
                inbox.expunge(5)  # another client, just after our comparison

        server.after = expunge_after_the_search
        assert _sync(worker) == 4
        assert sorted(_cached(tmp_path)) == [1, 2, 3, 4]
        assert len(server.refusals) == 1 and b" 5," in server.refusals[0]  # the first form


# --- a step refused twice ------------------------------------------------------------------------


def _refuse_flags_in(folder_name: str) -> object:
    def refuse(folder: str, verb: str, arguments: bytes, uid: bool) -> bytes | None:
        wants_flags = b"FLAGS" in arguments.upper() and b"ENVELOPE" not in arguments.upper()
        return SERVER_WORDS if folder == folder_name and verb == "FETCH" and wants_flags else None

    return refuse


def test_a_step_refused_twice_fails_that_folder_with_the_servers_words_only(
    tmp_path: Path,
) -> None:
    """INBOX's flag check is refused in both forms: its sync fails quoting the server;
    Other still syncs, SyncAll goes on past INBOX, and once the server is fixed the
    next sync of INBOX succeeds (it starts from a clean comparison)."""
    inbox, other = Folder(_messages(1, 2, 3)), Folder(_messages(10, 11))
    with RuleBreakingServer({"INBOX": inbox, "Other": other}) as server, _worker(
        server, tmp_path
    ) as (worker, _log):
        assert _sync(worker) == 3 and _sync(worker, "Other") == 2
        server.refuse = _refuse_flags_in("INBOX")  # type: ignore[assignment]
        inbox.add(*_messages(4))
        with pytest.raises(ServerError) as refused:
            _sync(worker)
        assert "INBOX" in refused.value.summary
        assert "flag lookup is broken today" in refused.value.details
        assert len(server.refusals) == 2  # the normal form, then the safer one: no more
        assert server.refusals[0].split()[1:3] == [b"UID", b"FETCH"]
        assert server.refusals[1].split()[1] == b"FETCH"  # by sequence numbers
        state = _state(tmp_path)
        assert state is not None and (state.uidnext, state.highestmodseq) == (0, 0)

        other.add(*_messages(12))
        assert _sync(worker, "Other") == 3  # the other folder keeps syncing
        other.add(*_messages(13))
        with pytest.raises(ServerError):
            worker.submit(SyncAll("test")).result(WAIT)
        assert sorted(_cached(tmp_path, "Other")) == [10, 11, 12, 13]  # synced past INBOX
        assert worker.is_alive()

        server.refuse = None  # the server is fixed
        inbox.messages[0].flags = ("\\Flagged",)
        assert _sync(worker) == 4
        assert _cached(tmp_path)[1] == frozenset({"\\Flagged"})
        assert sorted(_cached(tmp_path)) == [1, 2, 3, 4]


def test_a_refused_uid_search_is_asked_again_by_sequence_numbers(tmp_path: Path) -> None:
    inbox = Folder(_messages(1, 2, 3))
    with RuleBreakingServer({"INBOX": inbox}) as server, _worker(server, tmp_path) as (worker, log):
        assert _sync(worker) == 3
        inbox.expunge(1)
        server.refuse = lambda folder, verb, arguments, uid: (  # type: ignore[assignment]
            b"NO [SERVERBUG] search is off" if verb == "SEARCH" else None
        )
        assert _sync(worker) == 2
        assert sorted(_cached(tmp_path)) == [2, 3]
        assert log.of(MessagesRemoved)[-1].uids == (1,)
        assert len(server.refusals) == 1


def test_a_refused_changedsince_falls_back_to_comparing_every_uid(tmp_path: Path) -> None:
    """CONDSTORE's delta is refused: the full comparison is its safer form."""
    inbox = Folder(_messages(1, 2, 3))
    with RuleBreakingServer(
        {"INBOX": inbox}, refuse_gone_uids=True, capabilities=CAPABILITIES + b" ENABLE CONDSTORE"
    ) as server, _worker(server, tmp_path) as (worker, _log):
        assert _sync(worker) == 3
        inbox.expunge(2)
        inbox.messages[0].flags = ("\\Seen",)
        inbox.modseq += 2
        server.refuse = lambda folder, verb, arguments, uid: (  # type: ignore[assignment]
            b"BAD [SERVERBUG] no CHANGEDSINCE today" if b"CHANGEDSINCE" in arguments else None
        )
        assert _sync(worker) == 2
        assert _cached(tmp_path) == {1: frozenset({"\\Seen"}), 3: frozenset()}
        assert len(server.refusals) == 1
        state = _state(tmp_path)
        assert state is not None and state.highestmodseq == inbox.modseq
        server.refuse = None
        inbox.messages[1].flags = ("\\Flagged",)
        inbox.modseq += 1
        assert _sync(worker) == 2  # the delta works again
        assert _cached(tmp_path)[3] == frozenset({"\\Flagged"})


# --- stale flags after our own change ------------------------------------------------------------


def test_a_sync_that_sees_older_flags_right_after_our_set_flags_keeps_ours(tmp_path: Path) -> None:
    """The server answers our STORE, then shows the old flags until it catches up."""
    inbox = Folder(_messages(1, 2))
    with RuleBreakingServer({"INBOX": inbox}, stale_flags=True) as server, _worker(
        server, tmp_path
    ) as (worker, log):
        assert _sync(worker) == 2
        worker.submit(SetFlags("test", "INBOX", (1,), ("\\Seen",))).result(WAIT)
        assert _cached(tmp_path)[1] == frozenset({"\\Seen"})
        ours = len(log.of(FlagsChanged))
        inbox.messages[1].flags = ("\\Flagged",)  # another client's change is still news
        assert _sync(worker) == 2
        assert _cached(tmp_path) == {1: frozenset({"\\Seen"}), 2: frozenset({"\\Flagged"})}
        assert [e.flags for e in log.of(FlagsChanged)[ours:]] == [{2: frozenset({"\\Flagged"})}]

        inbox.catch_up()  # the server shows our change now: nothing to undo or redo
        assert _sync(worker) == 2
        assert _cached(tmp_path)[1] == frozenset({"\\Seen"})


def test_after_the_window_the_servers_flags_win_again(tmp_path: Path) -> None:
    """We never fight the server for good: past the window its word is taken."""
    inbox = Folder(_messages(1))
    now = [1000.0]
    with RuleBreakingServer({"INBOX": inbox}, stale_flags=True) as server, _worker(
        server, tmp_path
    ) as (worker, _log):
        worker.context.local_changes.clock = lambda: now[0]
        assert _sync(worker) == 1
        worker.submit(SetFlags("test", "INBOX", (1,), ("\\Seen",))).result(WAIT)
        assert _sync(worker) == 1
        assert _cached(tmp_path)[1] == frozenset({"\\Seen"})
        now[0] += worker.context.local_changes.window + 1
        assert _sync(worker) == 1
        assert _cached(tmp_path)[1] == frozenset()
        assert worker.context.local_changes.to_recheck("INBOX") == []
