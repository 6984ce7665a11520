"""The result of a search: a ``MessageView`` over hits in many folders and accounts.

Like ``views.CachedView`` it is a snapshot holding compact arrays (account
index, ``summaries`` row id and UID per row) and reads each window's rows on
demand, one ``id IN (...)`` query per account. Rows are ``api.SearchRow``
whose summaries carry their real account and folder, so actions on a search
result go to the right place.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tui_mail.backend.api import SearchRow
from tui_mail.backend.cache.schema import SUMMARY_COLUMNS, summary_from_row, uid_chunks
from tui_mail.backend.cache.views import ReadConnection, unpack_hex
from tui_mail.models import MessageSummary


@dataclass
class Hits:
    """Matching messages in view order. ``row_ids[i]`` is 0 for a message the
    server found that is not cached yet (its folder is in ``uncached``)."""

    sources: array[int] = field(default_factory=lambda: array("H"))
    row_ids: array[int] = field(default_factory=lambda: array("q"))
    uids: array[int] = field(default_factory=lambda: array("q"))
    keys: list[Any] | None = field(default_factory=list)
    """Sort key per hit (for merging server results in order); None: not read yet."""
    from_server: bytearray = field(default_factory=bytearray)
    uncached: dict[int, str] = field(default_factory=dict)
    """Position -> folder of hits with no cached summary."""

    @classmethod
    def of_hex(cls, source: int, packed: str | None) -> Hits:
        """Hits of one account from a ``group_concat`` of ``HEX_INT`` row id, UID pairs.

        The sort keys stay unread (``keys`` None) until a merge needs them: reading
        them per row would cost what ``unpack_hex`` saves.
        """
        numbers = unpack_hex(packed)
        uids = numbers[1::2]
        return cls(
            array("H", [source]) * len(uids), numbers[0::2], uids, None, bytearray(len(uids))
        )

    def append(self, source: int, row_id: int, uid: int, key: Any, server: bool = False) -> None:
        """Add one hit at the end."""
        self.sources.append(source)
        self.row_ids.append(row_id)
        self.uids.append(uid)
        assert self.keys is not None, "append to hits whose keys were not read"
        self.keys.append(key)
        self.from_server.append(int(server))


class SearchView:
    """Search hits in a fixed order; implements ``api.MessageView``.

    ``title`` is what the list shows for this virtual folder (``Search: <query>``);
    ``server_searched`` tells whether server results are merged in, and
    ``server_errors`` which folders the server could not search (e.g. offline).
    """

    def __init__(
        self,
        title: str,
        accounts: Sequence[tuple[str, ReadConnection]],
        hits: Hits,
        server_searched: bool = False,
        server_errors: tuple[str, ...] = (),
    ) -> None:
        self.title = title
        self.accounts = tuple(accounts)
        self.hits = hits
        self.server_searched = server_searched
        self.server_errors = server_errors

    def __len__(self) -> int:
        return len(self.hits.uids)

    def _summaries(self, source: int, row_ids: Sequence[int]) -> dict[int, MessageSummary]:
        account, reader = self.accounts[source]
        found: dict[int, MessageSummary] = {}
        for marks, chunk in uid_chunks(row_ids):
            for row in reader.query(
                f"SELECT id, (SELECT name FROM folders WHERE id = folder_id), {SUMMARY_COLUMNS}"
                f" FROM summaries WHERE id IN ({marks})",
                chunk,
            ):
                found[row[0]] = summary_from_row(account, row[1], row[2:])
        return found

    def rows(self, start: int, stop: int) -> Sequence[SearchRow]:
        """Rows ``start`` (inclusive) to ``stop`` (exclusive), clamped to the view."""
        hits = self.hits
        start, stop = max(0, start), min(len(hits.uids), stop)
        if start >= stop:
            return []
        wanted: dict[int, list[int]] = {}
        for index in range(start, stop):
            if hits.row_ids[index]:
                wanted.setdefault(hits.sources[index], []).append(hits.row_ids[index])
        found = {source: self._summaries(source, ids) for source, ids in wanted.items()}
        result: list[SearchRow] = []
        for index in range(start, stop):
            source = hits.sources[index]
            summary = found.get(source, {}).get(hits.row_ids[index])
            if summary is None:  # not cached (yet), or gone since the search
                summary = MessageSummary(
                    self.accounts[source][0], hits.uncached.get(index, ""), hits.uids[index]
                )
            result.append(SearchRow(summary, from_server=bool(hits.from_server[index])))
        return result

    def index_of(self, uid: int) -> int | None:
        """Position of the first hit with this UID (UIDs repeat across folders)."""
        try:
            return self.hits.uids.index(uid)
        except ValueError:
            return None

    def index_of_message(self, account: str, folder: str, uid: int) -> int | None:
        """Position of one message, named fully; None when it is not among the hits."""
        hits = self.hits
        position = -1
        while True:
            try:
                position = hits.uids.index(uid, position + 1)
            except ValueError:
                return None
            row = self.rows(position, position + 1)[0].summary
            if row.account == account and row.folder == folder:
                return position
