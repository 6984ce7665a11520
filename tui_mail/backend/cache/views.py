"""Windowed message-list views over the cache (the ``MessageView`` protocol).

A view is a snapshot of one folder's order: the UIDs in an ``array('I')``
(4 bytes a row; ``array('q')`` for threads), built with one indexed ``ORDER BY`` (or JWZ threading), and
each window's rows read on demand with one ``uid IN (...)`` query. Views read
through read-only connections of their own (one per reading thread), so the
UI thread can read windows while the account worker writes.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tui_mail.backend.api import ListRow, SortKey, ViewOrder
from tui_mail.backend.cache.schema import SUMMARY_COLUMNS, summary_from_row, uid_chunks
from tui_mail.errors import MailError
from tui_mail.mail.threads import (
    FlatThreads,
    ThreadRecord,
    flatten_threads,
    paused_gc,
    thread_messages,
)
from tui_mail.models import MessageSummary

_SORT_COLUMNS = {
    SortKey.DATE: "date",
    SortKey.SENDER: "sender_key",
    SortKey.SUBJECT: "subject_key",
    SortKey.SIZE: "size",
}

_SCANS_BEFORE_DICT = 8


class ReadConnection:
    """Read-only connections to the cache file, one per thread that reads.

    The UI thread reads windows while a pool thread builds the next view (a
    whole-folder query): with a connection each, neither waits for the other.
    WAL lets them all read while the account worker writes.
    """

    def __init__(self, path: Path) -> None:
        self._uri = f"{path.resolve().as_uri()}?mode=ro"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[sqlite3.Connection] = []
        self._closed = False

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        with self._lock:
            if self._closed:
                raise MailError("The mail cache is closed")
            conn = sqlite3.connect(
                self._uri, uri=True, check_same_thread=False, isolation_level=None
            )
            self._opened.append(conn)
        conn.execute("PRAGMA busy_timeout = 5000")
        # No memory map: mapped pages of a 100,000-message cache count in the app's
        # RSS (up to the file's size) and measured no faster than SQLite's own reads.
        conn.execute("PRAGMA mmap_size = 0")
        # A small page cache per connection (SQLite's default is 2 MB, and the app
        # holds about seven): the OS page cache keeps the file anyway. Measured at
        # 100,000 messages: peak RSS -20 MB, views and searches no slower.
        conn.execute("PRAGMA cache_size = -512")
        self._local.conn = conn
        return conn

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        """All rows of one query (a consistent snapshot: one statement).

        Raises ``MailError`` when SQLite fails (e.g. the cache was closed).
        """
        try:
            return self._connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise MailError("Cannot read the mail cache", str(exc)) from exc

    def close(self) -> None:
        """Close every connection; views using them stop working (``MailError``)."""
        with self._lock:
            self._closed = True
            for conn in self._opened:
                conn.close()
            self._opened.clear()


class CachedView:
    """One folder's rows in a fixed order; implements ``MessageView``.

    If a UID in the snapshot has since left the cache, its row reads as an
    empty placeholder summary, so windows keep their length until the UI asks
    for a fresh view (it does on ``MessagesRemoved``).
    """

    def __init__(
        self,
        reader: ReadConnection,
        account: str,
        folder: str,
        folder_id: int,
        uids: array[int],
        threads: FlatThreads | None = None,
    ) -> None:
        self._reader = reader
        self._account = account
        self._folder = folder
        self._folder_id = folder_id
        self._uids = uids
        self._threads = threads
        self._positions: dict[int, int] | None = None
        self._lookups = 0

    def __len__(self) -> int:
        return len(self._uids)

    def rows(self, start: int, stop: int) -> Sequence[ListRow]:
        """Rows ``start`` (inclusive) to ``stop`` (exclusive), clamped to the view."""
        start, stop = max(0, start), min(len(self._uids), stop)
        if start >= stop:
            return []
        wanted = self._uids[start:stop]
        found: dict[int, MessageSummary] = {}
        for marks, chunk in uid_chunks(wanted):
            # The whole window comes back as ONE row of JSON: each row SQLite steps
            # releases and re-takes the GIL, and while a sync thread is busy every
            # re-take can wait a switch interval (a 128-row window measured 137 ms on
            # the UI thread during a 100,000-message sync; packed, it is one step).
            packed = self._reader.query(
                f"SELECT json_group_array(json_array({SUMMARY_COLUMNS})) FROM summaries"
                f" WHERE folder_id = ? AND uid IN ({marks})",
                (self._folder_id, *chunk),
            )
            for row in json.loads(packed[0][0]) if packed else ():
                summary = summary_from_row(self._account, self._folder, row)
                found[summary.uid] = summary
        result: list[ListRow] = []
        threads = self._threads
        for index, uid in enumerate(wanted, start):
            summary = found.get(uid) or MessageSummary(self._account, self._folder, uid)
            if threads is None:
                result.append(ListRow(summary))
            else:
                result.append(
                    ListRow(
                        summary,
                        depth=threads.depths[index],
                        thread_prefix=threads.prefixes[index],
                        hidden_replies=threads.hidden.get(uid, 0),
                    )
                )
        return result

    def index_of(self, uid: int) -> int | None:
        """Position of ``uid`` in the view, or None.

        The first few calls scan the array (about 2 ms for 100,000 rows, and
        usually the only call a view gets: the UI keeps its cursor by UID); a
        caller that asks more often gets a dict, built once (about 30 ms).
        """
        if self._positions is None:
            self._lookups += 1
            if self._lookups <= _SCANS_BEFORE_DICT:
                try:
                    return self._uids.index(uid)
                except ValueError:
                    return None
            self._positions = {value: index for index, value in enumerate(self._uids)}
        return self._positions.get(uid)

    def index_of_message(self, account: str, folder: str, uid: int) -> int | None:
        """Position of one message named fully: None for another folder's (the UI's tags)."""
        if (account, folder) != (self._account, self._folder):
            return None
        return self.index_of(uid)

    @property
    def uids(self) -> array[int]:
        """The snapshot's UIDs in view order (do not modify)."""
        return self._uids


def _thread_records(reader: ReadConnection, folder_id: int) -> list[ThreadRecord]:
    rows = reader.query(
        "SELECT uid, message_id, in_reply_to, refs, subject, date"
        " FROM summaries WHERE folder_id = ? ORDER BY uid",
        (folder_id,),
    )
    return [
        ThreadRecord(uid, msg_id, irt, tuple(refs.split()) if refs else (), subject, date)
        for uid, msg_id, irt, refs, subject, date in rows
    ]


def build_view(
    reader: ReadConnection,
    account: str,
    folder: str,
    order: ViewOrder,
    collapsed: frozenset[int] = frozenset(),
) -> CachedView:
    """Snapshot ``folder`` in ``order``; threaded views are ordered by newest message."""
    found = reader.query("SELECT id FROM folders WHERE name = ?", (folder,))
    if not found:
        return CachedView(reader, account, folder, -1, array("q"))
    folder_id = int(found[0][0])
    if order.threaded:
        with paused_gc():  # one collection at the end instead of one per step
            roots = thread_messages(_thread_records(reader, folder_id))
            flat = flatten_threads(roots, descending=order.descending, collapsed=collapsed)
            del roots
        return CachedView(reader, account, folder, folder_id, flat.uids, flat)
    column = _SORT_COLUMNS[order.key]
    direction = "DESC" if order.descending else "ASC"
    # One hex string instead of a tuple per row (see unpack_hex).
    # SQLite keeps the subquery's order in the aggregate (the view tests check it).
    rows = reader.query(
        f"SELECT group_concat({HEX_UID.format('uid')}, '') FROM (SELECT uid FROM summaries"
        f" WHERE folder_id = ? ORDER BY {column} {direction}, uid {direction})",
        (folder_id,),
    )
    packed = rows[0][0] if rows else None
    return CachedView(reader, account, folder, folder_id, unpack_hex(packed, UID_HEX_DIGITS))


HEX_INT = "printf('%016x', {})"
"""SQL formatting an integer column as 16 hex digits, for ``group_concat(..., '')``."""
HEX_UID = "printf('%08x', {})"
"""The same for a UID (32 bits in IMAP): half the text, so half the peak memory of a
100,000-message view while it is built (the string, its bytes and the array)."""
UID_HEX_DIGITS = 8
_ARRAY_TYPE = {8: "I", 16: "q"}
"""The array type code for the integers of each hex width (4 and 8 bytes)."""


def unpack_hex(packed: str | None, digits: int = 16) -> array[int]:
    """The integers of a ``group_concat`` of :data:`HEX_INT` (or, with ``digits`` 8,
    :data:`HEX_UID`) values, in order.

    Why not rows or decimal text: 100,000 tuples cost a full garbage collection
    pass (measured 50-140 ms with every thread stopped) every few views, and
    splitting decimal text runs ~30 ms in single C calls that hold the GIL (the
    UI loop waits all along); ``bytes.fromhex`` takes ~2 ms.
    """
    numbers = array(_ARRAY_TYPE[digits])
    if packed:
        numbers.frombytes(bytes.fromhex(packed))
        if sys.byteorder == "little":
            numbers.byteswap()  # the hex digits are big-endian
    return numbers
