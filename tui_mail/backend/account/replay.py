"""Replaying the offline action queue on reconnect: in order, exactly once.

Each queued action (``cache/action_queue.py``) is done like this, oldest first:

1. SELECT its folder; a changed UIDVALIDITY voids its UIDs (reported, dropped:
   never act on the wrong message). Provisional UIDs are resolved to the UIDs
   the server gave when the earlier action that made them was replayed.
2. Ask which of its UIDs the folder still has (UID FETCH FLAGS).
3. Record the attempt (``attempts + 1``, committed), send the command.
4. In one transaction: delete the row, record the real UIDs, rename cached rows.

A kill -9 (or a lost connection) between 3 and 4 leaves the row with
``attempts > 0``, so it is sent again on the next replay, and each kind is safe
to repeat: a flag STORE sets what is set; a MOVE or expunge finds its UIDs gone
from the folder (taken as done, not as vanished); a COPY first looks for its
Message-IDs in the destination and is skipped when they are all there.

A target that vanished (expunged by another client, folder deleted, renamed) is
a ``QueuedActionFailed`` event plus a log line; the row is dropped and the
folders concerned are synced again so the cache matches the server. Connection
loss and AuthError stop the replay (the rows stay) and propagate to the worker.
"""

from __future__ import annotations

import logging

from tui_mail.backend import api
from tui_mail.backend.account.context import AccountContext
from tui_mail.backend.account.handlers import CommandHandlers
from tui_mail.backend.cache.action_queue import OfflineCache, QueuedAction
from tui_mail.errors import AuthError, ConnectionLost, MailError

log = logging.getLogger(__name__)


def describe(action: QueuedAction) -> str:
    """A short text for the user: ``move 2 messages to Archive`` (no subjects: logs see it)."""
    count = f"{len(action.uids)} message" + ("" if len(action.uids) == 1 else "s")
    match action.kind:
        case "flags":
            sign = "+" if action.add else "-"
            return f"flag change {sign}{' '.join(action.flags)} on {count} in {action.folder}"
        case "move" | "copy":
            return f"{action.kind} {count} from {action.folder} to {action.dest}"
        case _:
            return f"delete {count} from {action.folder}"


class _Vanished(Exception):
    """The action's target is gone; ``args[0]`` says what."""


class QueueReplay:
    """Sends one account's queued actions; see the module docstring."""

    def __init__(self, context: AccountContext, handlers: CommandHandlers) -> None:
        self.context = context
        self.handlers = handlers
        self.resync: set[str] = set()
        self.relist = False

    @property
    def cache(self) -> OfflineCache:
        """The account's cache, opened as an :class:`OfflineCache` by the worker."""
        cache = self.context.cache
        assert isinstance(cache, OfflineCache)
        return cache

    def run(self) -> int:
        """Replay everything queued; the number of actions done. Raises ConnectionLost/AuthError."""
        done = 0
        for action in self.cache.pending_actions():
            try:
                self._one(action)
                done += 1
            except (ConnectionLost, AuthError):
                raise
            except _Vanished as exc:
                self._failed(action, str(exc.args[0]))
            except MailError as exc:  # refused: e.g. the destination folder was deleted
                self.relist = True
                self._failed(action, str(exc))
            self.context.emit(
                api.QueuedActionsChanged(self.context.name, self.cache.pending_count())
            )
        self._correct()
        return done

    def _failed(self, action: QueuedAction, reason: str) -> None:
        log.warning("%s: queued %s not done: %s", self.context.name, describe(action), reason)
        self.cache.finish(action, {})
        self.resync.update(f for f in (action.folder, action.dest) if f)
        self.context.emit(
            api.QueuedActionFailed(self.context.name, action.folder, describe(action), reason)
        )

    def _one(self, action: QueuedAction) -> None:
        session = self.context.session()
        try:
            info = session.select(action.folder)
        except (ConnectionLost, AuthError):
            raise
        except MailError as exc:
            self.relist = True
            raise _Vanished(f"the folder {action.folder} is gone") from exc
        if action.uidvalidity and info.uidvalidity != action.uidvalidity:
            raise _Vanished(f"the folder {action.folder} was reset on the server")
        named = self.cache.resolve(action.folder, action.uids)
        real = sorted(set(named.values()))
        present = set(session.fetch(real, ["FLAGS"])) if real else set()
        uids = tuple(uid for uid in real if uid in present)
        gone = len(action.uids) - len(uids)
        if gone and not (action.attempts and action.kind in ("move", "expunge")):
            # After an attempt a missing UID is most likely our own earlier MOVE.
            self._report_gone(action, gone)
        if action.kind == "copy" and action.attempts and self._copied_already(action):
            self.cache.finish(action, {})
            self.resync.add(action.dest)
            return
        self.cache.mark_attempt(action.id)
        new_uids = self._send(action, uids) if uids else {}
        source = {uid: named[uid] for uid in action.uids if uid in named}
        self.cache.finish(action, {old: new_uids[r] for old, r in source.items() if r in new_uids})
        if action.kind in ("move", "copy") and len(new_uids) < len(action.provisional):
            self.resync.add(action.dest)  # no COPYUID for some: sync brings them

    def _report_gone(self, action: QueuedAction, gone: int) -> None:
        reason = f"{gone} of its messages no longer in {action.folder}"
        log.warning("%s: queued %s: %s", self.context.name, describe(action), reason)
        self.resync.add(action.folder)
        self.context.emit(
            api.QueuedActionFailed(self.context.name, action.folder, describe(action), reason)
        )

    def _send(self, action: QueuedAction, uids: tuple[int, ...]) -> dict[int, int]:
        """Do the action on the server through the same handlers as online; the UID map."""
        name, folder = self.context.name, action.folder
        match action.kind:
            case "flags":
                self.handlers.set_flags(api.SetFlags(name, folder, uids, action.flags, action.add))
                return {}
            case "move":
                return self.handlers.move(api.MoveMessages(name, folder, uids, action.dest))
            case "copy":
                return self.handlers.copy(folder, uids, action.dest)
            case _:
                session = self.context.session()
                session.ensure_selected(folder)
                session.expunge_exactly(uids)
                self.cache.remove_uids(folder, uids)
                return {}

    def _copied_already(self, action: QueuedAction) -> bool:
        """After a crash mid-COPY: True when every copied Message-ID is in the destination."""
        if not action.message_ids or len(action.message_ids) < len(action.uids):
            return False
        session = self.context.session()
        session.select(action.dest)
        found = all(session.search(["HEADER", "Message-ID", mid]) for mid in action.message_ids)
        session.ensure_selected(action.folder)
        return found

    def _correct(self) -> None:
        """Drop provisional rows nothing resolved, then sync what may differ from the server."""
        for folder, uids in self.cache.provisional_rows().items():
            self.cache.remove_uids(folder, uids)
            self.context.emit(api.MessagesRemoved(self.context.name, folder, tuple(uids)))
            self.resync.add(folder)
        if self.relist:
            self.handlers.list_folders()
        names = {f.name for f in self.context.folders}
        for folder in sorted(self.resync):
            if folder in names:
                try:
                    self.handlers.sync_folder(folder)
                except (ConnectionLost, AuthError):
                    raise
                except MailError as exc:
                    log.warning("%s: resync of %s failed: %s", self.context.name, folder, exc)
        self.resync.clear()
        self.relist = False
