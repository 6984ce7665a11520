"""The UI's requests: each ``Command[R]`` names the type ``R`` of its Future's result.

The result type is a phantom parameter: ``MailService.submit(FetchBody(...))`` is a
``Future[bytes]`` to mypy. :data:`AnyCommand` is the union of every command an
account worker runs; the handlers ``match`` over it, so mypy proves each handled.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeAlias, TypeVar

from tui_mail.backend.api.views import SearchResults, ViewOrder
from tui_mail.mail.query import SearchScope
from tui_mail.models import Folder

R = TypeVar("R")
# Covariant: the parameter is only a promise about the result (no attribute holds
# one), so a Command[bytes] may stand where a Command[object] is expected.
R_co = TypeVar("R_co", covariant=True)


@dataclass(frozen=True)
class Command(Generic[R_co]):
    """A request to one account's worker. ``read_only`` jobs are re-run after a reconnect."""

    account: str
    read_only: ClassVar[bool] = False


@dataclass(frozen=True)
class ListFolders(Command[list[Folder]]):
    """LIST + counts. Result: ``list[Folder]`` (also announced as ``FoldersChanged``)."""

    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class SyncFolder(Command[Folder]):
    """Bring a folder's cache up to date with the server.

    Announces ``MessagesAdded`` per batch, ``FlagsChanged``, ``MessagesRemoved`` and
    ``SyncProgress`` as it goes. Result: the folder's ``Folder`` with fresh counts.
    """

    folder: str
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class FetchBody(Command[bytes]):
    """The raw RFC 5322 bytes of one message (``BODY.PEEK[]``, from the cache when held).

    Result: ``bytes``. Never marks the message read.
    """

    folder: str
    uid: int
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class SetFlags(Command[None]):
    """Add (``add=True``) or remove flags on messages. Result: ``None``."""

    folder: str
    uids: tuple[int, ...]
    flags: tuple[str, ...]
    add: bool = True


@dataclass(frozen=True)
class MoveMessages(Command[dict[int, int]]):
    """Move messages (MOVE, else COPY + \\Deleted + UID EXPUNGE).

    Result: ``dict[int, int]`` old UID -> new UID in ``dest`` (empty where the
    server gives no COPYUID).
    """

    folder: str
    uids: tuple[int, ...]
    dest: str


@dataclass(frozen=True)
class CopyMessages(Command[dict[int, int]]):
    """Copy messages. Result: ``dict[int, int]`` old UID -> new UID in ``dest``."""

    folder: str
    uids: tuple[int, ...]
    dest: str


@dataclass(frozen=True)
class DeleteResult:
    """Where deleted messages went: ``trash`` is None when they were expunged for good."""

    trash: str | None
    uid_map: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DeleteMessages(Command[DeleteResult]):
    """Move to Trash; inside Trash (or with no Trash), delete for good.

    Result: ``DeleteResult``.
    """

    folder: str
    uids: tuple[int, ...]


@dataclass(frozen=True)
class AppendMessage(Command[int | None]):
    """APPEND a message. Result: the new UID (``int``) where UIDPLUS gives it, else ``None``."""

    folder: str
    message: bytes
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServerSearch(Command[list[int]]):
    """UID SEARCH with criteria built by ``tui_mail.mail`` (never a raw string).

    ``criteria`` is a sequence of IMAP search keys and values; every user text
    value is sent as a quoted string or literal. Result: ``list[int]`` of UIDs.
    """

    folder: str
    criteria: tuple[Any, ...]
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class SearchMessages(Command[SearchResults]):
    """Search with the query language of ``tui_mail.mail.query`` (issue #6).

    ``account``/``folder`` name the open folder (the scope when ``scope`` is
    FOLDER and the query names no ``folder:``/``account:``). Without ``server``
    only the caches are searched (fast: search-as-you-type); with it, UID SEARCH
    also runs in every folder of the scope and its hits are merged, marked
    ``SearchRow.from_server``. Result: ``SearchResults`` (a view of ``SearchRow``, whose
    summaries carry their real account and folder). A malformed query fails the
    Future with ``MailError`` (its details say what is wrong). Run by the
    service's search pool, never by an account worker.
    """

    folder: str
    query: str
    scope: SearchScope = SearchScope.FOLDER
    server: bool = False
    order: ViewOrder = field(default_factory=lambda: ViewOrder())
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class CreateFolder(Command[None]):
    """CREATE (and SUBSCRIBE) a folder. Result: ``None``."""

    name: str


@dataclass(frozen=True)
class RenameFolder(Command[None]):
    """RENAME a folder. Result: ``None``."""

    name: str
    new_name: str


@dataclass(frozen=True)
class DeleteFolder(Command[None]):
    """DELETE a folder. Result: ``None``."""

    name: str


@dataclass(frozen=True)
class SubscribeFolder(Command[None]):
    """SUBSCRIBE (``subscribe=True``) or UNSUBSCRIBE a folder. Result: ``None``."""

    name: str
    subscribe: bool = True


#: What :class:`FolderUids` may ask for: every message, the unread ones, those marked deleted.
FOLDER_UID_KINDS = ("all", "unseen", "deleted")


@dataclass(frozen=True)
class FolderUids(Command[tuple[int, ...]]):
    """The UIDs in a folder on the server now (UID SEARCH ALL / UNSEEN / DELETED).

    ``which`` is one of :data:`FOLDER_UID_KINDS`. Result: ``tuple[int, ...]``,
    ascending. The UI asks for them first, says how many, and then acts on exactly
    these UIDs (mark all read, empty Trash), so mail that arrives meanwhile is untouched.
    """

    folder: str
    which: str = "all"
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class ExpungeMessages(Command[int]):
    """Delete these messages for good, in any folder (\\Deleted + UID EXPUNGE of exactly them).

    Result: how many were asked for. Emptying Trash or Junk, and expunging what
    was marked deleted, use it; the Trash move of ``DeleteMessages`` does not.
    """

    folder: str
    uids: tuple[int, ...]


@dataclass(frozen=True)
class SyncAll(Command[None]):
    """Refresh folders and sync the open ones now (the ``$`` key). Result: ``None``."""

    read_only: ClassVar[bool] = True


AnyCommand: TypeAlias = (
    ListFolders
    | SyncFolder
    | FetchBody
    | SetFlags
    | MoveMessages
    | CopyMessages
    | DeleteMessages
    | AppendMessage
    | ServerSearch
    | SearchMessages
    | CreateFolder
    | RenameFolder
    | DeleteFolder
    | SubscribeFolder
    | FolderUids
    | ExpungeMessages
    | SyncAll
)
"""Every concrete command (a test checks no ``Command`` subclass is missing)."""


class Submit(Protocol):
    """Queues a command and answers with a Future of its result (``MailService.submit``)."""

    def __call__(self, command: Command[R], /) -> Future[R]: ...
