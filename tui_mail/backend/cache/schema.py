"""The cache's SQLite schema, its migrations, how the file is opened, the row format.

``MIGRATIONS[i]`` takes a database at version ``i`` to version ``i + 1``; the
version lives in the one-row ``schema_version`` table. Each step is a callable
so a step can backfill columns with Python (e.g. the sort keys).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui_mail.errors import MailError
from tui_mail.mail.threads import sort_fold, subject_key
from tui_mail.models import SEEN, Address, MessageSummary

_V1 = """
CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    position INTEGER,                 -- NULL: not in the last saved folder list
    delimiter TEXT NOT NULL DEFAULT '/',
    role TEXT NOT NULL DEFAULT '',
    selectable INTEGER NOT NULL DEFAULT 1,
    total INTEGER NOT NULL DEFAULT 0,
    unread INTEGER NOT NULL DEFAULT 0,
    uidvalidity INTEGER,              -- NULL: never synced (or reset)
    uidnext INTEGER NOT NULL DEFAULT 0,
    highestmodseq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE summaries (
    id INTEGER PRIMARY KEY,           -- also the FTS rowid
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    uidvalidity INTEGER NOT NULL DEFAULT 0,
    flags TEXT NOT NULL DEFAULT '',   -- sorted, space-joined
    seen INTEGER NOT NULL DEFAULT 0,
    date INTEGER,                     -- UTC unix seconds
    from_addrs TEXT NOT NULL DEFAULT '',  -- JSON [[name, email], ...] or ''
    to_addrs TEXT NOT NULL DEFAULT '',
    cc_addrs TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL DEFAULT 0,
    message_id TEXT NOT NULL DEFAULT '',
    in_reply_to TEXT NOT NULL DEFAULT '',
    refs TEXT NOT NULL DEFAULT '',    -- space-joined Message-IDs
    has_attachment INTEGER NOT NULL DEFAULT 0,
    UNIQUE (folder_id, uid)
);
CREATE INDEX summaries_date ON summaries (folder_id, date, uid);
CREATE TABLE bodies (
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    raw BLOB NOT NULL,
    PRIMARY KEY (folder_id, uid)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE search USING fts5 (
    subject, from_text, to_text, cc_text, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- Deleting a summary (directly or by folder cascade) drops its index entry.
CREATE TRIGGER summaries_unindex AFTER DELETE ON summaries BEGIN
    DELETE FROM search WHERE rowid = old.id;
END;
"""


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: ``executescript`` would commit the open transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""


def _v1(conn: sqlite3.Connection) -> None:
    run_script(conn, _V1)


def _v2(conn: sqlite3.Connection) -> None:
    """Sort keys for sender and subject, so views sort in SQL on an index."""
    conn.execute("ALTER TABLE summaries ADD COLUMN sender_key TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE summaries ADD COLUMN subject_key TEXT NOT NULL DEFAULT ''")
    rows = conn.execute("SELECT id, from_addrs, subject FROM summaries").fetchall()
    conn.executemany(
        "UPDATE summaries SET sender_key = ?, subject_key = ? WHERE id = ?",
        [
            (sender_key(decode_addresses(frm)), subject_key(subj), row_id)
            for row_id, frm, subj in rows
        ],
    )
    run_script(
        conn,
        """
        CREATE INDEX summaries_sender ON summaries (folder_id, sender_key, uid);
        CREATE INDEX summaries_subject ON summaries (folder_id, subject_key, uid);
        CREATE INDEX summaries_size ON summaries (folder_id, size, uid);
        """,
    )


def _v3(conn: sqlite3.Connection) -> None:
    """Carry ``seen`` in the date index, so ``counts`` reads only the index."""
    run_script(
        conn,
        """
        DROP INDEX summaries_date;
        CREATE INDEX summaries_date ON summaries (folder_id, date, uid, seen);
        """,
    )


def _v4(conn: sqlite3.Connection) -> None:
    """The offline action queue and the provisional UIDs it hands out (issue 21).

    One ``action_queue`` row per flag/move/copy/delete made while the server could
    not be reached, replayed in ``id`` order. A message moved or copied offline
    gets a provisional UID ``2**32 - id`` of ``provisional_uids`` in its new folder;
    ``uid`` is the server's UID once the action reached it (0: it never will).
    AUTOINCREMENT so a provisional UID is never handed out twice.
    """
    run_script(
        conn,
        """
        CREATE TABLE action_queue (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            body TEXT NOT NULL,               -- JSON of a QueuedAction
            attempts INTEGER NOT NULL DEFAULT 0,
            queued_at REAL NOT NULL
        );
        CREATE TABLE provisional_uids (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            folder TEXT NOT NULL,
            uid INTEGER
        );
        """,
    )


def _v5(conn: sqlite3.Connection) -> None:
    """A POP3 account's record of what it downloaded (issue 16; ``cache/pop3_ledger.py``).

    One row per message seen on the server, by ``key`` (``u:<UIDL>``, or ``h:`` and
    the SHA-256 of its headers where no UIDL can be trusted): where it was stored,
    how far (``headers`` / ``stored`` / ``oversized``) and whether the server still
    holds it. Rows stay when the message is moved or deleted locally, so it is
    never downloaded twice.
    """
    run_script(
        conn,
        """
        CREATE TABLE pop3_messages (
            key TEXT PRIMARY KEY,
            digest TEXT NOT NULL DEFAULT '',
            folder TEXT NOT NULL,
            uid INTEGER NOT NULL,
            state TEXT NOT NULL,
            size INTEGER NOT NULL DEFAULT 0,
            fetched_at REAL NOT NULL,
            on_server INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX pop3_messages_digest ON pop3_messages (digest);
        """,
    )


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: tuple[Migration, ...] = (_v1, _v2, _v3, _v4, _v5)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's version; 0 for a new (empty) file."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema up to ``target``, each step in its own transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Safe when two
    connections open the same new file at once: each step re-reads the version
    under the write lock, so no step runs twice.

    Raises ``MailError`` for a file written by a newer tui-mail (we cannot read it
    safely, and silently dropping it would surprise). Returns the version reached.
    """
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = schema_version(conn)
            if version > SCHEMA_VERSION:
                raise MailError(
                    "The mail cache was written by a newer tui-mail",
                    f"schema version {version}, this version knows up to {SCHEMA_VERSION}",
                )
            if version >= target:
                conn.execute("COMMIT")
                return version
            MIGRATIONS[version](conn)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version + 1,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


# --------------------------------------------------------------------------- opening the file


def create_private(path: Path) -> None:
    """Create the file 0600 before SQLite opens it, and tighten an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def enable_wal(conn: sqlite3.Connection, patience: float = 5.0) -> None:
    """Switch to WAL, waiting out other first openers.

    The switch needs the file to itself, and SQLite answers "locked" at once
    rather than using the busy timeout, so two first opens (the service's and
    the worker's) would otherwise fail each other.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def write_rows(conn: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """``executemany``, retried with lone surrogates replaced if the text needs it.

    Headers decoded with ``surrogateescape`` (raw 8-bit bytes) hold lone
    surrogates, which SQLite cannot store as UTF-8; such a batch must still land.
    The retry re-writes the whole batch, which is safe: every write here is an
    upsert or an update.
    """
    try:
        conn.executemany(sql, rows)
    except UnicodeEncodeError:
        conn.executemany(sql, [storable(row) for row in rows])


# --------------------------------------------------------------------------- row format

UPSERT_SUMMARY = """
INSERT INTO summaries (folder_id, uid, uidvalidity, flags, seen, date, from_addrs, to_addrs,
    cc_addrs, subject, size, message_id, in_reply_to, refs, has_attachment, sender_key,
    subject_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (folder_id, uid) DO UPDATE SET
    uidvalidity = excluded.uidvalidity, flags = excluded.flags, seen = excluded.seen,
    date = excluded.date, from_addrs = excluded.from_addrs, to_addrs = excluded.to_addrs,
    cc_addrs = excluded.cc_addrs, subject = excluded.subject, size = excluded.size,
    message_id = excluded.message_id, in_reply_to = excluded.in_reply_to,
    refs = excluded.refs, has_attachment = excluded.has_attachment,
    sender_key = excluded.sender_key, subject_key = excluded.subject_key
"""

INDEX_SUMMARY = """
INSERT OR REPLACE INTO search (rowid, subject, from_text, to_text, cc_text, body)
VALUES (?, ?, ?, ?, ?, ?)
"""


# Stay well under SQLite's bound-parameter limit when selecting by a list of UIDs.
_MAX_IN = 900


def uid_chunks(uids: Sequence[int]) -> Iterator[tuple[str, Sequence[int]]]:
    """Split ``uids`` into chunks for ``uid IN (...)``: yields (placeholders, chunk)."""
    for offset in range(0, len(uids), _MAX_IN):
        chunk = uids[offset : offset + _MAX_IN]
        yield ",".join("?" * len(chunk)), chunk


#: Addresses of every summary (From, To, Cc), one row per lower-cased email,
#: filtered by a LIKE pattern over ``name email``. Params: the Sent folder's
#: name (or ''), the pattern, the limit. ``wrote``: To/Cc of a Sent message.
ADDRESSES_SQL = r"""
WITH seen (email, name, wrote, date) AS (
    SELECT json_extract(j.value, '$[1]'), json_extract(j.value, '$[0]'), 0, s.date
    FROM summaries s, json_each(CASE s.from_addrs WHEN '' THEN '[]' ELSE s.from_addrs END) j
    UNION ALL
    SELECT json_extract(j.value, '$[1]'), json_extract(j.value, '$[0]'),
        f.role = 'sent' OR f.name = ?1, s.date
    FROM summaries s JOIN folders f ON f.id = s.folder_id,
        json_each(CASE s.to_addrs WHEN '' THEN '[]' ELSE s.to_addrs END) j
    UNION ALL
    SELECT json_extract(j.value, '$[1]'), json_extract(j.value, '$[0]'),
        f.role = 'sent' OR f.name = ?1, s.date
    FROM summaries s JOIN folders f ON f.id = s.folder_id,
        json_each(CASE s.cc_addrs WHEN '' THEN '[]' ELSE s.cc_addrs END) j
)
SELECT email, max(name) FROM seen
WHERE email LIKE '%@%' AND (coalesce(name, '') || ' ' || email) LIKE ?2 ESCAPE '\'
GROUP BY lower(email)
ORDER BY max(wrote) DESC, count(*) DESC, max(date) DESC
LIMIT ?3
"""

#: Columns read for a MessageSummary, in the order ``summary_from_row`` expects.
SUMMARY_COLUMNS = (
    "uid, flags, date, from_addrs, to_addrs, cc_addrs, subject, size,"
    " message_id, in_reply_to, refs, has_attachment, uidvalidity"
)


def encode_addresses(addresses: Sequence[Address]) -> str:
    """Addresses as compact JSON ``[[name, email], ...]``; ``""`` for none."""
    if not addresses:
        return ""
    return json.dumps(
        [[a.name, a.email] for a in addresses], ensure_ascii=False, separators=(",", ":")
    )


def decode_addresses(text: str) -> tuple[Address, ...]:
    """Inverse of :func:`encode_addresses`; a damaged value reads as no addresses."""
    if not text:
        return ()
    try:
        return tuple(Address(str(name), str(email)) for name, email in json.loads(text))
    except (ValueError, TypeError):
        return ()


def _datetime(timestamp: object) -> datetime | None:
    if not isinstance(timestamp, int | float):
        return None
    try:
        return datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def summary_from_row(account: str, folder: str, row: Sequence[Any]) -> MessageSummary:
    """Build a MessageSummary from a row selected with ``SUMMARY_COLUMNS``."""
    (uid, flags, date, frm, to, cc, subject, size, msg_id, irt, refs, attach, validity) = row
    return MessageSummary(
        account=account,
        folder=folder,
        uid=int(uid),
        flags=frozenset(str(flags).split()),
        date=_datetime(date),
        from_=decode_addresses(str(frm)),
        to=decode_addresses(str(to)),
        cc=decode_addresses(str(cc)),
        subject=str(subject),
        size=int(size),
        message_id=str(msg_id),
        in_reply_to=str(irt),
        references=tuple(str(refs).split()),
        has_attachment=bool(attach),
        uidvalidity=int(validity),
    )


def sender_key(addresses: Sequence[Address]) -> str:
    """Sort key of a From list: the first display name, else its address, folded."""
    if not addresses:
        return ""
    return sort_fold(addresses[0].name or addresses[0].email)


def _index_text(addresses: Sequence[Address]) -> str:
    return " ".join(f"{a.name} {a.email}" for a in addresses)


def flags_text(flags: Iterable[str]) -> str:
    """Flags as stored: sorted and space-joined."""
    return " ".join(sorted(flags))


def summary_to_row(folder_id: int, s: MessageSummary) -> tuple[Any, ...]:
    """The ``summaries`` values for one summary, in ``_UPSERT`` column order."""
    return (
        folder_id,
        s.uid,
        s.uidvalidity,
        flags_text(s.flags),
        int(SEEN in s.flags),
        int(s.date.timestamp()) if s.date is not None else None,
        encode_addresses(s.from_),
        encode_addresses(s.to),
        encode_addresses(s.cc),
        s.subject,
        s.size,
        s.message_id,
        s.in_reply_to,
        " ".join(s.references),
        int(s.has_attachment),
        sender_key(s.from_),
        subject_key(s.subject),
    )


def index_row(s: MessageSummary) -> tuple[str, str, str, str]:
    """The search-index texts of one summary: subject, from, to, cc."""
    return (s.subject, _index_text(s.from_), _index_text(s.to), _index_text(s.cc))


_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The row with lone surrogates in its strings replaced by U+FFFD."""
    return tuple(
        _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value for value in row
    )
