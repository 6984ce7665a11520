"""A POP3 account's local mail store: its folders, and the ledger of what was downloaded.

For a POP3 account the cache file is the mail store (DESIGN.md section 11: never
dropped like an IMAP cache). It holds local folders (INBOX, Archive, Trash,
Sent, Drafts, with their roles) and the ``pop3_messages`` ledger (schema v5):
one row per message seen on the server, keyed by UIDL (or header digest), with
where it was stored and how far. Each step of a download is written before the
next one starts and every write is an upsert, so a crash at any point is
resumed without a loss or a duplicate:

``reserve`` (row ``headers``, a local UID) -> summary -> ``complete`` (body,
row ``stored``) -> DELE at the server -> ``gone`` (after the server's QUIT).

A message is deleted from the server only in state ``stored``. Uses the
cache's write connection and transaction (same package: ``MailCache`` is
written by one thread, the account worker's).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tui_mail.backend.cache.bodies import guarded
from tui_mail.backend.cache.local_store import allocate_uid
from tui_mail.backend.cache.store import FolderState, MailCache
from tui_mail.models import Folder, FolderRole, MessageSummary

INBOX = "INBOX"
#: The local folders of a POP3 account, in the order the tree lists them.
LOCAL_FOLDERS: tuple[tuple[str, FolderRole], ...] = (
    (INBOX, FolderRole.INBOX),
    ("Archive", FolderRole.ARCHIVE),
    ("Drafts", FolderRole.DRAFTS),
    ("Sent", FolderRole.SENT),
    ("Trash", FolderRole.TRASH),
)
#: Local folders never change identity: one UIDVALIDITY for all of them.
LOCAL_UIDVALIDITY = 1


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One message the account has seen on its POP3 server."""

    key: str
    digest: str
    folder: str
    uid: int
    state: str
    """"headers" (summary stored, body not yet), "stored" (all of it), "oversized",
    "discarded" (deleted here before its body came: never downloaded)."""
    size: int
    fetched_at: float
    on_server: bool


class Pop3Ledger:
    """Reads and writes a POP3 account's ledger and local folders in its ``MailCache``."""

    def __init__(self, cache: MailCache) -> None:
        self.cache = cache
        self.path = cache.path  # named by ``guarded``'s errors

    # ------------------------------------------------------------ folders

    def ensure_folders(self) -> None:
        """Create the local folders that are missing (others, the user's, are kept)."""
        existing = self.cache.folders()
        names = {folder.name for folder in existing}
        missing = [
            Folder(self.cache.account, name, "/", role)
            for name, role in LOCAL_FOLDERS
            if name not in names
        ]
        if missing:
            self.cache.save_folders([*existing, *missing])
        for name, _role in LOCAL_FOLDERS:
            if self.cache.folder_state(name) is None:
                self.cache.set_folder_state(name, FolderState(LOCAL_UIDVALIDITY, 1))

    def refresh_counts(self, folder: str = INBOX) -> tuple[int, int]:
        """Store and return the folder's (total, unread) counted from its rows."""
        total, unread = self.cache.counts(folder)
        self.cache.set_counts(folder, total, unread)
        return total, unread

    # ------------------------------------------------------------ the ledger

    @guarded
    def entries(self) -> dict[str, LedgerEntry]:
        """Every ledger row by key."""
        rows = self.cache._conn.execute(
            "SELECT key, digest, folder, uid, state, size, fetched_at, on_server"
            " FROM pop3_messages"
        ).fetchall()
        return {row[0]: _entry(row) for row in rows}

    @guarded
    def by_digest(self, digest: str) -> LedgerEntry | None:
        """A row for a message with these headers, if one was seen under another key."""
        row = self.cache._conn.execute(
            "SELECT key, digest, folder, uid, state, size, fetched_at, on_server"
            " FROM pop3_messages WHERE digest = ? ORDER BY rowid LIMIT 1",
            (digest,),
        ).fetchone()
        return _entry(row) if row else None

    @guarded
    def locate(self, key: str) -> tuple[str, int] | None:
        """(folder, UID) where the message of ``key`` is now (it may have been moved);
        None when it was deleted here (``local_store.LocalStore.purge``)."""
        row = self.cache._conn.execute(
            "SELECT folder, uid FROM pop3_messages WHERE key = ?", (key,)
        ).fetchone()
        return (str(row[0]), int(row[1])) if row and row[0] else None

    @guarded
    def state_at(self, folder: str, uid: int) -> str | None:
        """The download state of the message at (folder, UID); None for one never fetched
        (a sent copy, a draft)."""
        row = self.cache._conn.execute(
            "SELECT state FROM pop3_messages WHERE folder = ? AND uid = ? LIMIT 1", (folder, uid)
        ).fetchone()
        return str(row[0]) if row else None

    @guarded
    def reserve(self, key: str, digest: str, size: int, folder: str = INBOX) -> int:
        """Record a new message (state ``headers``) with a fresh local UID in ``folder``."""
        with self.cache._transaction() as conn:
            uid = allocate_uid(conn, folder)
            conn.execute(
                "INSERT INTO pop3_messages (key, digest, folder, uid, state, size, fetched_at)"
                " VALUES (?, ?, ?, ?, 'headers', ?, ?)",
                (key, digest, folder, uid, size, time.time()),
            )
        return uid

    @guarded
    def alias(self, key: str, known_key: str) -> None:
        """Record ``key`` as another name of the message known as ``known_key`` (same headers)."""
        with self.cache._transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO pop3_messages"
                " (key, digest, folder, uid, state, size, fetched_at, on_server)"
                " SELECT ?, digest, folder, uid, state, size, fetched_at, on_server"
                " FROM pop3_messages WHERE key = ?",
                (key, known_key),
            )

    def add_headers(self, summary: MessageSummary) -> None:
        """Store the summary of a reserved message (from its headers): the list shows it."""
        self.cache.add_summaries(summary.folder, [summary])

    def complete(self, key: str, summary: MessageSummary, raw: bytes, text: str) -> None:
        """Store the whole message (summary again, with what the body tells), then mark it
        ``stored``: from here on it may be deleted from the server.

        Flags set meanwhile (read, flagged while only the headers were there) are kept.
        """
        before = self.cache.summary(summary.folder, summary.uid)
        if before is not None:
            summary = replace(summary, flags=before.flags)
        self.cache.add_summaries(summary.folder, [summary])
        self.cache.save_body(summary.folder, summary.uid, raw, text)
        self._set_state([key], "stored")

    def mark_oversized(self, key: str) -> None:
        """The body is over the download limit: keep the headers, leave it on the server."""
        self._set_state([key], "oversized")

    @guarded
    def gone(self, keys: Iterable[str]) -> None:
        """The server confirmed (QUIT) it deleted these."""
        with self.cache._transaction() as conn:
            conn.executemany(
                "UPDATE pop3_messages SET on_server = 0 WHERE key = ?", [(k,) for k in keys]
            )

    @guarded
    def _set_state(self, keys: Iterable[str], state: str) -> None:
        with self.cache._transaction() as conn:
            conn.executemany(
                "UPDATE pop3_messages SET state = ? WHERE key = ?", [(state, k) for k in keys]
            )


def _entry(row: Sequence[Any]) -> LedgerEntry:
    key, digest, folder, uid, state, size, fetched_at, on_server = row
    return LedgerEntry(
        str(key), str(digest), str(folder), int(uid), str(state), int(size),
        float(fetched_at), bool(on_server),
    )
