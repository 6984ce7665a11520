"""Reading the cache from the UI: orderings, list rows and the windowed ``MessageView``."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tui_mail.models import MessageSummary


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

    def index_of_message(self, account: str, folder: str, uid: int) -> int | None:
        """Position of one message named fully (UIDs repeat across folders), or None."""
        ...


class SearchResults(MessageView, Protocol):
    """The answer to ``SearchMessages``: hits as a view, plus what the list shows of them."""

    title: str
    """What the list shows for this virtual folder (``Search: <query>``)."""
    server_searched: bool
    """True when the server's hits are merged in."""
    server_errors: tuple[str, ...]
    """``account/folder`` of each folder the server could not search (e.g. offline)."""
