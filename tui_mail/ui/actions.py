"""Optimistic, undoable actions on messages (issues #4 and #21, DESIGN.md sections 1 and 8).

Each action changes the list at once (hides rows, overrides flags), names
itself in a toast that says ``u`` undoes it, then awaits the backend. The
messages are :class:`~tui_mail.ui.selection.MessageKey` (account, folder, UID):
a selection from a search over all folders spans folders and accounts, so an
action sends one command per (account, folder) group, to the folder each
message is really in. A group that fails rolls back its own part of the overlay
(the bridge has already shown the error); the groups that succeeded stay done,
and one :class:`UndoStep` puts all of them back *on the server*: moved or
deleted messages are moved back from where they went, using the UID maps the
backend returned (MOVE and COPY keep flags), and flag changes are reversed only
for the messages they changed.

:class:`MessageActions` is plain Python driving a :class:`ServiceBridge` and a
:class:`MessageList`; the main screen runs its coroutines in workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from tui_mail.backend import (
    Command,
    CopyMessages,
    DeleteMessages,
    DeleteResult,
    MoveMessages,
    SetFlags,
    SyncFolder,
)
from tui_mail.errors import MailError
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import FLAGGED, SEEN
from tui_mail.ui.bridge import ServiceBridge
from tui_mail.ui.selection import MessageKey, Place, by_folder, keys_in
from tui_mail.ui.widgets.message_list import MessageList

UNDO_DEPTH = 50
R = TypeVar("R")


class _UndoFailed(Exception):
    """Reversing failed; the bridge already showed why."""


@dataclass(frozen=True)
class UndoStep:
    """How to reverse one finished action on the server."""

    description: str
    reverse: Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class _Moved:
    """One group's messages now in ``dest`` (``uid_map``: old UID -> UID there)."""

    account: str
    origin: str
    dest: str
    uid_map: Mapping[int, int]


def count_text(count: int) -> str:
    """``1 message`` / ``3 messages``."""
    return f"{count} message" + ("" if count == 1 else "s")


class MessageActions:
    """Read/flag/delete/archive/move/copy with an optimistic list and an undo stack.

    Methods take the messages to act on (the screen passes
    ``MessageList.selected()``: the tagged ones, else the cursor's).
    """

    def __init__(self, bridge: ServiceBridge, message_list: MessageList) -> None:
        self.bridge = bridge
        self.list = message_list
        self.undo_stack: list[UndoStep] = []
        self.slid: MessageKey | None = None
        """The message that came under the cursor because rows were removed: the
        user did not choose it, so showing it does not mark it read (and ``u``
        still undoes the removal, not a read nobody asked for)."""

    def _toast(self, text: str, *, undoable: bool = True) -> None:
        suffix = " — u undoes" if undoable else ""
        self.bridge.app.notify(clean_line(text) + suffix, timeout=4, markup=False)

    def remember(self, step: UndoStep) -> None:
        """Put a finished action on the undo stack (the newest ``UNDO_DEPTH`` are kept)."""
        self.undo_stack.append(step)
        del self.undo_stack[:-UNDO_DEPTH]

    async def _per_group(
        self, keys: tuple[MessageKey, ...], command: Callable[[Place, tuple[int, ...]], Command[R]]
    ) -> dict[Place, R | MailError]:
        """One command per (account, folder) of ``keys``, all awaited; an error per failed group."""
        groups = by_folder(keys)

        async def one(place: Place, uids: tuple[int, ...]) -> R | MailError:
            try:
                return await self.bridge.call(command(place, uids))
            except MailError as error:
                return error

        answers = await asyncio.gather(*(one(place, uids) for place, uids in groups.items()))
        return dict(zip(groups, answers, strict=True))

    # ------------------------------------------------------------------ flags

    async def set_flag(
        self, keys: tuple[MessageKey, ...], flag: str, add: bool, *, what: str, quiet: bool = False
    ) -> None:
        """Add or remove ``flag`` on the messages that lack/have it; undo reverses just those."""
        changed = tuple(
            MessageKey.of(s) for s in self.list.summaries(keys) if (flag in s.flags) != add
        )
        if not changed:
            return
        if not quiet:
            self._toast(f"{what} {count_text(len(changed))}")
        done = await self._send_flags(changed, flag, add)
        if not done:
            return

        async def reverse() -> None:
            if len(await self._send_flags(done, flag, not add)) != len(done):
                raise _UndoFailed

        self.remember(UndoStep(f"{what} {count_text(len(done))}", reverse))

    async def _send_flags(
        self, keys: tuple[MessageKey, ...], flag: str, add: bool
    ) -> tuple[MessageKey, ...]:
        """SetFlags per folder, the list showing the result at once; returns what succeeded."""
        shown = {MessageKey.of(s): s.flags for s in self.list.summaries(keys)}
        if shown:
            self.list.rows.override_flags(
                {key: (flags | {flag}) if add else (flags - {flag}) for key, flags in shown.items()}
            )
            self.list.changed()
        answers = await self._per_group(
            keys, lambda place, uids: SetFlags(place[0], place[1], uids, (flag,), add)
        )
        done: list[MessageKey] = []
        for place, answer in answers.items():
            group = keys_in(place, by_folder(keys)[place])
            if isinstance(answer, MailError):
                self.list.rows.drop_flag_overrides(group)
            else:
                self.list.rows.settle(group)
                done.extend(group)
        if len(done) != len(keys):
            self.list.changed()
        return tuple(done)

    async def toggle_read(self, keys: tuple[MessageKey, ...]) -> None:
        """Mark read when any is unread, else mark all unread."""
        mark_read = any(s.unread for s in self.list.summaries(keys))
        await self.set_flag(
            keys, SEEN, mark_read, what="Marked read" if mark_read else "Marked unread"
        )

    async def toggle_flag(self, keys: tuple[MessageKey, ...]) -> None:
        """Flag when any is unflagged, else unflag all."""
        add = any(not s.flagged for s in self.list.summaries(keys))
        await self.set_flag(keys, FLAGGED, add, what="Flagged" if add else "Unflagged")

    async def mark_read_quietly(self, key: MessageKey) -> None:
        """A shown message becomes read: no toast, but ``u`` still undoes it."""
        await self.set_flag((key,), SEEN, True, what="Marked read", quiet=True)

    # ------------------------------------------------------------------ moving

    async def _remove(
        self,
        keys: tuple[MessageKey, ...],
        what: str,
        command: Callable[[Place, tuple[int, ...]], Command[R]],
    ) -> dict[Place, R]:
        """Hide the rows, run ``command`` per folder; failed groups come back. Returns the rest."""
        self.list.rows.hide(keys)
        self.list.changed()
        current = self.list.current
        self.slid = MessageKey.of(current.summary) if current is not None else None
        self._toast(f"{what} {count_text(len(keys))}")
        answers = await self._per_group(keys, command)
        failed = [place for place, answer in answers.items() if isinstance(answer, MailError)]
        if failed:
            groups = by_folder(keys)
            self.list.rows.unhide(
                [key for place in failed for key in keys_in(place, groups[place])]
            )
            self.list.changed()
        return {p: a for p, a in answers.items() if not isinstance(a, MailError)}

    def _push_move_back(self, description: str, moves: list[_Moved]) -> None:
        """Remember how to move the messages now elsewhere back to where they were."""
        if not moves:
            return
        if not all(move.uid_map for move in moves):
            self._toast("The server gave no new UIDs: this cannot be undone", undoable=False)
            return

        async def reverse() -> None:
            for move in moves:
                new_uids = tuple(move.uid_map.values())
                await self.bridge.call(MoveMessages(move.account, move.dest, new_uids, move.origin))
            for account, origin in dict.fromkeys((m.account, m.origin) for m in moves):
                await self.bridge.call(SyncFolder(account, origin), quiet=True)

        self.remember(UndoStep(description, reverse))

    async def delete(self, keys: tuple[MessageKey, ...]) -> None:
        """Move to Trash (in Trash: delete for good, which cannot be undone)."""
        if not keys:
            return
        answers = await self._remove(
            keys, "Deleted", lambda place, uids: DeleteMessages(place[0], place[1], uids)
        )
        groups = by_folder(keys)
        moves, for_good = [], 0
        for (account, folder), result in answers.items():
            if not isinstance(result, DeleteResult):
                continue
            if result.trash is None:
                for_good += len(groups[(account, folder)])
            else:
                moves.append(_Moved(account, folder, result.trash, result.uid_map))
        if for_good:
            self._toast(f"Deleted {count_text(for_good)} for good", undoable=False)
        moved = sum(len(groups[(m.account, m.origin)]) for m in moves)
        self._push_move_back(f"Deleted {count_text(moved)}", moves)

    async def move(
        self, keys: tuple[MessageKey, ...], dest: str | Mapping[str, str], *, what: str = "Moved"
    ) -> None:
        """Move to ``dest`` (a folder, or one per account: archive is a move to each Archive)."""
        await self.move_telling(keys, dest, what=what)

    async def move_telling(
        self, keys: tuple[MessageKey, ...], dest: str | Mapping[str, str], *, what: str = "Moved"
    ) -> tuple[MessageKey, ...]:
        """:meth:`move`, returning the messages that moved (a failed folder's stay put)."""
        dests = dest if isinstance(dest, Mapping) else {key.account: dest for key in keys}
        keys = tuple(k for k in keys if k.account in dests and dests[k.account] != k.folder)
        if not keys:
            return ()
        names = ", ".join(dict.fromkeys(dests[key.account] for key in keys))
        answers = await self._remove(
            keys,
            f"{what} to {names}:",
            lambda place, uids: MoveMessages(place[0], place[1], uids, dests[place[0]]),
        )
        moves = [
            _Moved(account, folder, dests[account], uid_map)
            for (account, folder), uid_map in answers.items()
        ]
        groups = by_folder(keys)
        moved = sum(len(groups[(m.account, m.origin)]) for m in moves)
        self._push_move_back(f"{what} {count_text(moved)} to {names}", moves)
        places = [(m.account, m.origin) for m in moves]
        return tuple(key for place in places for key in keys_in(place, groups[place]))

    async def copy(self, keys: tuple[MessageKey, ...], dest: str) -> None:
        """Copy to ``dest`` (nothing changes here, so nothing to undo)."""
        if not keys:
            return
        answers = await self._per_group(
            keys, lambda place, uids: CopyMessages(place[0], place[1], uids, dest)
        )
        groups = by_folder(keys)
        copied = sum(len(groups[p]) for p, a in answers.items() if not isinstance(a, MailError))
        if copied:
            self._toast(f"Copied {count_text(copied)} to {dest}", undoable=False)

    # ------------------------------------------------------------------ undo

    async def undo(self) -> None:
        """Reverse the last finished action on the server."""
        if not self.undo_stack:
            self._toast("Nothing to undo", undoable=False)
            return
        step = self.undo_stack.pop()
        try:
            await step.reverse()
        except (MailError, _UndoFailed):
            return
        self._toast(f"Undone: {step.description}", undoable=False)
