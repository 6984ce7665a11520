"""MailCache's bodies, full-text search and address lookups (a mixin), and ``guarded``.

Split from ``backend/cache/store.py`` to keep each part readable: ``MailCache``
inherits :class:`BodiesAndLookups`, which uses the cache's write connection,
transaction and folder ids, and its read-only side for lookups any thread may
make. ``guarded`` turns SQLite failures of every cache method into ``MailError``.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import ParamSpec, TypeVar

from tui_mail.backend.cache.schema import ADDRESSES_SQL, write_rows
from tui_mail.backend.cache.views import ReadConnection
from tui_mail.errors import MailError
from tui_mail.models import Address

_P = ParamSpec("_P")
_R = TypeVar("_R")


def guarded(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn SQLite failures (disk full, damaged file, closed cache) into ``MailError``."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            cache = args[0]
            raise MailError("The mail cache failed", f"{cache.path}: {exc}") from exc  # type: ignore[attr-defined]

    return wrapper


class BodiesAndLookups:
    """Bodies (raw messages and their indexed text), FTS search, address completion."""

    path: Path
    _conn: sqlite3.Connection
    _reader: ReadConnection

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # MailCache's

    def _folder_id(self, folder: str) -> int:
        raise NotImplementedError  # MailCache's

    # ------------------------------------------------------------------ bodies

    @guarded
    def body(self, folder: str, uid: int) -> bytes | None:
        """The cached raw message, or None."""
        row = self._conn.execute(
            "SELECT raw FROM bodies"
            " WHERE folder_id = (SELECT id FROM folders WHERE name = ?) AND uid = ?",
            (folder, uid),
        ).fetchone()
        return bytes(row[0]) if row else None

    @guarded
    def save_body(self, folder: str, uid: int, raw: bytes, text: str = "") -> None:
        """Cache a raw message; ``text`` (its plain text) goes into the search index.

        The text is indexed only when the message's summary is cached already.
        """
        with self._transaction() as conn:
            folder_id = self._folder_id(folder)
            conn.execute(
                "INSERT OR REPLACE INTO bodies (folder_id, uid, raw) VALUES (?, ?, ?)",
                (folder_id, uid, raw),
            )
            if text:
                write_rows(
                    conn,
                    "UPDATE search SET body = ? WHERE rowid ="
                    " (SELECT id FROM summaries WHERE folder_id = ? AND uid = ?)",
                    [(text, folder_id, uid)],
                )

    @guarded
    def bodies_missing(self, folder: str, limit: int, max_size: int) -> list[tuple[int, int]]:
        """(uid, size) of up to ``limit`` messages without a cached body, newest first.

        Messages over ``max_size`` bytes are left out (they are indexed when opened).
        """
        return self._conn.execute(
            "SELECT s.uid, s.size FROM summaries AS s"
            " WHERE s.folder_id = (SELECT id FROM folders WHERE name = ?) AND s.size <= ?"
            " AND NOT EXISTS (SELECT 1 FROM bodies AS b"
            "   WHERE b.folder_id = s.folder_id AND b.uid = s.uid)"
            " ORDER BY s.date DESC, s.uid DESC LIMIT ?",
            (folder, max_size, limit),
        ).fetchall()

    @guarded
    def body_counts(self, max_size: int) -> tuple[int, int]:
        """(messages with a cached body, messages up to ``max_size`` bytes), all folders."""
        with_body = self._conn.execute(
            "SELECT count(*) FROM bodies AS b JOIN summaries AS s"
            " ON s.folder_id = b.folder_id AND s.uid = b.uid WHERE s.size <= ?",
            (max_size,),
        ).fetchone()[0]
        wanted = self._conn.execute(
            "SELECT count(*) FROM summaries WHERE size <= ?", (max_size,)
        ).fetchone()[0]
        return int(with_body), int(wanted)

    @guarded
    def addresses(self, text: str, limit: int = 20, sent_folder: str = "") -> list[Address]:
        """Addresses seen in From/To/Cc whose ``name email`` holds ``text``'s letters in order.

        A fuzzy (subsequence, case-insensitive for ASCII) match done in SQL, one
        entry per address: people written to (To/Cc of the Sent folder, by role
        or the name ``sent_folder``) first, then the most often seen, then the
        most recent. Reads through the read-only side, so any thread may call it.
        """
        letters = [ch for ch in text if not ch.isspace()]
        if not letters:
            return []
        pattern = "%" + "%".join(_like_escape(ch) for ch in letters) + "%"
        rows = self._reader.query(ADDRESSES_SQL, (sent_folder, pattern, limit))
        return [Address(str(name or ""), str(email)) for email, name in rows]


def _like_escape(char: str) -> str:
    """One typed character as a literal in a LIKE pattern (``ESCAPE '\\'``)."""
    return "\\" + char if char in "%_\\" else char
