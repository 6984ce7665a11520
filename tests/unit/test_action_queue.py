"""The offline action queue (cache/action_queue.py) and the worker's lanes (no sockets).

- a queued move carries the cached row (flags, body, search text) to its new folder
  under a provisional UID, in the same transaction as the queue row, and the
  folder's view shows it as one row (views pack UIDs as unsigned 32-bit numbers);
- the queue survives closing the file, keeps its order, and a provisional UID is
  never handed out twice (an old undo can never name another message);
- finishing an action deletes its row and renames the provisional row to the
  server's UID in one step; an unresolved one is left for the resync;
- which lane each job goes to.
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

from tests.cache_helpers import summary, text_hits
from tui_mail.backend import api
from tui_mail.backend.account.lanes import Job, Lane, lane_for
from tui_mail.backend.cache.action_queue import OfflineCache, QueuedAction, is_provisional


def _cache(tmp_path: Path) -> OfflineCache:
    cache = OfflineCache.open(tmp_path / "test.sqlite3", "test")
    cache.add_summaries("INBOX", [summary(1), summary(2), summary(3, subject="zebrafish")])
    cache.save_body("INBOX", 3, b"Subject: zebrafish\r\n\r\nbody", "body")
    return cache


def test_a_queued_move_carries_the_row_under_a_provisional_uid(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    queued = cache.queue_transfer(QueuedAction("move", "INBOX", (3, 3), dest="Archive"))
    provisional = queued.provisional[3]
    assert is_provisional(provisional) and list(queued.provisional) == [3]
    assert cache.uids("INBOX") == [1, 2]
    assert cache.uids("Archive") == [provisional]
    assert cache.body("Archive", provisional) is not None
    assert text_hits(cache, "Archive", "zebrafish") == [provisional]
    view = cache.open_view("Archive", api.ViewOrder())
    assert [row.summary.subject for row in view.rows(0, len(view))] == ["zebrafish"]
    copy = cache.queue_transfer(QueuedAction("copy", "INBOX", (1,), dest="Archive"))
    assert cache.uids("INBOX") == [1, 2]
    assert sorted(cache.uids("Archive")) == sorted([provisional, copy.provisional[1]])
    assert copy.message_ids == ("<1@example.org>",)
    cache.close()
    reopened = OfflineCache.open(tmp_path / "test.sqlite3", "test")
    pending = reopened.pending_actions()
    assert [(a.kind, a.uids) for a in pending] == [("move", (3, 3)), ("copy", (1,))]
    assert pending[0].provisional == {3: provisional}
    reopened.close()


def test_finish_drops_the_row_and_renames_to_the_server_uid(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    moved = cache.queue_transfer(QueuedAction("move", "INBOX", (2, 3), dest="Archive"))
    flags = cache.queue_flags(
        QueuedAction("flags", "Archive", (moved.provisional[3],), flags=("\\Seen",)),
        {moved.provisional[3]: frozenset({"\\Seen"})},
    )
    assert cache.pending_count() == 2
    cache.mark_attempt(moved.id)
    assert cache.pending_actions()[0].attempts == 1
    renamed = cache.finish(moved, {3: 77})  # the server gave no UID for 2
    assert renamed == {moved.provisional[3]: 77}
    assert [a.id for a in cache.pending_actions()] == [flags.id]
    assert cache.resolve("Archive", (moved.provisional[3], moved.provisional[2], 5)) == {
        moved.provisional[3]: 77,
        5: 5,
    }
    other = moved.provisional[3]  # in INBOX that number was never handed out: a real UID
    assert cache.resolve("INBOX", (other,)) == {other: other}
    assert cache.flags("Archive")[77] == frozenset({"\\Seen"})
    assert cache.provisional_rows() == {"Archive": [moved.provisional[2]]}
    cache.finish(flags, {})
    assert not cache.has_pending()
    again = cache.queue_transfer(QueuedAction("move", "INBOX", (1,), dest="Archive"))
    assert again.provisional[1] < min(moved.provisional.values())  # never reused
    cache.close()


def test_an_expunge_and_a_flag_change_apply_to_the_rows_at_once(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.queue_flags(
        QueuedAction("flags", "INBOX", (1,), flags=("\\Flagged",)), {1: frozenset({"\\Flagged"})}
    )
    cache.queue_expunge(QueuedAction("expunge", "INBOX", (2,)))
    assert cache.flags("INBOX") == {1: frozenset({"\\Flagged"}), 3: frozenset()}
    assert [a.kind for a in cache.pending_actions()] == ["flags", "expunge"]
    cache.close()


def _job(command: api.Command[object] | None, queueable: bool = False) -> Job:
    future: Future[object] = Future()
    local = (lambda attempted: None) if queueable else None
    read_only = command is not None and type(command).read_only
    return Job(lambda: None, future, command, read_only, local)


def test_lanes() -> None:
    body = api.FetchBody("test", "INBOX", 1)
    flags = api.SetFlags("test", "INBOX", (1,), ("\\Seen",))
    sync = api.SyncFolder("test", "INBOX")
    create = api.CreateFolder("test", "New")

    def lane(job: Job, unreachable: bool, pending: bool = False, cached: bool = False) -> Lane:
        return lane_for(job, unreachable=unreachable, queue_pending=pending, body_cached=cached)

    assert lane(_job(body), True, cached=True) is Lane.NOW
    assert lane(_job(body), True) is Lane.NETWORK  # read-only: waits for the server
    assert lane(_job(None), True) is Lane.NOW
    assert lane(_job(flags, True), True) is Lane.QUEUE
    assert lane(_job(flags, True), False, pending=True) is Lane.QUEUE  # behind the queue
    assert lane(_job(flags, True), False) is Lane.NETWORK
    assert lane(_job(sync), True) is Lane.NETWORK
    assert lane(_job(create), True) is Lane.REFUSE
    assert lane(_job(create), False) is Lane.NETWORK
    search = api.ServerSearch("test", "INBOX", ("ALL",))
    assert lane(_job(search), True) is Lane.REFUSE  # the cache's hits answer at once
    assert lane(_job(search), False) is Lane.NETWORK


def test_a_folder_whose_uids_reach_the_provisional_range_gets_none(tmp_path: Path) -> None:
    from tui_mail.backend.cache.action_queue import PROVISIONAL_FLOOR
    from tui_mail.backend.cache.store import FolderState

    cache = _cache(tmp_path)
    cache.set_folder_state("Huge", FolderState(1, PROVISIONAL_FLOOR + 5))
    queued = cache.queue_transfer(QueuedAction("move", "INBOX", (1,), dest="Huge"))
    assert queued.provisional == {}
    assert cache.uids("INBOX") == [2, 3] and cache.uids("Huge") == []
    real = PROVISIONAL_FLOOR + 1  # the server's own UID there, not one of ours
    assert cache.resolve("Huge", (real,)) == {real: real}
    cache.close()
