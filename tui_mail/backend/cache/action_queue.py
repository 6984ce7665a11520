"""The offline action queue: flag/move/copy/delete made while the server was out of reach.

:class:`OfflineCache` is the account's :class:`MailCache` plus the durable queue
(tables ``action_queue`` and ``provisional_uids``, schema version 4). Each
``queue_*`` call writes the action's row *and* applies it to the cached rows in
one transaction, so after a crash either both happened or neither did; the
worker answers the UI's Future only after that commit.

A message moved or copied offline gets a *provisional* UID in its new folder:
``PROVISIONAL_TOP - id`` of a ``provisional_uids`` row (AUTOINCREMENT: never
handed out twice, so an old undo can never name a different message). They sit
at the top of the 32-bit UID range, above :data:`PROVISIONAL_FLOOR`, because the
views and the sync pack UIDs as unsigned 32-bit numbers (a negative UID showed as
two empty rows); a server hands out UIDs from 1 upwards, and a folder whose
UIDNEXT reached the floor gets no provisional rows (the move then only removes
the source rows; the destination's sync brings the messages). Its row
in the cache moves (or is copied) under that UID, so the destination shows it
and later actions (a flag, the undo's reverse move) can name it. When the action
reaches the server, :meth:`finish` records the server's UID (0 when the server
gave none) and renames the cached row, in the same transaction that deletes the
queue row.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace

from tui_mail.backend.cache.bodies import guarded
from tui_mail.backend.cache.schema import flags_text
from tui_mail.backend.cache.store import MailCache
from tui_mail.models import SEEN

#: Provisional UIDs count down from here (the first is 2**32 - 1, the largest IMAP UID).
PROVISIONAL_TOP = 2**32
#: No provisional UID is below this (16 million of them can ever be handed out).
PROVISIONAL_FLOOR = PROVISIONAL_TOP - 2**24


def is_provisional(uid: int) -> bool:
    """True for a UID handed out offline (see the module docstring)."""
    return uid >= PROVISIONAL_FLOOR


#: The kinds of queued action (DeleteMessages becomes a move to Trash or an expunge).
KINDS = ("flags", "move", "copy", "expunge")


@dataclass(frozen=True)
class QueuedAction:
    """One queued action, as stored (``uids`` may hold provisional UIDs)."""

    kind: str
    folder: str
    uids: tuple[int, ...]
    uidvalidity: int = 0
    """The folder's UIDVALIDITY when queued (0: unknown); a change means the UIDs are void."""
    dest: str = ""
    flags: tuple[str, ...] = ()
    add: bool = True
    provisional: dict[int, int] = field(default_factory=dict)
    """Source UID -> provisional UID in ``dest`` (move and copy)."""
    message_ids: tuple[str, ...] = ()
    """Message-IDs of a copy, to tell after a crash whether the server copied already."""
    id: int = 0
    attempts: int = 0
    """Times it was sent to the server without the answer being recorded (0: never)."""

    def to_json(self) -> str:
        """The row's ``body`` (id and attempts live in their own columns)."""
        data = asdict(self)
        del data["id"], data["attempts"]
        data["provisional"] = [[k, v] for k, v in self.provisional.items()]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_row(cls, row_id: int, body: str, attempts: int) -> QueuedAction:
        """Read a stored row back."""
        data = json.loads(body)
        return cls(
            kind=str(data["kind"]),
            folder=str(data["folder"]),
            uids=tuple(int(u) for u in data["uids"]),
            uidvalidity=int(data.get("uidvalidity", 0)),
            dest=str(data.get("dest", "")),
            flags=tuple(str(f) for f in data.get("flags", ())),
            add=bool(data.get("add", True)),
            provisional={int(k): int(v) for k, v in data.get("provisional", ())},
            message_ids=tuple(str(m) for m in data.get("message_ids", ())),
            id=row_id,
            attempts=attempts,
        )


class OfflineCache(MailCache):
    """The account's cache with the durable offline action queue (worker thread only)."""

    def _columns(self) -> list[str]:
        rows = self._conn.execute("PRAGMA table_info(summaries)").fetchall()
        return [str(r[1]) for r in rows if r[1] not in ("id", "folder_id", "uid")]

    def _insert(self, action: QueuedAction) -> int:
        row = self._conn.execute(
            "INSERT INTO action_queue (body, attempts, queued_at) VALUES (?, ?, ?) RETURNING id",
            (action.to_json(), action.attempts, time.time()),
        ).fetchone()
        return int(row[0])

    def _allocate(self, dest: str, count: int) -> list[int] | None:
        """``count`` new provisional UIDs in ``dest``; None when it cannot take them."""
        state = self.folder_state(dest)
        if state is not None and state.uidnext >= PROVISIONAL_FLOOR:
            return None  # the server's own UIDs reach the provisional range here
        ids = [
            int(
                self._conn.execute(
                    "INSERT INTO provisional_uids (folder) VALUES (?) RETURNING id", (dest,)
                ).fetchone()[0]
            )
            for _ in range(count)
        ]
        if ids and PROVISIONAL_TOP - ids[-1] < PROVISIONAL_FLOOR:
            return None  # all 16 million used up: no provisional rows from now on
        return [PROVISIONAL_TOP - i for i in ids]

    def held_body(self, folder: str, uid: int) -> bytes | None:
        """The cached raw message, read on the calling thread's own read-only
        connection (any thread: the worker may be blocked on the network)."""
        rows = self._reader.query(
            "SELECT raw FROM bodies"
            " WHERE folder_id = (SELECT id FROM folders WHERE name = ?) AND uid = ?",
            (folder, uid),
        )
        return bytes(rows[0][0]) if rows else None

    # ------------------------------------------------------------------ queueing

    @guarded
    def queue_flags(
        self, action: QueuedAction, new_flags: Mapping[int, frozenset[str]]
    ) -> QueuedAction:
        """Queue a flag change and store ``new_flags`` on the cached rows, in one step."""
        with self._transaction() as conn:
            queued = replace(action, id=self._insert(action))
            folder_id = self._existing_folder_id(action.folder)
            if folder_id is not None:
                conn.executemany(
                    "UPDATE summaries SET flags = ?, seen = ? WHERE folder_id = ? AND uid = ?",
                    [
                        (flags_text(v), int(SEEN in v), folder_id, uid)
                        for uid, v in new_flags.items()
                    ],
                )
        return queued

    @guarded
    def queue_transfer(self, action: QueuedAction) -> QueuedAction:
        """Queue a move or copy; the cached rows move (copy: are copied) to ``dest``
        under provisional UIDs, returned in ``provisional``."""
        copy = action.kind == "copy"
        with self._transaction() as conn:
            src = self._folder_id(action.folder)
            dest = self._folder_id(action.dest)
            message_ids: tuple[str, ...] = ()
            if copy:
                marks = ",".join("?" * len(action.uids))
                message_ids = tuple(
                    str(r[0])
                    for r in conn.execute(
                        f"SELECT message_id FROM summaries WHERE folder_id = ? AND uid IN ({marks})",
                        (src, *action.uids),
                    )
                    if r[0]
                )
            uids = tuple(dict.fromkeys(action.uids))  # a UID named twice moves once
            allocated = self._allocate(action.dest, len(uids))
            provisional = dict(zip(uids, allocated, strict=True)) if allocated else {}
            queued = replace(action, provisional=provisional, message_ids=message_ids)
            queued = replace(queued, id=self._insert(queued))
            columns = ", ".join(self._columns())
            if allocated is None and not copy:  # no rows in dest: leave the source only
                for table in ("summaries", "bodies"):
                    conn.executemany(
                        f"DELETE FROM {table} WHERE folder_id = ? AND uid = ?",
                        [(src, uid) for uid in uids],
                    )
            for uid, new in provisional.items():
                if copy:
                    self._copy_row(src, uid, dest, new, columns)
                    continue
                for table in ("summaries", "bodies"):
                    conn.execute(
                        f"UPDATE {table} SET folder_id = ?, uid = ? WHERE folder_id = ? AND uid = ?",
                        (dest, new, src, uid),
                    )
        return queued

    def _copy_row(self, src: int, uid: int, dest: int, new: int, columns: str) -> None:
        conn = self._conn
        row = conn.execute(
            f"INSERT INTO summaries (folder_id, uid, {columns}) SELECT ?, ?, {columns}"
            " FROM summaries WHERE folder_id = ? AND uid = ? RETURNING id",
            (dest, new, src, uid),
        ).fetchone()
        if row is None:
            return  # not cached here: the destination's sync will bring it
        conn.execute(
            "INSERT INTO search (rowid, subject, from_text, to_text, cc_text, body)"
            " SELECT ?, subject, from_text, to_text, cc_text, body FROM search WHERE rowid ="
            " (SELECT id FROM summaries WHERE folder_id = ? AND uid = ?)",
            (int(row[0]), src, uid),
        )
        conn.execute(
            "INSERT OR REPLACE INTO bodies (folder_id, uid, raw)"
            " SELECT ?, ?, raw FROM bodies WHERE folder_id = ? AND uid = ?",
            (dest, new, src, uid),
        )

    @guarded
    def queue_expunge(self, action: QueuedAction) -> QueuedAction:
        """Queue a delete-for-good; the cached rows go at once."""
        with self._transaction() as conn:
            queued = replace(action, id=self._insert(action))
            folder_id = self._existing_folder_id(action.folder)
            if folder_id is not None:
                for table in ("summaries", "bodies"):
                    conn.executemany(
                        f"DELETE FROM {table} WHERE folder_id = ? AND uid = ?",
                        [(folder_id, uid) for uid in action.uids],
                    )
        return queued

    # ------------------------------------------------------------------ replaying

    @guarded
    def pending_actions(self) -> list[QueuedAction]:
        """Every queued action, oldest first."""
        rows = self._conn.execute(
            "SELECT id, body, attempts FROM action_queue ORDER BY id"
        ).fetchall()
        return [QueuedAction.from_row(int(i), str(b), int(a)) for i, b, a in rows]

    @guarded
    def has_pending(self) -> bool:
        """True while some action waits for the server."""
        return self._conn.execute("SELECT 1 FROM action_queue LIMIT 1").fetchone() is not None

    @guarded
    def pending_count(self) -> int:
        """How many actions wait for the server."""
        return int(self._conn.execute("SELECT count(*) FROM action_queue").fetchone()[0])

    @guarded
    def mark_attempt(self, action_id: int) -> None:
        """Record, before sending, that the action may reach the server (crash safety)."""
        self._conn.execute(
            "UPDATE action_queue SET attempts = attempts + 1 WHERE id = ?", (action_id,)
        )

    @guarded
    def finish(self, action: QueuedAction, real: Mapping[int, int]) -> dict[int, int]:
        """The server did ``action``: drop its row, record the real UIDs of its
        provisional ones (``real``: source UID -> server UID), rename the cached rows.

        One transaction. Returns provisional -> real UID for the rows renamed.
        """
        renamed: dict[int, int] = {}
        with self._transaction() as conn:
            conn.execute("DELETE FROM action_queue WHERE id = ?", (action.id,))
            dest = self._existing_folder_id(action.dest) if action.dest else None
            for source, provisional in action.provisional.items():
                uid = real.get(source, 0)
                conn.execute(
                    "UPDATE provisional_uids SET uid = ? WHERE id = ?",
                    (uid, PROVISIONAL_TOP - provisional),
                )
                if dest is None:
                    continue
                if uid <= 0:
                    continue  # purged with the other unresolved rows, then resynced
                taken = conn.execute(
                    "SELECT 1 FROM summaries WHERE folder_id = ? AND uid = ?", (dest, uid)
                ).fetchone()
                for table in ("summaries", "bodies"):
                    if taken:
                        conn.execute(
                            f"DELETE FROM {table} WHERE folder_id = ? AND uid = ?",
                            (dest, provisional),
                        )
                    else:
                        conn.execute(
                            f"UPDATE {table} SET uid = ? WHERE folder_id = ? AND uid = ?",
                            (uid, dest, provisional),
                        )
                renamed[provisional] = uid
        return renamed

    @guarded
    def resolve(self, folder: str, uids: Sequence[int]) -> dict[int, int]:
        """UID as named -> the server's UID now; provisional UIDs not (yet) known are left out."""
        found: dict[int, int] = {}
        for uid in uids:
            if not is_provisional(uid):
                found[uid] = uid
                continue
            row = self._conn.execute(
                "SELECT uid FROM provisional_uids WHERE id = ? AND folder = ?",
                (PROVISIONAL_TOP - uid, folder),
            ).fetchone()
            if row is None:  # never handed out in this folder: the server's own UID
                found[uid] = uid
            elif row[0]:
                found[uid] = int(row[0])
        return found

    @guarded
    def provisional_rows(self) -> dict[str, list[int]]:
        """Folder -> cached provisional UIDs (rows whose server UID is not known)."""
        rows = self._conn.execute(
            "SELECT f.name, s.uid FROM summaries AS s JOIN folders AS f ON f.id = s.folder_id"
            " WHERE s.uid >= ? ORDER BY f.name, s.uid",
            (PROVISIONAL_FLOOR,),
        ).fetchall()
        result: dict[str, list[int]] = {}
        for name, uid in rows:
            result.setdefault(str(name), []).append(int(uid))
        return result
