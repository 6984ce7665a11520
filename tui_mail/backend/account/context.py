"""AccountContext: what the command handlers and the indexer may use of their account.

The worker builds one and hands it to :class:`~tui_mail.backend.account.handlers.
CommandHandlers` and :class:`~tui_mail.backend.account.indexer.BodyIndexer`, so
they see a narrow surface (the session, the cache, the folder state, a way to
emit and to yield to the user's jobs) instead of the whole thread, and never
import ``worker.py``. Everything here is used on the worker's thread only,
except :attr:`folders`, which other threads may read (a tuple is replaced whole).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from tui_mail.backend.account.arrivals import OwnPlacements
from tui_mail.backend.account.local_changes import RecentLocalChanges
from tui_mail.backend.api import BackendEvent
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import AccountConfig
from tui_mail.errors import MailError
from tui_mail.models import Folder

T = TypeVar("T")


class SubmitCall(Protocol):
    """Queue ``call`` behind the jobs waiting now; its Future gives what it returns."""

    def __call__(self, call: Callable[[], T], read_only: bool = False) -> Future[T]: ...


@dataclass(eq=False)
class AccountContext:
    """One account's connection, cache and folder state, as the handlers see them."""

    account: AccountConfig
    session: Callable[[], ImapSession]
    """The logged-in session, connecting first when needed (raises ``tui_mail.errors``)."""
    emit: Callable[[BackendEvent], None]
    """Tell the UI; never raises."""
    run_waiting_user_jobs: Callable[[], None]
    """Let the user's quick jobs queued meanwhile run now (between two batches)."""
    submit_call: SubmitCall
    """Run something after the jobs waiting now (e.g. indexing a body just answered)."""
    cache_or_none: MailCache | None = None
    """The cache, once the worker opened it (None when it is unusable)."""
    folders: tuple[Folder, ...] = ()
    """The folder list as last listed (or read from the cache at start)."""
    open_folders: list[str] = field(default_factory=list)
    """Folders the user has opened, in order: ``SyncAll`` syncs these."""
    local_changes: RecentLocalChanges = field(default_factory=RecentLocalChanges)
    """Our recent flag changes (``SetFlags``), which a sync must not undo with a stale answer."""
    placements: OwnPlacements = field(default_factory=OwnPlacements)
    """Messages we moved or copied lately: a sync of their new folder is not new mail."""
    notify_folders_primed: bool = False
    """The announced folders were given a first sync (see ``CommandHandlers``)."""

    @property
    def name(self) -> str:
        """The account's name (every event names it)."""
        return self.account.name

    @property
    def cache(self) -> MailCache:
        """The open cache; ``MailError`` when it could not be opened."""
        if self.cache_or_none is None:
            raise MailError("the mail cache is not available")
        return self.cache_or_none
