"""What crosses the line between the UI and the backend (DESIGN.md section 1).

The UI *asks* with a :class:`Command` given to :meth:`MailService.submit`, and
gets a ``concurrent.futures.Future`` whose result type each command names. The
backend *tells* with a :class:`BackendEvent` passed to the listener the service
was built with (the UI's listener calls the thread-safe ``App.post_message``).
Nothing else crosses. All classes here are plain, frozen dataclasses.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from tui_mail.mail.query import SearchScope
from tui_mail.models import Address, Draft, Folder, MessageSummary

if TYPE_CHECKING:
    from tui_mail.backend.send.outbox import OutboxEntry

# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Command:
    """A request to one account's worker. ``read_only`` jobs are re-run after a reconnect."""

    account: str
    read_only: ClassVar[bool] = False


@dataclass(frozen=True)
class ListFolders(Command):
    """LIST + counts. Result: ``list[Folder]`` (also announced as ``FoldersChanged``)."""

    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class SyncFolder(Command):
    """Bring a folder's cache up to date with the server.

    Announces ``MessagesAdded`` per batch, ``FlagsChanged``, ``MessagesRemoved`` and
    ``SyncProgress`` as it goes. Result: the folder's ``Folder`` with fresh counts.
    """

    folder: str
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class FetchBody(Command):
    """The raw RFC 5322 bytes of one message (``BODY.PEEK[]``, from the cache when held).

    Result: ``bytes``. Never marks the message read.
    """

    folder: str
    uid: int
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class SetFlags(Command):
    """Add (``add=True``) or remove flags on messages. Result: ``None``."""

    folder: str
    uids: tuple[int, ...]
    flags: tuple[str, ...]
    add: bool = True


@dataclass(frozen=True)
class MoveMessages(Command):
    """Move messages (MOVE, else COPY + \\Deleted + UID EXPUNGE).

    Result: ``dict[int, int]`` old UID -> new UID in ``dest`` (empty where the
    server gives no COPYUID).
    """

    folder: str
    uids: tuple[int, ...]
    dest: str


@dataclass(frozen=True)
class CopyMessages(Command):
    """Copy messages. Result: ``dict[int, int]`` old UID -> new UID in ``dest``."""

    folder: str
    uids: tuple[int, ...]
    dest: str


@dataclass(frozen=True)
class DeleteMessages(Command):
    """Move to Trash; inside Trash (or with no Trash), delete for good.

    Result: ``DeleteResult``.
    """

    folder: str
    uids: tuple[int, ...]


@dataclass(frozen=True)
class DeleteResult:
    """Where deleted messages went: ``trash`` is None when they were expunged for good."""

    trash: str | None
    uid_map: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AppendMessage(Command):
    """APPEND a message. Result: the new UID (``int``) where UIDPLUS gives it, else ``None``."""

    folder: str
    message: bytes
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServerSearch(Command):
    """UID SEARCH with criteria built by ``tui_mail.mail`` (never a raw string).

    ``criteria`` is a sequence of IMAP search keys and values; every user text
    value is sent as a quoted string or literal. Result: ``list[int]`` of UIDs.
    """

    folder: str
    criteria: tuple[Any, ...]
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class SearchMessages(Command):
    """Search with the query language of ``tui_mail.mail.query`` (issue #6).

    ``account``/``folder`` name the open folder (the scope when ``scope`` is
    FOLDER and the query names no ``folder:``/``account:``). Without ``server``
    only the caches are searched (fast: search-as-you-type); with it, UID SEARCH
    also runs in every folder of the scope and its hits are merged, marked
    ``SearchRow.from_server``. Result: a ``MessageView`` of ``SearchRow`` whose
    summaries carry their real account and folder. A malformed query fails the
    Future with ``MailError`` (its details say what is wrong).
    """

    folder: str
    query: str
    scope: SearchScope = SearchScope.FOLDER
    server: bool = False
    order: ViewOrder = field(default_factory=lambda: ViewOrder())
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class CreateFolder(Command):
    """CREATE (and SUBSCRIBE) a folder. Result: ``None``."""

    name: str


@dataclass(frozen=True)
class RenameFolder(Command):
    """RENAME a folder. Result: ``None``."""

    name: str
    new_name: str


@dataclass(frozen=True)
class DeleteFolder(Command):
    """DELETE a folder. Result: ``None``."""

    name: str


@dataclass(frozen=True)
class SyncAll(Command):
    """Refresh folders and sync the open ones now (the ``$`` key). Result: ``None``."""

    read_only: ClassVar[bool] = True


# --------------------------------------------------------------------------- events


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
class FolderChanged(BackendEvent):
    """IDLE saw a change (a burst collapses into one); the UI may ask for a sync."""

    folder: str


@dataclass(frozen=True)
class OutboxChanged(BackendEvent):
    """The outbox gained, lost or updated an entry (e.g. a send failed)."""

    pending: int
    last_error: str = ""


EventListener = Callable[[BackendEvent], None]

# --------------------------------------------------------------------------- reading the cache


class SortKey(enum.StrEnum):
    """Orderings the message list offers."""

    DATE = "date"
    SENDER = "sender"
    SUBJECT = "subject"
    SIZE = "size"


@dataclass(frozen=True)
class ViewOrder:
    """How a folder view is ordered: newest first by default."""

    key: SortKey = SortKey.DATE
    descending: bool = True
    threaded: bool = False


@dataclass(frozen=True)
class ListRow:
    """One line of the message list: a summary plus its place in a thread."""

    summary: MessageSummary
    depth: int = 0
    thread_prefix: str = ""
    """Tree glyphs drawn before the subject in the threaded view (e.g. ``"├─"``)."""
    hidden_replies: int = 0
    """Replies folded under this row when its thread is collapsed."""


@dataclass(frozen=True)
class SearchRow(ListRow):
    """A row of a search result; ``from_server`` marks a hit only the server found."""

    from_server: bool = False


class MessageView(Protocol):
    """A folder's rows in a fixed order, read from the cache in windows.

    Cheap to query from the UI thread: ``rows`` reads only the asked window.
    A view is a snapshot; after ``MessagesAdded``/``MessagesRemoved`` the UI asks
    for a new one (``MailService.view``) and keeps the cursor by UID.
    """

    def __len__(self) -> int: ...

    def rows(self, start: int, stop: int) -> Sequence[ListRow]:
        """Rows ``start`` (inclusive) to ``stop`` (exclusive) of the view."""
        ...

    def index_of(self, uid: int) -> int | None:
        """Position of a UID in this view, or None."""
        ...


class OutboxQueue(Protocol):
    """The outbox as the UI uses it (``SendQueue``); each call may block: use a thread."""

    def entries(self) -> list[OutboxEntry]:
        """What the outbox holds, oldest first."""
        ...

    def message(self, entry_id: str) -> bytes:
        """The exact bytes queued for an entry."""
        ...

    def resend(self, entry_id: str) -> Future[Any]:
        """Try an entry again now; the Future gives a ``SendOutcome`` or a ``MailError``."""
        ...

    def remove(self, entry_id: str) -> None:
        """Delete an entry (``SendError`` while it is being sent)."""
        ...


class MailService(Protocol):
    """The backend as the UI sees it (implemented in ``backend/service.py``)."""

    @property
    def accounts(self) -> tuple[str, ...]:
        """Account names in config order."""
        ...

    def start(self) -> None:
        """Start one worker (and IDLE watcher) per account."""
        ...

    def stop(self, timeout: float = 5.0) -> None:
        """Stop all threads; returns within about ``timeout`` seconds."""
        ...

    def submit(self, command: Command) -> Future[Any]:
        """Queue a command on its account's worker."""
        ...

    def view(
        self,
        account: str,
        folder: str,
        order: ViewOrder,
        collapsed: frozenset[int] = frozenset(),
    ) -> Future[MessageView]:
        """Build a view of a folder's cached rows (off the UI thread).

        In a threaded order, the thread roots in ``collapsed`` hide their replies.
        """
        ...

    def cached_folders(self, account: str) -> list[Folder]:
        """The folder list from the cache (may be empty before the first sync)."""
        ...

    def address_suggestions(self, account: str, text: str) -> list[Address]:
        """Addresses matching ``text`` fuzzily for completion: people written to first,
        then others seen in the cache, plus the account's address book command.
        Blocks (SQLite, a subprocess): call it in a thread. Never raises."""
        ...

    def set_password(self, account: str, password: str, remember: bool = False) -> None:
        """Use this password from now on (after an AuthError) and reconnect."""
        ...

    def send_queue(self) -> OutboxQueue:
        """The outbox and its sender (``backend/send/pipeline.py``'s ``SendQueue``)."""
        ...

    def send(self, draft: Draft) -> Future[Any]:
        """Queue ``draft`` in the outbox and send it (SMTP, Sent copy, original flagged).

        The Future gives a ``SendOutcome`` or fails with a ``MailError``; a message
        that failed stays in the outbox with its error (``OutboxChanged``).
        """
        ...
