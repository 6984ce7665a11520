"""A test double of ``MailService`` for the pure widget tests: a real MailCache, no IMAP.

It keeps mail in a real ``backend.cache.MailCache`` (SQLite in a temp dir) and
answers commands on one worker thread, announcing events through the
listener like the real service. It exists so the list, tree and undo logic can
be tested fast and deterministically (a fixed set of messages, a fixed clock);
the server-facing behaviour is tested against Dovecot and pymap elsewhere.
Use ``fail_next`` to make the next command fail as a server refusal would.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tui_mail.backend.api import (
    Command,
    CopyMessages,
    DeleteMessages,
    DeleteResult,
    EventListener,
    FetchBody,
    FlagsChanged,
    FolderCountsChanged,
    FoldersChanged,
    ListFolders,
    MessagesAdded,
    MessagesRemoved,
    MoveMessages,
    SearchMessages,
    SetFlags,
    SyncAll,
    SyncFolder,
    ViewOrder,
)
from tui_mail.backend.cache.search_view import SearchView
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.cache.views import CachedView
from tui_mail.backend.search.searcher import MessageSearch
from tui_mail.errors import MailError, NotFound, ServerError
from tui_mail.models import SEEN, Address, Folder, FolderRole, MessageSummary

NOW = datetime(2026, 3, 14, 15, 9, tzinfo=UTC)
"""The fixed clock of the UI tests."""

STANDARD_FOLDERS = (
    Folder("test", "INBOX", "/", FolderRole.INBOX),
    Folder("test", "Drafts", "/", FolderRole.DRAFTS),
    Folder("test", "Sent", "/", FolderRole.SENT),
    Folder("test", "Archive", "/", FolderRole.ARCHIVE),
    Folder("test", "Trash", "/", FolderRole.TRASH),
    Folder("test", "Lists", "/"),
    Folder("test", "Lists/python", "/"),
)


def make_summary(
    uid: int, *, folder: str = "INBOX", account: str = "test", **fields: Any
) -> MessageSummary:
    """A summary with plausible defaults: uid 200 is dated NOW, each uid below an hour older."""
    defaults: dict[str, Any] = {
        "date": NOW + timedelta(hours=uid - 200),
        "from_": (Address(f"Sender {uid}", f"sender{uid}@example.org"),),
        "to": (Address("Me", "me@example.org"),),
        "subject": f"Message number {uid}",
        "size": 1000 + uid,
        "message_id": f"<m{uid}@example.org>",
        "uidvalidity": 1,
    }
    defaults.update(fields)
    return MessageSummary(account, folder, uid, **defaults)


def raw_message(summary: MessageSummary, body: str = "") -> bytes:
    """A small RFC 5322 message matching a summary."""
    sender = summary.from_[0].formatted() if summary.from_ else "nobody@example.org"
    text = body or f"Hello, this is the body of message {summary.uid}.\n"
    return (
        f"From: {sender}\r\nTo: me@example.org\r\nSubject: {summary.subject}\r\n"
        f"Message-ID: {summary.message_id}\r\nDate: Sat, 14 Mar 2026 10:00:00 +0000\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"
    ).encode()


class CacheBackedService:
    """``MailService`` over a real MailCache and no server (see the module docstring)."""

    def __init__(self, path: Path, listener: EventListener, account: str = "test") -> None:
        self.listener = listener
        self.account = account
        self.cache = MailCache.open(path / f"{account}.sqlite3", account)
        self.cache.save_folders([dataclasses.replace(f, account=account) for f in STANDARD_FOLDERS])
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="double")
        self.fail_next: MailError | None = None
        self._uidnext: dict[str, int] = {}
        self.commands: list[Command] = []
        self.started = self.stopped = False
        self.search_gate: threading.Event | None = None
        """When set, local searches wait for it (to hold one in flight)."""
        self._searcher: MessageSearch | None = None

    # ------------------------------------------------------------------ filling

    def add(
        self,
        folder: str,
        summaries: Sequence[MessageSummary],
        bodies: dict[int, bytes] | None = None,
        *,
        store_bodies: bool = True,
    ) -> None:
        """Put messages in the cache (as a finished sync would); bodies are made up if not given."""
        self.cache.add_summaries(folder, summaries)
        top = max((s.uid for s in summaries), default=0)
        self._uidnext[folder] = max(self._uidnext.get(folder, 1), top + 1)
        for summary in summaries if store_bodies else ():
            raw = (bodies or {}).get(summary.uid) or raw_message(summary)
            self.cache.save_body(folder, summary.uid, raw)
        self._recount(folder)

    def _recount(self, folder: str) -> None:
        total, unread = self.cache.counts(folder)
        self.cache.set_counts(folder, total, unread)

    # ------------------------------------------------------------------ MailService

    @property
    def accounts(self) -> tuple[str, ...]:
        return (self.account,)

    def start(self) -> None:
        self.started = True

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped = True
        if self.search_gate is not None:
            self.search_gate.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._searcher is not None:
            self._searcher.close()

    def cached_folders(self, account: str) -> list[Folder]:
        return self.cache.folders()

    def set_password(self, account: str, password: str, remember: bool = False) -> None:
        pass

    def address_suggestions(self, account: str, text: str) -> list[Address]:
        return self.cache.addresses(text)

    def view(
        self, account: str, folder: str, order: ViewOrder, collapsed: frozenset[int] = frozenset()
    ) -> Future[CachedView]:
        return self._executor.submit(self.cache.open_view, folder, order, collapsed)

    def submit(self, command: Command) -> Future[Any]:
        self.commands.append(command)
        return self._executor.submit(self._run, command)

    def _run(self, command: Command) -> Any:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        handler = getattr(self, "_" + type(command).__name__, None)
        if handler is None:
            raise ServerError(f"{type(command).__name__} is not supported by the test double")
        return handler(command)

    def _ListFolders(self, command: ListFolders) -> list[Folder]:
        folders = self.cache.folders()
        self.listener(FoldersChanged(self.account, tuple(folders)))
        return folders

    def _SyncFolder(self, command: SyncFolder) -> Folder:
        return next(f for f in self.cache.folders() if f.name == command.folder)

    def _SyncAll(self, command: SyncAll) -> None:
        return None

    def _FetchBody(self, command: FetchBody) -> bytes:
        raw = self.cache.body(command.folder, command.uid)
        if raw is None:
            summary = self.cache.summary(command.folder, command.uid)
            if summary is None:
                raise NotFound("No such message", f"{command.folder} {command.uid}")
            raw = raw_message(summary)  # filled without bodies (the 100k-row tests)
        return raw

    def _SearchMessages(self, command: SearchMessages) -> SearchView:
        if self.search_gate is not None:
            self.search_gate.wait(10)
        if self._searcher is None:
            self._searcher = MessageSearch({self.account: self.cache.path}, zone=UTC)
        return self._searcher.local(command)

    def _SetFlags(self, command: SetFlags) -> None:
        current = self.cache.flags(command.folder)
        changed = {
            uid: (current[uid] | set(command.flags))
            if command.add
            else (current[uid] - set(command.flags))
            for uid in command.uids
            if uid in current
        }
        self.cache.set_flags(command.folder, changed)
        self._counts_changed(command.folder)
        self.listener(FlagsChanged(self.account, command.folder, changed))

    def _counts_changed(self, folder: str) -> None:
        self._recount(folder)
        total, unread = self.cache.counts(folder)
        self.listener(FolderCountsChanged(self.account, folder, total, unread))

    def _transfer(
        self, folder: str, uids: Sequence[int], dest: str, *, remove: bool
    ) -> dict[int, int]:
        # Like a server, never hand out a UID twice in a folder (UIDNEXT only grows).
        next_uid = max(self.cache.max_uid(dest) + 1, self._uidnext.get(dest, 1))
        moved: list[MessageSummary] = []
        uid_map: dict[int, int] = {}
        for uid in uids:
            summary = self.cache.summary(folder, uid)
            if summary is None:
                continue
            raw = self.cache.body(folder, uid) or b""
            new = dataclasses.replace(summary, folder=dest, uid=next_uid)
            self.cache.add_summaries(dest, [new])
            self.cache.save_body(dest, next_uid, raw)
            moved.append(new)
            uid_map[uid] = next_uid
            next_uid += 1
        self._uidnext[dest] = next_uid
        if remove:
            self.cache.remove_uids(folder, uid_map)
            self.listener(MessagesRemoved(self.account, folder, tuple(uid_map)))
            self._counts_changed(folder)
        self.listener(MessagesAdded(self.account, dest, tuple(moved)))
        self._counts_changed(dest)
        return uid_map

    def _MoveMessages(self, command: MoveMessages) -> dict[int, int]:
        return self._transfer(command.folder, command.uids, command.dest, remove=True)

    def _CopyMessages(self, command: CopyMessages) -> dict[int, int]:
        return self._transfer(command.folder, command.uids, command.dest, remove=False)

    def _DeleteMessages(self, command: DeleteMessages) -> DeleteResult:
        if command.folder == "Trash":
            self.cache.remove_uids(command.folder, command.uids)
            self.listener(MessagesRemoved(self.account, command.folder, command.uids))
            return DeleteResult(None)
        uid_map = self._transfer(command.folder, command.uids, "Trash", remove=True)
        return DeleteResult("Trash", uid_map)

    # ------------------------------------------------------------------ helpers for tests

    def flags_of(self, folder: str, uid: int) -> frozenset[str]:
        """The flags stored for a message (empty when it is not there)."""
        return self.cache.flags(folder).get(uid, frozenset())

    def is_seen(self, folder: str, uid: int) -> bool:
        """True when the message is stored as read."""
        return SEEN in self.flags_of(folder, uid)
