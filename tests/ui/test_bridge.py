"""Backend events on the UI loop: a burst of progress reports is shown as its newest one."""

from __future__ import annotations

from textual.app import App

from tui_mail.backend import FlagsChanged, IndexProgress, MessagesRemoved, SyncProgress
from tui_mail.ui.bridge import BackendMessage


def test_a_newer_progress_report_of_the_same_sync_replaces_an_older_one() -> None:
    older = BackendMessage(SyncProgress("work", "INBOX", 100, 1000))
    assert older.can_replace(BackendMessage(SyncProgress("work", "INBOX", 200, 1000)))
    assert not older.can_replace(BackendMessage(SyncProgress("work", "Archive", 200, 1000)))
    assert not older.can_replace(BackendMessage(SyncProgress("home", "INBOX", 200, 1000)))
    indexing = BackendMessage(IndexProgress("work", 10, 50))
    assert indexing.can_replace(BackendMessage(IndexProgress("work", 20, 50)))
    assert not indexing.can_replace(BackendMessage(IndexProgress("home", 20, 50)))


def test_events_that_carry_changes_are_never_dropped() -> None:
    removed = BackendMessage(MessagesRemoved("work", "INBOX", (1,)))
    assert not removed.can_replace(BackendMessage(MessagesRemoved("work", "INBOX", (2,))))
    flags = BackendMessage(FlagsChanged("work", "INBOX", {1: frozenset()}))
    assert not flags.can_replace(BackendMessage(FlagsChanged("work", "INBOX", {1: frozenset()})))
    progress = BackendMessage(SyncProgress("work", "INBOX", 1, 2))
    assert not progress.can_replace(BackendMessage(IndexProgress("work", 1, 2)))
    assert not progress.can_replace(removed)


class _Counting(App[None]):
    """Counts the progress reports it handles."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []

    def on_backend_message(self, message: BackendMessage) -> None:
        event = message.event
        assert isinstance(event, SyncProgress)
        self.seen.append(event.done)


async def test_a_burst_posted_at_once_reaches_the_handler_as_fewer_messages() -> None:
    app = _Counting()
    async with app.run_test() as pilot:
        for done in range(1, 201):
            app.post_message(BackendMessage(SyncProgress("work", "INBOX", done, 200)))
        await pilot.pause()
        assert app.seen[-1] == 200  # the newest report always arrives
        assert len(app.seen) < 200
        assert app.seen == sorted(app.seen)
