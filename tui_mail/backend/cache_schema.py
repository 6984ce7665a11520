"""The cache's SQLite schema and its migrations.

``MIGRATIONS[i]`` takes a database at version ``i`` to version ``i + 1``; the
version lives in the one-row ``schema_version`` table. Each step is a callable
so a step can backfill columns with Python (e.g. the sort keys).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from tui_mail.errors import MailError
from tui_mail.mail.threads import subject_key

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


def sender_key(from_addrs: str) -> str:
    """Sort key of a serialised From list: first display name, else address, case-folded."""
    if not from_addrs:
        return ""
    try:
        first = json.loads(from_addrs)[0]
        return str(first[0] or first[1]).casefold()
    except (ValueError, IndexError, TypeError):
        return ""


def _v2(conn: sqlite3.Connection) -> None:
    """Sort keys for sender and subject, so views sort in SQL on an index."""
    conn.execute("ALTER TABLE summaries ADD COLUMN sender_key TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE summaries ADD COLUMN subject_key TEXT NOT NULL DEFAULT ''")
    rows = conn.execute("SELECT id, from_addrs, subject FROM summaries").fetchall()
    conn.executemany(
        "UPDATE summaries SET sender_key = ?, subject_key = ? WHERE id = ?",
        [(sender_key(frm), subject_key(subj), row_id) for row_id, frm, subj in rows],
    )
    run_script(
        conn,
        """
        CREATE INDEX summaries_sender ON summaries (folder_id, sender_key, uid);
        CREATE INDEX summaries_subject ON summaries (folder_id, subject_key, uid);
        CREATE INDEX summaries_size ON summaries (folder_id, size, uid);
        """,
    )


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: tuple[Migration, ...] = (_v1, _v2)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's version; 0 for a new (empty) file."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema up to ``target``, each step in its own transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``).

    Raises ``MailError`` for a file written by a newer tui-mail (we cannot read it
    safely, and silently dropping it would surprise). Returns the version reached.
    """
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise MailError(
            "The mail cache was written by a newer tui-mail",
            f"schema version {version}, this version knows up to {SCHEMA_VERSION}",
        )
    while version < target:
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version](conn)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version + 1,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        version += 1
    return version
