"""The per-account SQLite cache: folders, summaries, flags, bodies, FTS5 index.

One file per account, WAL mode, mode 0600 (it holds mail). A ``MailCache`` is
written by one thread at a time (the account worker); ``open_view`` and
``search`` read through read-only connections of their own, one per reading
thread (see ``backend/cache/views.py``), so the UI can window through a folder while
the worker writes. Schema, migrations and the row format live in
``backend/cache/schema.py``; bodies, full-text search and address lookups in
``backend/cache/bodies.py`` (a mixin). Every SQLite failure surfaces as ``MailError``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tui_mail.backend.api import ViewOrder
from tui_mail.backend.cache.bodies import BodiesAndLookups, guarded
from tui_mail.backend.cache.schema import (
    INDEX_SUMMARY,
    SUMMARY_COLUMNS,
    UPSERT_SUMMARY,
    create_private,
    enable_wal,
    flags_text,
    index_row,
    migrate,
    summary_from_row,
    summary_to_row,
    uid_chunks,
    write_rows,
)
from tui_mail.backend.cache.views import CachedView, ReadConnection, build_view
from tui_mail.errors import MailError
from tui_mail.models import SEEN, Folder, FolderRole, MessageSummary


@dataclass(frozen=True)
class FolderState:
    """What the server told us about a folder at the last sync."""

    uidvalidity: int
    uidnext: int = 0
    highestmodseq: int = 0


class MailCache(BodiesAndLookups):
    """One account's cache file: folders with sync state, summaries, bodies, search.

    Folders are named by their decoded name. Writes are one transaction per call
    (a batch of summaries lands whole or not at all). Typical use by a sync::

        cache = MailCache.open(path, account="work")
        if (cache.folder_state("INBOX") or FolderState(0)).uidvalidity != server_validity:
            cache.reset_folder("INBOX")
        cache.add_summaries("INBOX", batch)          # upsert by (folder, uid)
        cache.set_folder_state("INBOX", FolderState(server_validity, uidnext, modseq))
        view = cache.open_view("INBOX", ViewOrder())  # any thread
        rows = view.rows(0, 60)
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, account: str) -> None:
        self.path = path
        self.account = account
        self._conn = conn
        self._folder_ids: dict[str, int] = {}
        self._reader = ReadConnection(path)

    @classmethod
    def open(cls, path: Path, account: str = "") -> MailCache:
        """Open (creating and migrating as needed) the cache at ``path``.

        ``account`` names the account in the summaries read back; it defaults to
        the file's stem. Raises ``MailError`` when the file is not a usable cache.
        """
        path = Path(path)
        try:
            create_private(path)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise MailError("Cannot open the mail cache", f"{path}: {exc}") from exc
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA cache_size = -1024")
            migrate(conn)
        except sqlite3.OperationalError as exc:
            conn.close()
            raise MailError("Cannot open the mail cache", f"{path}: {exc}") from exc
        except sqlite3.Error as exc:
            conn.close()
            raise MailError("The mail cache is damaged", f"{path}: {exc}") from exc
        except MailError:
            conn.close()
            raise
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.chmod(side, 0o600)
        return cls(path, conn, account or path.stem)

    def close(self) -> None:
        """Close both connections. Views opened from this cache stop working."""
        self._reader.close()
        self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _existing_folder_id(self, folder: str) -> int | None:
        cached = self._folder_ids.get(folder)
        if cached is not None:
            return cached
        row = self._conn.execute("SELECT id FROM folders WHERE name = ?", (folder,)).fetchone()
        if row is None:
            return None
        self._folder_ids[folder] = int(row[0])
        return self._folder_ids[folder]

    def _folder_id(self, folder: str) -> int:
        """The folder's row id, adding an unlisted row for a folder not saved yet."""
        existing = self._existing_folder_id(folder)
        if existing is not None:
            return existing
        row = self._conn.execute(
            "INSERT INTO folders (name) VALUES (?) RETURNING id", (folder,)
        ).fetchone()
        self._folder_ids[folder] = int(row[0])
        return self._folder_ids[folder]

    # ------------------------------------------------------------------ folders

    @guarded
    def save_folders(self, folders: Sequence[Folder]) -> None:
        """Replace the known folder set, in this order, with the counts given.

        Rows of folders still present are kept; vanished folders lose their rows.
        """
        names = [folder.name for folder in folders]
        with self._transaction() as conn:
            for position, folder in enumerate(folders):
                conn.execute(
                    "INSERT INTO folders (name, position, delimiter, role, selectable, total,"
                    " unread) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                    " position = excluded.position, delimiter = excluded.delimiter,"
                    " role = excluded.role, selectable = excluded.selectable,"
                    " total = excluded.total, unread = excluded.unread",
                    (
                        folder.name,
                        position,
                        folder.delimiter,
                        str(folder.role),
                        int(folder.selectable),
                        folder.total,
                        folder.unread,
                    ),
                )
            marks = ",".join("?" * len(names))
            conn.execute(f"DELETE FROM folders WHERE name NOT IN ({marks})", names)
        self._folder_ids.clear()

    @guarded
    def folders(self) -> list[Folder]:
        """The saved folder list, in saved order, with stored counts."""
        rows = self._conn.execute(
            "SELECT name, delimiter, role, unread, total, selectable FROM folders"
            " WHERE position IS NOT NULL ORDER BY position"
        ).fetchall()
        result = []
        for name, delimiter, role, unread, total, selectable in rows:
            try:
                folder_role = FolderRole(role)
            except ValueError:
                folder_role = FolderRole.NONE
            result.append(
                Folder(self.account, name, delimiter, folder_role, unread, total, bool(selectable))
            )
        return result

    @guarded
    def set_counts(self, folder: str, total: int, unread: int) -> None:
        """Store the server's counts for a folder."""
        folder_id = self._folder_id(folder)
        self._conn.execute(
            "UPDATE folders SET total = ?, unread = ? WHERE id = ?", (total, unread, folder_id)
        )

    @guarded
    def folder_state(self, folder: str) -> FolderState | None:
        """UIDVALIDITY/UIDNEXT/HIGHESTMODSEQ from the last sync, or None if never synced."""
        row = self._conn.execute(
            "SELECT uidvalidity, uidnext, highestmodseq FROM folders WHERE name = ?", (folder,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return FolderState(int(row[0]), int(row[1]), int(row[2]))

    @guarded
    def set_folder_state(self, folder: str, state: FolderState) -> None:
        """Remember the folder's sync state."""
        folder_id = self._folder_id(folder)
        self._conn.execute(
            "UPDATE folders SET uidvalidity = ?, uidnext = ?, highestmodseq = ? WHERE id = ?",
            (state.uidvalidity, state.uidnext, state.highestmodseq, folder_id),
        )

    @guarded
    def reset_folder(self, folder: str) -> None:
        """Drop a folder's summaries, bodies, index entries and sync state (UIDVALIDITY changed)."""
        folder_id = self._existing_folder_id(folder)
        if folder_id is None:
            return
        with self._transaction() as conn:
            conn.execute("DELETE FROM summaries WHERE folder_id = ?", (folder_id,))
            conn.execute("DELETE FROM bodies WHERE folder_id = ?", (folder_id,))
            conn.execute(
                "UPDATE folders SET uidvalidity = NULL, uidnext = 0, highestmodseq = 0"
                " WHERE id = ?",
                (folder_id,),
            )

    # ------------------------------------------------------------------ summaries

    @guarded
    def add_summaries(self, folder: str, summaries: Sequence[MessageSummary]) -> None:
        """Insert or update summaries by (folder, uid), and index them, in one transaction."""
        if not summaries:
            return
        with self._transaction() as conn:
            folder_id = self._folder_id(folder)
            uids = [summary.uid for summary in summaries]
            existed = self._row_ids(folder_id, uids)
            write_rows(conn, UPSERT_SUMMARY, [summary_to_row(folder_id, s) for s in summaries])
            row_ids = self._row_ids(folder_id, uids)
            # Re-adding a summary keeps the body text already indexed for it.
            bodies: dict[int, str] = {}
            for row_id in existed.values():
                for (body,) in conn.execute("SELECT body FROM search WHERE rowid = ?", (row_id,)):
                    bodies[row_id] = body
            write_rows(
                conn,
                INDEX_SUMMARY,
                [
                    (row_ids[s.uid], *index_row(s), bodies.get(row_ids[s.uid], ""))
                    for s in summaries
                ],
            )

    def _row_ids(self, folder_id: int, uids: Sequence[int]) -> dict[int, int]:
        """UID -> summaries row id for those of ``uids`` that are cached."""
        found: dict[int, int] = {}
        for marks, chunk in uid_chunks(uids):
            found.update(
                self._conn.execute(
                    f"SELECT uid, id FROM summaries WHERE folder_id = ? AND uid IN ({marks})",
                    (folder_id, *chunk),
                )
            )
        return found

    @guarded
    def known_uids(self, folder: str, uids: Iterable[int]) -> set[int]:
        """Those of ``uids`` that are cached in ``folder``."""
        folder_id = self._existing_folder_id(folder)
        if folder_id is None:
            return set()
        return set(self._row_ids(folder_id, sorted(set(uids))))

    @guarded
    def uids(self, folder: str) -> list[int]:
        """All cached UIDs of a folder, ascending."""
        return [
            row[0]
            for row in self._conn.execute(
                "SELECT s.uid FROM summaries AS s JOIN folders AS f ON f.id = s.folder_id"
                " WHERE f.name = ? ORDER BY s.uid",
                (folder,),
            )
        ]

    @guarded
    def remove_uids(self, folder: str, uids: Iterable[int]) -> None:
        """Forget messages (expunged): their summaries, bodies and index entries."""
        folder_id = self._existing_folder_id(folder)
        if folder_id is None:
            return
        pairs = [(folder_id, uid) for uid in uids]
        with self._transaction() as conn:
            conn.executemany("DELETE FROM summaries WHERE folder_id = ? AND uid = ?", pairs)
            conn.executemany("DELETE FROM bodies WHERE folder_id = ? AND uid = ?", pairs)

    @guarded
    def set_flags(self, folder: str, flags: Mapping[int, frozenset[str]]) -> None:
        """Replace the flags of cached messages (unknown UIDs are ignored)."""
        folder_id = self._existing_folder_id(folder)
        if folder_id is None:
            return
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE summaries SET flags = ?, seen = ? WHERE folder_id = ? AND uid = ?",
                [
                    (flags_text(value), int(SEEN in value), folder_id, uid)
                    for uid, value in flags.items()
                ],
            )

    @guarded
    def flags(self, folder: str) -> dict[int, frozenset[str]]:
        """UID -> flags for every cached message of a folder."""
        rows = self._conn.execute(
            "SELECT s.uid, s.flags FROM summaries AS s JOIN folders AS f ON f.id = s.folder_id"
            " WHERE f.name = ?",
            (folder,),
        )
        # A folder has few distinct flag sets: share one frozenset per set.
        shared: dict[str, frozenset[str]] = {}
        result: dict[int, frozenset[str]] = {}
        for uid, text in rows:
            flags = shared.get(text)
            if flags is None:
                flags = shared[text] = frozenset(text.split())
            result[uid] = flags
        return result

    @guarded
    def flags_of(self, folder: str, uids: Sequence[int]) -> dict[int, frozenset[str]]:
        """UID -> flags of those of ``uids`` that are cached (a sync compares a chunk at
        a time, so a 100,000-message folder's flags are never all in memory at once)."""
        folder_id = self._existing_folder_id(folder)
        if folder_id is None:
            return {}
        result: dict[int, frozenset[str]] = {}
        for marks, chunk in uid_chunks(uids):
            rows = self._conn.execute(
                f"SELECT uid, flags FROM summaries WHERE folder_id = ? AND uid IN ({marks})",
                (folder_id, *chunk),
            )
            result.update((uid, frozenset(text.split())) for uid, text in rows)
        return result

    @guarded
    def summary(self, folder: str, uid: int) -> MessageSummary | None:
        """One cached summary, or None."""
        row = self._conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM summaries"
            " WHERE folder_id = (SELECT id FROM folders WHERE name = ?) AND uid = ?",
            (folder, uid),
        ).fetchone()
        return summary_from_row(self.account, folder, row) if row else None

    @guarded
    def message_ids(self, folder: str, uids: Sequence[int]) -> list[str]:
        """The Message-IDs of those of ``uids`` that are cached (empty ones left out)."""
        folder_id = self._existing_folder_id(folder)
        found: list[str] = []
        for marks, chunk in uid_chunks(uids) if folder_id is not None else ():
            rows = self._conn.execute(
                f"SELECT message_id FROM summaries WHERE folder_id = ? AND uid IN ({marks})"
                " AND message_id != ''",
                (folder_id, *chunk),
            )
            found.extend(message_id for (message_id,) in rows)
        return found

    @guarded
    def counts(self, folder: str) -> tuple[int, int]:
        """(total, unread) counted from the cached rows."""
        row = self._conn.execute(
            "SELECT count(*), count(*) - coalesce(sum(seen), 0) FROM summaries"
            " WHERE folder_id = (SELECT id FROM folders WHERE name = ?)",
            (folder,),
        ).fetchone()
        return int(row[0]), int(row[1])

    @guarded
    def max_uid(self, folder: str) -> int:
        """The highest cached UID of a folder; 0 when none."""
        row = self._conn.execute(
            "SELECT max(uid) FROM summaries"
            " WHERE folder_id = (SELECT id FROM folders WHERE name = ?)",
            (folder,),
        ).fetchone()
        return int(row[0] or 0)

    def open_view(
        self, folder: str, order: ViewOrder, collapsed: frozenset[int] = frozenset()
    ) -> CachedView:
        """A windowed snapshot of a folder in ``order`` (any thread may call this).

        In threaded order, root UIDs in ``collapsed`` show with their replies folded.
        """
        return build_view(self._reader, self.account, folder, order, collapsed)
