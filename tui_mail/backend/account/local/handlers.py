"""What each ``api.Command`` does on a POP3 account, whose folders exist only locally.

The counterpart of ``account/handlers.py`` for an account whose cache is its mail store
(``cache/local_store.py``): the same commands, answered with the same results
and the same events (``FlagsChanged``, ``MessagesAdded``/``MessagesRemoved``,
``FolderCountsChanged``), so the UI never asks which protocol an account speaks.
Only a fetch touches the server; it is the worker's (``local/worker.py``), called
for ``SyncAll`` (``$``, forced) and ``SyncFolder("INBOX")`` (unless one just ran).
Worker thread only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TypeVar, assert_never

from tui_mail.backend import api
from tui_mail.backend.account.handlers import run_command
from tui_mail.backend.account.sync import announce_counts
from tui_mail.backend.cache.local_store import LocalStore
from tui_mail.backend.cache.pop3_ledger import INBOX, Pop3Ledger
from tui_mail.backend.imap.folders import folder_with_role
from tui_mail.backend.pop3.fetcher import whole_message
from tui_mail.errors import MailError, NotFound
from tui_mail.models import DELETED, SEEN, Folder, FolderRole

R = TypeVar("R")

Emit = Callable[[api.BackendEvent], None]
Fetch = Callable[[bool], None]
"""Fetch new mail from the server (True: now, whatever; False: unless one just ran)."""


class LocalHandlers:
    """Runs each command against a POP3 account's local store."""

    def __init__(self, account: str, emit: Emit, fetch: Fetch) -> None:
        self.account = account
        self.emit = emit
        self.fetch = fetch
        self.cache_or_none: LocalStore | None = None
        """Set by the worker once it opened the store on its thread."""
        self.folders: tuple[Folder, ...] = ()
        """The local folder list (other threads read it: a tuple is replaced whole)."""

    @property
    def store(self) -> LocalStore:
        """The open store; ``MailError`` when it could not be opened."""
        if self.cache_or_none is None:
            raise MailError("the local mail store is not available")
        return self.cache_or_none

    def run(self, command: api.Command[R]) -> R:
        """Run ``command`` and return its result, of the type the command names."""
        return run_command(self.handle, command)

    def handle(self, command: api.AnyCommand) -> object:
        """Dispatch ``command`` (see ``api.commands`` for each result)."""
        match command:
            case api.ListFolders():
                return self.list_folders()
            case (
                api.CreateFolder() | api.RenameFolder() | api.DeleteFolder() | api.SubscribeFolder()
            ):
                raise MailError(
                    "a POP3 account has only its local folders",
                    "Inbox, Archive, Drafts, Sent and Trash; folders of your own need IMAP",
                )
            case api.SyncFolder(folder=folder):
                if folder.upper() == INBOX:
                    self.fetch(False)
                return self._counted(folder)
            case api.SyncAll():
                self.fetch(True)
                self.list_folders()
                return None
            case api.FetchBody():
                return self.fetch_body(command.folder, command.uid)
            case api.SetFlags():
                self.set_flags(command)
                return None
            case api.MoveMessages():
                return self.transfer(command.folder, command.uids, command.dest)
            case api.CopyMessages():
                return self.transfer(command.folder, command.uids, command.dest, copy=True)
            case api.DeleteMessages():
                return self.delete(command.folder, command.uids)
            case api.FolderUids():
                return self.folder_uids(command.folder, command.which)
            case api.ExpungeMessages():
                self.store.purge(command.folder, command.uids)
                self._removed(command.folder, command.uids)
                return len(command.uids)
            case api.AppendMessage():
                return self.append(command)
            case api.ServerSearch():
                # Every body of a POP3 account is local: the cache search found them all.
                return []
            case api.SearchMessages():
                raise MailError("unknown command", "SearchMessages is run by the service")
            case _:
                assert_never(command)

    # ------------------------------------------------------------ folders

    def list_folders(self) -> list[Folder]:
        """The local folders with counts from their rows; announced (``FoldersChanged``)."""
        store = self.store
        Pop3Ledger(store).ensure_folders()
        for folder in store.folders():
            total, unread = store.counts(folder.name)
            store.set_counts(folder.name, total, unread)
        folders = store.folders()
        self.folders = tuple(folders)
        self.emit(api.FoldersChanged(self.account, self.folders))
        return folders

    def _counted(self, name: str) -> Folder:
        """``name``'s Folder with counts fresh from its rows (announced)."""
        known = {f.name: f for f in self.folders or tuple(self.list_folders())}
        if name not in known:
            raise NotFound("no such folder", name)
        total, unread = self.store.counts(name)
        announce_counts(self.store, self.emit, self.account, name, (total, unread))
        base = known[name]
        return Folder(self.account, name, base.delimiter, base.role, unread, total, base.selectable)

    def _check_folder(self, name: str) -> None:
        if name not in {f.name for f in self.folders or tuple(self.list_folders())}:
            raise NotFound("no such folder", name)

    # ------------------------------------------------------------ messages

    def fetch_body(self, folder: str, uid: int) -> bytes:
        """The stored body; NotFound naming why one is not here."""
        raw = self.store.body(folder, uid)
        if raw is not None:
            return raw
        state = Pop3Ledger(self.store).state_at(folder, uid)
        if state == "headers":
            raise NotFound("the body is not downloaded yet", "it comes with the next fetch ($)")
        if state == "oversized":
            raise NotFound("the message is too big to download", "it stays on the server")
        raise NotFound("the message is not in the local store", f"{folder} UID {uid}")

    def set_flags(self, command: api.SetFlags) -> None:
        """Change flags on the stored rows; the UI gets them as ``FlagsChanged``."""
        known = self.store.flags_of(command.folder, command.uids)
        wanted = set(command.flags)
        changed = {
            uid: (flags | wanted) if command.add else (flags - wanted)
            for uid, flags in known.items()
        }
        self.store.set_flags(command.folder, changed)
        self.emit(api.FlagsChanged(self.account, command.folder, changed))
        announce_counts(self.store, self.emit, self.account, command.folder)

    def transfer(
        self, folder: str, uids: tuple[int, ...], dest: str, *, copy: bool = False
    ) -> dict[int, int]:
        """Move (or copy) to another local folder: old UID -> new UID (the undo uses it)."""
        self._check_folder(dest)
        mapping = self.store.transfer(folder, uids, dest, copy=copy)
        if not copy and mapping:
            self._removed(folder, tuple(mapping))
        self._added(dest, mapping.values())
        return mapping

    def delete(self, folder: str, uids: tuple[int, ...]) -> api.DeleteResult:
        """To Trash; inside Trash, for good (the server's copy goes as ``leave_on_server``
        says: only whole messages, only after QUIT, see ``pop3/fetcher.py``)."""
        trash = folder_with_role(self.folders, FolderRole.TRASH)
        if trash is not None and trash != folder:
            return api.DeleteResult(trash, self.transfer(folder, uids, trash))
        self.store.purge(folder, uids)
        self._removed(folder, uids)
        return api.DeleteResult(None)

    def folder_uids(self, folder: str, which: str) -> tuple[int, ...]:
        """The stored UIDs of ``folder``: all, the unread ones, or none marked deleted."""
        self._check_folder(folder)
        flags = self.store.flags(folder)
        if which == "unseen":
            return tuple(sorted(uid for uid, f in flags.items() if SEEN not in f))
        if which == "deleted":
            return tuple(sorted(uid for uid, f in flags.items() if DELETED in f))
        return tuple(sorted(flags))

    def append(self, command: api.AppendMessage) -> int:
        """Store a message (a sent copy, a draft) in a local folder; its UID."""
        self._check_folder(command.folder)
        summary, raw, text = whole_message(self.account, command.folder, 0, command.message)
        uid = self.store.append(replace(summary, flags=frozenset(command.flags)), raw, text)
        self._added(command.folder, [uid])
        return uid

    def _added(self, folder: str, uids: Iterable[int]) -> None:
        summaries = tuple(s for s in (self.store.summary(folder, uid) for uid in uids) if s)
        if summaries:
            self.emit(api.MessagesAdded(self.account, folder, summaries))
        announce_counts(self.store, self.emit, self.account, folder)

    def _removed(self, folder: str, uids: tuple[int, ...]) -> None:
        self.emit(api.MessagesRemoved(self.account, folder, uids))
        announce_counts(self.store, self.emit, self.account, folder)
