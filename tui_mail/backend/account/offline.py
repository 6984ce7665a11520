"""Actions while the server cannot be reached: applied to the cache, queued durably.

:meth:`OfflineActions.apply` answers a SetFlags, MoveMessages, CopyMessages or
DeleteMessages the way the server would have, from the cache: the flags change,
the rows move (under provisional UIDs in their new folder), and the
action is written to the cache's ``action_queue`` in the same transaction, all
before the Future is answered. ``replay.py`` sends the queue when the connection
is back. A moved message's provisional UID is what the UID map says, so the UI's
undo (a MoveMessages back from the destination) names it and is queued behind
the move: at replay the move gives the real UID and the undo moves that back.

Used on the account worker's thread only.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TypeVar, cast

from tui_mail.backend import api
from tui_mail.backend.account.context import AccountContext
from tui_mail.backend.account.lanes import ACTIONS
from tui_mail.backend.account.sync import announce_counts
from tui_mail.backend.cache.action_queue import OfflineCache, QueuedAction, is_provisional
from tui_mail.backend.imap.folders import folder_with_role
from tui_mail.errors import MailError, NotFound
from tui_mail.models import FolderRole

log = logging.getLogger(__name__)
R = TypeVar("R")

Action = api.SetFlags | api.MoveMessages | api.CopyMessages | api.DeleteMessages


class OfflineActions:
    """Applies actions to the cache and the offline queue; resolves provisional UIDs."""

    def __init__(self, context: AccountContext) -> None:
        self.context = context
        self.leftovers = False
        """Provisional rows without a queued action (a kill -9 after the last action
        was done, before they were corrected): a replay must correct them before
        any sync reads the folder."""

    @property
    def cache(self) -> OfflineCache:
        """The account's cache (the worker opens it as an :class:`OfflineCache`)."""
        cache = self.context.cache
        if not isinstance(cache, OfflineCache):
            raise MailError("the offline queue is not available")
        return cache

    def pending(self) -> bool:
        """True while queued actions wait for the server (False when the cache is unusable)."""
        cache = self.context.cache_or_none
        return isinstance(cache, OfflineCache) and (self.leftovers or cache.has_pending())

    def opened(self, cache: OfflineCache) -> None:
        """The worker opened the cache: announce what an earlier run left queued."""
        self.leftovers = bool(cache.provisional_rows())
        if cache.has_pending():
            self.context.emit(api.QueuedActionsChanged(self.context.name, cache.pending_count()))

    def apply(self, command: api.Command[R], attempted: bool = False) -> R:
        """Answer ``command`` (an action) from the cache and queue it for the server.

        ``attempted``: the command may have reached the server before the
        connection broke (replay then checks before doing it again).
        """
        assert isinstance(command, ACTIONS)
        result = self._apply(command, 1 if attempted else 0)
        self.context.emit(api.QueuedActionsChanged(self.context.name, self.cache.pending_count()))
        return cast(R, result)

    def _apply(self, command: Action, attempts: int) -> object:
        if not command.uids:  # nothing to queue; the answer the server would give
            if isinstance(command, api.DeleteMessages):
                return api.DeleteResult(None)
            return None if isinstance(command, api.SetFlags) else {}
        state = self.cache.folder_state(command.folder)
        base = QueuedAction(
            kind="flags",
            folder=command.folder,
            uids=tuple(command.uids),
            uidvalidity=state.uidvalidity if state else 0,
            attempts=attempts,
        )
        match command:
            case api.SetFlags():
                self._flags(base, command)
                return None
            case api.MoveMessages(dest=dest):
                return self._transfer(base, "move", dest)
            case api.CopyMessages(dest=dest):
                return self._transfer(base, "copy", dest)
            case api.DeleteMessages():
                trash = folder_with_role(self.context.folders, FolderRole.TRASH)
                if trash is not None and trash != command.folder:
                    return api.DeleteResult(trash, self._transfer(base, "move", trash))
                self.cache.queue_expunge(replace(base, kind="expunge"))
                self._removed(command.folder, command.uids)
                return api.DeleteResult(None)

    def _flags(self, base: QueuedAction, command: api.SetFlags) -> None:
        known = self.cache.flags(command.folder)
        wanted = set(command.flags)
        changed = {
            uid: (known[uid] | wanted) if command.add else (known[uid] - wanted)
            for uid in command.uids
            if uid in known
        }
        action = replace(base, flags=tuple(command.flags), add=command.add)
        self.cache.queue_flags(action, changed)
        self.context.emit(api.FlagsChanged(self.context.name, command.folder, changed))
        announce_counts(self.cache, self.context.emit, self.context.name, command.folder)

    def _transfer(self, base: QueuedAction, kind: str, dest: str) -> dict[int, int]:
        queued = self.cache.queue_transfer(replace(base, kind=kind, dest=dest))
        if kind == "move":
            self._removed(base.folder, base.uids)
        summaries = tuple(
            s
            for s in (self.cache.summary(dest, uid) for uid in queued.provisional.values())
            if s is not None
        )
        if summaries:
            self.context.emit(api.MessagesAdded(self.context.name, dest, summaries))
        announce_counts(self.cache, self.context.emit, self.context.name, dest)
        return dict(queued.provisional)

    def _removed(self, folder: str, uids: tuple[int, ...]) -> None:
        self.context.emit(api.MessagesRemoved(self.context.name, folder, uids))
        announce_counts(self.cache, self.context.emit, self.context.name, folder)

    # ------------------------------------------------------------------ provisional UIDs

    def resolved(self, command: api.Command[R]) -> api.Command[R]:
        """``command`` with provisional UIDs replaced by the server's (online, queue empty).

        ``NotFound`` when one never reached the server (its move failed), so an
        old undo can never act on some other message.
        """
        if not isinstance(command, ACTIONS):
            return command
        if not any(is_provisional(uid) for uid in command.uids):
            return cast("api.Command[R]", command)
        found = self.cache.resolve(command.folder, command.uids)
        missing = [uid for uid in command.uids if uid not in found]
        if missing:
            raise NotFound(
                "the message is not on the server",
                f"{len(missing)} message(s) moved while offline never arrived in {command.folder}",
            )
        uids = tuple(found[uid] for uid in command.uids)
        # Same command class, same R: only the UIDs change.
        return cast("api.Command[R]", _with_uids(command, uids))


def _with_uids(command: Action, uids: tuple[int, ...]) -> Action:
    return replace(command, uids=uids)
