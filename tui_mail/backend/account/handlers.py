"""What each ``api.Command`` does, run on the account worker's thread.

Kept apart from ``worker.py`` so the thread/reconnect machinery and the IMAP
semantics of each command can be read (and changed) separately. The handlers
see their account through an :class:`AccountContext` only. :meth:`CommandHandlers.
handle` is one ``match`` over ``api.AnyCommand`` ending in ``assert_never``, so
mypy proves every command has a branch.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar, assert_never, cast, get_args

from tui_mail.backend import api
from tui_mail.backend.account.bodies import fetch_bodies, index_body
from tui_mail.backend.account.context import AccountContext
from tui_mail.backend.account.server_hits import search_with_summaries
from tui_mail.backend.account.sync import FolderSync, announce_counts
from tui_mail.backend.api.commands import FOLDER_UID_KINDS
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.imap.folders import build_folders, folder_with_role
from tui_mail.errors import MailError, NotFound, ServerError
from tui_mail.models import Folder, FolderRole

R = TypeVar("R")

#: The classes of ``api.AnyCommand``, for the run-time check in :meth:`CommandHandlers.run`.
COMMAND_TYPES: tuple[type[api.Command[object]], ...] = get_args(api.AnyCommand)


def run_command(handle: Callable[[api.AnyCommand], object], command: api.Command[R]) -> R:
    """``handle(command)`` for a known command class (else MailError), typed as its result."""
    if not isinstance(command, COMMAND_TYPES):
        raise MailError("unknown command", type(command).__name__)
    # Each branch of handle returns the R its command class names; mypy cannot
    # tie a match branch to R, so that is checked by tests/unit/test_handlers.py.
    return cast(R, handle(cast(api.AnyCommand, command)))


class CommandHandlers:
    """Runs each command against the context's session and cache."""

    def __init__(self, context: AccountContext) -> None:
        self.context = context
        self.account = context.name

    def run(self, command: api.Command[R]) -> R:
        """Run ``command`` and return its result, of the type the command names."""
        return run_command(self.handle, command)

    def handle(self, command: api.AnyCommand) -> object:
        """Dispatch ``command`` to its handler (see ``api.commands`` for each result)."""
        match command:
            case api.ListFolders():
                return self.list_folders()
            case api.CreateFolder(name=name):
                self.context.session().create_folder(name)
                self.list_folders()
                return None
            case api.RenameFolder(name=name, new_name=new_name):
                self.context.session().rename_folder(name, new_name)
                self.list_folders()
                return None
            case api.DeleteFolder(name=name):
                self.context.session().delete_folder(name)
                self.list_folders()
                return None
            case api.SubscribeFolder(name=name, subscribe=subscribe):
                self.context.session().subscribe_folder(name, subscribe)
                return None
            case api.FolderUids():
                return self.folder_uids(command.folder, command.which)
            case api.ExpungeMessages():
                return self.expunge(command.folder, command.uids)
            case api.SyncFolder(folder=folder):
                return self.sync_folder(folder)
            case api.SyncAll():
                self.sync_all()
                return None
            case api.FetchBody():
                return self.fetch_body(command)
            case api.SetFlags():
                self.set_flags(command)
                return None
            case api.MoveMessages():
                return self.move(command)
            case api.CopyMessages():
                return self.copy(command.folder, command.uids, command.dest)
            case api.DeleteMessages():
                return self.delete(command)
            case api.AppendMessage():
                session = self.context.session()
                return session.append(command.folder, command.message, command.flags)
            case api.ServerSearch():
                return search_with_summaries(
                    self.context.session(),
                    self.cache,
                    self.context.emit,
                    self.account,
                    command.folder,
                    command.criteria,
                )
            case api.SearchMessages():
                # The service runs searches on its own pool (they read every cache).
                raise MailError("unknown command", "SearchMessages is run by the service")
            case _:
                assert_never(command)

    @property
    def cache(self) -> MailCache:
        """The account's cache (``MailError`` when it is unusable)."""
        return self.context.cache

    # ------------------------------------------------------------ folders

    def list_folders(self) -> list[Folder]:
        """LIST with counts; stores and announces the list (``FoldersChanged``)."""
        session = self.context.session()
        listing, counts = session.list_folders()
        folders = build_folders(self.account, listing, counts, self.context.account.folders)
        self.cache.save_folders(folders)
        self.context.folders = tuple(folders)
        self.context.emit(api.FoldersChanged(self.account, tuple(folders)))
        return folders

    # ------------------------------------------------------------ syncing

    def sync_folder(self, name: str) -> Folder:
        """Sync one folder (yielding to user jobs between batches); its fresh ``Folder``."""
        context = self.context
        session = context.session()
        if name not in context.open_folders:
            context.open_folders.append(name)
        result = FolderSync(
            session,
            self.cache,
            self.account,
            name,
            context.emit,
            between_batches=context.run_waiting_user_jobs,
            local_changes=context.local_changes,
            placements=context.placements,
        ).run()
        known = {f.name: f for f in context.folders}
        base = known.get(name, Folder(self.account, name))
        folder = Folder(
            self.account,
            base.name,
            base.delimiter,
            base.role,
            result.unread,
            result.total,
            base.selectable,
        )
        if name in known:
            context.folders = tuple(folder if f.name == name else f for f in context.folders)
        if name == "INBOX":
            self._prime_notify_folders()
        return folder

    def _prime_notify_folders(self) -> None:
        """After INBOX, once: sync the announced folders never synced here before.

        A folder's first sync announces nothing (all of it is new to the cache),
        so without this the first new mail in ``Lists/python`` would go unnoticed.
        Queued behind the jobs waiting now: the user's first screen comes first.
        """
        context = self.context
        if context.notify_folders_primed:
            return
        context.notify_folders_primed = True
        listed = {f.name for f in context.folders if f.selectable}
        for name in context.account.notify_folders:
            if name != "INBOX" and name in listed and self.cache.folder_state(name) is None:
                context.submit_call(partial(self.sync_folder, name))

    def sync_all(self) -> None:
        """Refresh the folder list, then sync INBOX, the folders whose new mail is
        announced (so their next new mail is seen as such) and every folder opened so far.

        A folder whose sync the server refuses does not stop the others: the first
        such error is raised once they all had their turn.
        """
        self.list_folders()
        wanted = list(dict.fromkeys(["INBOX", *self.context.account.notify_folders]))
        wanted += [f for f in self.context.open_folders if f not in wanted]
        names = {f.name for f in self.context.folders}
        refused: list[MailError] = []
        for name in wanted:
            if name in names:
                try:
                    self.sync_folder(name)
                except (ServerError, NotFound) as exc:
                    refused.append(exc)
        if refused:
            raise refused[0]

    # ------------------------------------------------------------ messages

    def fetch_body(self, command: api.FetchBody) -> bytes:
        """The cached body, else fetched, cached, and indexed once answered."""
        folder, uid = command.folder, command.uid
        cached = self.cache.body(folder, uid)
        if cached is not None:
            return cached
        raw = fetch_bodies(self.context.session(), folder, [uid]).get(uid)
        if raw is None:
            raise NotFound("the message is no longer on the server", f"UID {uid}")
        self.cache.save_body(folder, uid, raw)
        # Index the body text for local search after answering (parsing may be slow).
        cache = self.cache
        self.context.submit_call(lambda: index_body(cache, folder, uid, raw))
        return raw

    def set_flags(self, command: api.SetFlags) -> None:
        """STORE flags; the cache and the UI get the flags the server reports."""
        session = self.context.session()
        session.ensure_selected(command.folder)
        reported = session.store_flags(command.uids, command.flags, command.add)
        self.context.local_changes.record(command.folder, command.uids, command.flags, command.add)
        known = self.cache.flags(command.folder)
        changed: dict[int, frozenset[str]] = {}
        for uid in command.uids:
            if uid in reported:
                changed[uid] = reported[uid]
            elif uid in known:  # server sent no FETCH back: compute it ourselves
                old = known[uid]
                changed[uid] = old | set(command.flags) if command.add else old - set(command.flags)
        self.cache.set_flags(command.folder, changed)
        self.context.emit(api.FlagsChanged(self.account, command.folder, changed))
        announce_counts(self.cache, self.context.emit, self.account, command.folder)

    def _removed(self, folder: str, uids: tuple[int, ...]) -> None:
        self.cache.remove_uids(folder, uids)
        self.context.emit(api.MessagesRemoved(self.account, folder, uids))
        announce_counts(self.cache, self.context.emit, self.account, folder)

    def _placing(
        self, folder: str, uids: tuple[int, ...], dest: str
    ) -> Callable[[dict[int, int]], None]:
        """Remember, for ``dest``'s next sync, that these messages are ours, not new mail."""
        message_ids = self.cache.message_ids(folder, uids)

        def placed(uid_map: dict[int, int]) -> None:
            self.context.placements.record(dest, uid_map.values(), message_ids)

        return placed

    def copy(self, folder: str, uids: tuple[int, ...], dest: str) -> dict[int, int]:
        """COPY; the UID map (empty without UIDPLUS)."""
        session = self.context.session()
        session.ensure_selected(folder)
        placed = self._placing(folder, uids, dest)
        uid_map = session.copy(uids, dest)
        placed(uid_map)
        return uid_map

    def move(self, command: api.MoveMessages) -> dict[int, int]:
        """MOVE; the rows leave this folder's cache at once."""
        session = self.context.session()
        session.ensure_selected(command.folder)
        placed = self._placing(command.folder, command.uids, command.dest)
        uid_map = session.move(command.uids, command.dest)
        placed(uid_map)
        self._removed(command.folder, command.uids)
        return uid_map

    def folder_uids(self, folder: str, which: str) -> tuple[int, ...]:
        """UID SEARCH ALL / UNSEEN / DELETED in ``folder`` (ascending)."""
        if which not in FOLDER_UID_KINDS:
            raise MailError("unknown kind of UID list", which)
        session = self.context.session()
        session.ensure_selected(folder)
        return tuple(session.search([which.upper()]))

    def expunge(self, folder: str, uids: tuple[int, ...]) -> int:
        """Delete exactly ``uids`` for good (nothing else, see ``expunge_exactly``)."""
        if not uids:
            return 0
        session = self.context.session()
        session.ensure_selected(folder)
        session.expunge_exactly(uids)
        self._removed(folder, uids)
        return len(uids)

    def delete(self, command: api.DeleteMessages) -> api.DeleteResult:
        """Move to Trash, or expunge exactly these UIDs inside Trash (or with no Trash)."""
        session = self.context.session()
        session.ensure_selected(command.folder)
        trash = folder_with_role(self.context.folders, FolderRole.TRASH)
        if trash is not None and trash != command.folder:
            placed = self._placing(command.folder, command.uids, trash)
            uid_map = session.move(command.uids, trash)
            placed(uid_map)
            self._removed(command.folder, command.uids)
            return api.DeleteResult(trash, uid_map)
        session.expunge_exactly(command.uids)
        self._removed(command.folder, command.uids)
        return api.DeleteResult(None)
