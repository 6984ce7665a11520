"""Folders that exist only in the cache file (a POP3 account's): UIDs, append, move, purge.

An IMAP account's folders belong to the server and its cache mirrors them; a
POP3 account's folders live only in its cache file, which is its mail store
(DESIGN.md section 11: never dropped). So here the cache itself hands out UIDs
(each folder's ``uidnext``, never reused: a UID once given stays taken, as
IMAP's do, so an old undo can never name another message) and moves messages
between folders. A move renames the rows (summary with its search entry, body)
in one transaction together with the POP3 ledger row that follows the message,
so a crash leaves it in one folder or the other, never in none or both.

Built on :class:`~tui_mail.backend.cache.action_queue.OfflineCache` for its row
copy (all columns, search text, body) and its reader-thread ``held_body``; a
local store never queues anything for a server. Worker thread only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from tui_mail.backend.cache.action_queue import OfflineCache
from tui_mail.backend.cache.bodies import guarded
from tui_mail.models import MessageSummary

#: The ledger's state of a message deleted here before its body was downloaded:
#: never downloaded (nor deleted from the server: only whole messages are).
DISCARDED = "discarded"


def allocate_uid(conn: sqlite3.Connection, folder: str) -> int:
    """Take the next free UID of ``folder`` (inside the caller's transaction).

    Above ``uidnext``, every cached UID and every UID the POP3 ledger gave out
    there, so no UID is ever handed out twice.
    """
    state = conn.execute("SELECT uidnext FROM folders WHERE name = ?", (folder,)).fetchone()
    in_folder = conn.execute(
        "SELECT max(s.uid) FROM summaries AS s JOIN folders AS f ON f.id = s.folder_id"
        " WHERE f.name = ?",
        (folder,),
    ).fetchone()
    in_ledger = conn.execute(
        "SELECT max(uid) FROM pop3_messages WHERE folder = ?", (folder,)
    ).fetchone()
    uid = max(
        int(state[0] or 1) if state else 1,
        int(in_folder[0] or 0) + 1,
        int(in_ledger[0] or 0) + 1,
    )
    if state is None:
        conn.execute("INSERT INTO folders (name) VALUES (?)", (folder,))
    conn.execute("UPDATE folders SET uidnext = ? WHERE name = ?", (uid + 1, folder))
    return uid


class LocalStore(OfflineCache):
    """An account cache whose folders are the mail store itself (see the module docstring)."""

    @guarded
    def append(self, summary: MessageSummary, raw: bytes, text: str = "") -> int:
        """Store a message (a sent copy, a draft) in ``summary.folder``; its new UID."""
        with self._transaction() as conn:
            uid = allocate_uid(conn, summary.folder)
        self.add_summaries(summary.folder, [replace(summary, uid=uid)])
        self.save_body(summary.folder, uid, raw, text)
        return uid

    @guarded
    def transfer(
        self, folder: str, uids: Sequence[int], dest: str, *, copy: bool = False
    ) -> dict[int, int]:
        """Move (or copy) messages to ``dest`` in one transaction: old UID -> new UID.

        A moved message's ledger row follows it, so a body downloaded later lands
        where the message is now. UIDs not held in ``folder`` are left out.
        """
        mapping: dict[int, int] = {}
        if folder == dest and not copy:
            return mapping
        with self._transaction() as conn:
            src, target = self._folder_id(folder), self._folder_id(dest)
            columns = ", ".join(self._columns())
            for uid in dict.fromkeys(uids):  # a UID named twice moves once
                held = conn.execute(
                    "SELECT 1 FROM summaries WHERE folder_id = ? AND uid = ?", (src, uid)
                ).fetchone()
                if held is None:
                    continue
                new = allocate_uid(conn, dest)
                mapping[uid] = new
                if copy:
                    self._copy_row(src, uid, target, new, columns)
                    continue
                for table in ("summaries", "bodies"):
                    conn.execute(
                        f"UPDATE {table} SET folder_id = ?, uid = ? WHERE folder_id = ? AND uid = ?",
                        (target, new, src, uid),
                    )
                conn.execute(
                    "UPDATE pop3_messages SET folder = ?, uid = ? WHERE folder = ? AND uid = ?",
                    (dest, new, folder, uid),
                )
        return mapping

    @guarded
    def purge(self, folder: str, uids: Sequence[int]) -> None:
        """Delete messages for good, here. Their ledger rows stay (never downloaded
        again) but point nowhere; one whose body never came is never fetched."""
        with self._transaction() as conn:
            folder_id = self._folder_id(folder)
            for uid in uids:
                for table in ("summaries", "bodies"):
                    conn.execute(
                        f"DELETE FROM {table} WHERE folder_id = ? AND uid = ?", (folder_id, uid)
                    )
                conn.execute(
                    "UPDATE pop3_messages SET state = CASE WHEN state = 'headers' THEN ?"
                    " ELSE state END, folder = '', uid = 0 WHERE folder = ? AND uid = ?",
                    (DISCARDED, folder, uid),
                )
