"""What the backend tells the UI: frozen ``BackendEvent`` dataclasses, each naming its account."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from tui_mail.models import Folder, MessageSummary


class AccountState(enum.StrEnum):
    """The connection state of one account, shown in the status bar."""

    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"
    AUTH_FAILED = "auth failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class BackendEvent:
    """Something the backend tells the UI. Always names its account."""

    account: str


@dataclass(frozen=True)
class AccountStateChanged(BackendEvent):
    """Connecting, online, offline (with the reason), auth failed (with the server's words)."""

    state: AccountState
    reason: str = ""
    retry_at: float = 0.0
    """OFFLINE: when (``time.time()``) the next connection attempt is due; 0: not known."""


@dataclass(frozen=True)
class FoldersChanged(BackendEvent):
    """The folder list (with counts) as now known."""

    folders: tuple[Folder, ...]


@dataclass(frozen=True)
class FolderCountsChanged(BackendEvent):
    """New total/unread counts for one folder."""

    folder: str
    total: int
    unread: int


@dataclass(frozen=True)
class MessagesAdded(BackendEvent):
    """A batch of rows landed in the cache (newest first). The list re-reads its window."""

    folder: str
    summaries: tuple[MessageSummary, ...]


@dataclass(frozen=True)
class MessagesRemoved(BackendEvent):
    """Rows left the folder (expunged here or elsewhere)."""

    folder: str
    uids: tuple[int, ...]


@dataclass(frozen=True)
class FlagsChanged(BackendEvent):
    """Flags of some rows changed (by us or another client)."""

    folder: str
    flags: dict[int, frozenset[str]]


@dataclass(frozen=True)
class NewMailArrived(BackendEvent):
    """Unread mail came into ``folder`` from elsewhere (not moved or copied there by us).

    ``count`` messages in all, ``newest`` the newest few of them (newest first),
    for a notice. Never sent for a folder's first sync.
    """

    folder: str
    count: int
    newest: tuple[MessageSummary, ...]


@dataclass(frozen=True)
class SyncProgress(BackendEvent):
    """``done`` of ``total`` new messages fetched for ``folder``; done == total ends it."""

    folder: str
    done: int
    total: int


@dataclass(frozen=True)
class IndexProgress(BackendEvent):
    """Background indexing (``index_bodies = "all"``): ``done`` of ``total`` bodies cached.

    ``total`` grows as folders get synced; ``finished`` ends a pass (all indexed).
    """

    done: int
    total: int
    finished: bool = False


@dataclass(frozen=True)
class OutboxChanged(BackendEvent):
    """The outbox gained, lost or updated an entry (e.g. a send failed)."""

    pending: int
    last_error: str = ""


@dataclass(frozen=True)
class QueuedActionsChanged(BackendEvent):
    """Actions made offline wait in the account's queue (``pending`` of them; 0: all sent)."""

    pending: int


@dataclass(frozen=True)
class QueuedActionFailed(BackendEvent):
    """A queued action could not be done when replayed (its message or folder vanished).

    ``action`` says what it was (e.g. "move 2 messages to Archive"); the folder's
    rows were corrected by a resync. The UI toasts it; it is logged too.
    """

    folder: str
    action: str
    reason: str


EventListener = Callable[[BackendEvent], None]
