"""What each ``api.Command`` does, run on the account worker's thread.

Kept apart from ``worker.py`` so the thread/reconnect machinery and the IMAP
semantics of each command can be read (and changed) separately.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui_mail.backend import api
from tui_mail.backend.account.sync import FolderSync
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.imap.folders import build_folders, folder_with_role
from tui_mail.errors import MailError, NotFound
from tui_mail.models import Folder, FolderRole

if TYPE_CHECKING:
    from tui_mail.backend.account.worker import AccountWorker


class CommandHandlers:
    """Dispatches commands to ``do_<CommandName>`` methods using the worker's session."""

    def __init__(self, worker: AccountWorker) -> None:
        self.worker = worker
        self.account = worker.account.name

    def handle(self, command: api.Command) -> Any:
        """Run ``command`` and return its result (see ``api.py`` for each type)."""
        method = getattr(self, f"do_{type(command).__name__}", None)
        if method is None:
            raise MailError("unknown command", type(command).__name__)
        return method(command)

    @property
    def cache(self) -> MailCache:
        if self.worker.cache is None:
            raise MailError("the mail cache is not available")
        return self.worker.cache

    def _role_folder(self, role: FolderRole) -> str | None:
        return folder_with_role(self.worker.folders, role)

    # ------------------------------------------------------------ folders

    def do_ListFolders(self, command: api.ListFolders) -> list[Folder]:
        session = self.worker.session()
        listing, counts = session.list_folders()
        folders = build_folders(self.account, listing, counts, self.worker.account.folders)
        self.cache.save_folders(folders)
        self.worker.folders = tuple(folders)
        self.worker.emit(api.FoldersChanged(self.account, tuple(folders)))
        return folders

    def do_CreateFolder(self, command: api.CreateFolder) -> None:
        self.worker.session().create_folder(command.name)
        self.do_ListFolders(api.ListFolders(self.account))

    def do_RenameFolder(self, command: api.RenameFolder) -> None:
        self.worker.session().rename_folder(command.name, command.new_name)
        self.do_ListFolders(api.ListFolders(self.account))

    def do_DeleteFolder(self, command: api.DeleteFolder) -> None:
        self.worker.session().delete_folder(command.name)
        self.do_ListFolders(api.ListFolders(self.account))

    # ------------------------------------------------------------ syncing

    def do_SyncFolder(self, command: api.SyncFolder) -> Folder:
        session = self.worker.session()
        if command.folder not in self.worker.open_folders:
            self.worker.open_folders.append(command.folder)
        result = FolderSync(
            session,
            self.cache,
            self.account,
            command.folder,
            self.worker.emit,
            between_batches=self.worker.run_waiting_user_jobs,
        ).run()
        known = {f.name: f for f in self.worker.folders}
        base = known.get(command.folder, Folder(self.account, command.folder))
        folder = Folder(
            self.account,
            base.name,
            base.delimiter,
            base.role,
            result.unread,
            result.total,
            base.selectable,
        )
        if command.folder in known:
            self.worker.folders = tuple(
                folder if f.name == command.folder else f for f in self.worker.folders
            )
        return folder

    def do_SyncAll(self, command: api.SyncAll) -> None:
        self.do_ListFolders(api.ListFolders(self.account))
        wanted = ["INBOX", *(f for f in self.worker.open_folders if f != "INBOX")]
        names = {f.name for f in self.worker.folders}
        for name in wanted:
            if name in names:
                self.do_SyncFolder(api.SyncFolder(self.account, name))

    # ------------------------------------------------------------ messages

    def do_FetchBody(self, command: api.FetchBody) -> bytes:
        cached = self.cache.body(command.folder, command.uid)
        if cached is not None:
            return cached
        session = self.worker.session()
        session.ensure_selected(command.folder)
        data = session.fetch([command.uid], ["BODY.PEEK[]"])
        raw = data.get(command.uid, {}).get(b"BODY[]")
        if not isinstance(raw, bytes):
            raise NotFound("the message is no longer on the server", f"UID {command.uid}")
        self.cache.save_body(command.folder, command.uid, raw)
        # Index the body text for local search after answering (parsing may be slow).
        self.worker.submit_call(lambda: self._index_body(command.folder, command.uid, raw))
        return raw

    def _index_body(self, folder: str, uid: int, raw: bytes) -> None:
        from tui_mail.backend.account.indexer import body_text

        text = body_text(raw)
        if text:
            self.cache.save_body(folder, uid, raw, text)

    def do_SetFlags(self, command: api.SetFlags) -> None:
        session = self.worker.session()
        session.ensure_selected(command.folder)
        reported = session.store_flags(command.uids, command.flags, command.add)
        known = self.cache.flags(command.folder)
        changed: dict[int, frozenset[str]] = {}
        for uid in command.uids:
            if uid in reported:
                changed[uid] = reported[uid]
            elif uid in known:  # server sent no FETCH back: compute it ourselves
                old = known[uid]
                changed[uid] = old | set(command.flags) if command.add else old - set(command.flags)
        self.cache.set_flags(command.folder, changed)
        self.worker.emit(api.FlagsChanged(self.account, command.folder, changed))
        self._announce_counts(command.folder)

    def _announce_counts(self, folder: str) -> None:
        total, unread = self.cache.counts(folder)
        self.cache.set_counts(folder, total, unread)
        self.worker.emit(api.FolderCountsChanged(self.account, folder, total, unread))

    def _removed(self, folder: str, uids: tuple[int, ...]) -> None:
        self.cache.remove_uids(folder, uids)
        self.worker.emit(api.MessagesRemoved(self.account, folder, uids))
        self._announce_counts(folder)

    def do_MoveMessages(self, command: api.MoveMessages) -> dict[int, int]:
        session = self.worker.session()
        session.ensure_selected(command.folder)
        uid_map = session.move(command.uids, command.dest)
        self._removed(command.folder, command.uids)
        return uid_map

    def do_CopyMessages(self, command: api.CopyMessages) -> dict[int, int]:
        session = self.worker.session()
        session.ensure_selected(command.folder)
        return session.copy(command.uids, command.dest)

    def do_DeleteMessages(self, command: api.DeleteMessages) -> api.DeleteResult:
        session = self.worker.session()
        session.ensure_selected(command.folder)
        trash = self._role_folder(FolderRole.TRASH)
        if trash is not None and trash != command.folder:
            uid_map = session.move(command.uids, trash)
            self._removed(command.folder, command.uids)
            return api.DeleteResult(trash, uid_map)
        session.expunge_exactly(command.uids)
        self._removed(command.folder, command.uids)
        return api.DeleteResult(None)

    def do_AppendMessage(self, command: api.AppendMessage) -> int | None:
        return self.worker.session().append(command.folder, command.message, command.flags)

    def do_ServerSearch(self, command: api.ServerSearch) -> list[int]:
        session = self.worker.session()
        session.ensure_selected(command.folder)
        return session.search(command.criteria)
