"""Optimistic, undoable actions on messages (issue #4, DESIGN.md sections 1 and 8).

Each action changes the list at once (hides rows, overrides flags), names
itself in a toast that says ``u`` undoes it, then awaits the backend. A failure
rolls the overlay back (the bridge has already shown the error). A success
pushes an :class:`UndoStep` that puts things back *on the server*: moved or
deleted messages are moved back from where they went, using the UID map the
backend returned (MOVE and COPY keep flags), and flag changes are reversed
only for the messages they changed.

:class:`MessageActions` is plain Python driving a :class:`ServiceBridge` and a
:class:`MessageList`; the main screen runs its coroutines in workers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tui_mail.backend import (
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
from tui_mail.ui.widgets.message_list import MessageList

UNDO_DEPTH = 50


class _UndoFailed(Exception):
    """Reversing failed; the bridge already showed why."""


@dataclass(frozen=True)
class UndoStep:
    """How to reverse one finished action on the server."""

    description: str
    reverse: Callable[[], Awaitable[None]]


def count_text(count: int) -> str:
    """``1 message`` / ``3 messages``."""
    return f"{count} message" + ("" if count == 1 else "s")


class MessageActions:
    """Read/flag/delete/archive/move/copy with an optimistic list and an undo stack.

    ``folder_of()`` returns the (account, folder) the list shows now; ``notify``
    is ``App.notify``-like. Methods take the uids to act on (the screen passes
    ``MessageList.selected_uids()``: the tagged ones, else the cursor's).
    """

    def __init__(
        self,
        bridge: ServiceBridge,
        message_list: MessageList,
        folder_of: Callable[[], tuple[str, str]],
    ) -> None:
        self.bridge = bridge
        self.list = message_list
        self.folder_of = folder_of
        self.undo_stack: list[UndoStep] = []
        self.slid_uid: int | None = None
        """The message that came under the cursor because rows were removed: the
        user did not choose it, so showing it does not mark it read (and ``u``
        still undoes the removal, not a read nobody asked for)."""

    def _toast(self, text: str, *, undoable: bool = True) -> None:
        suffix = " — u undoes" if undoable else ""
        self.bridge.app.notify(clean_line(text) + suffix, timeout=4, markup=False)

    def _push(self, step: UndoStep) -> None:
        self.undo_stack.append(step)
        del self.undo_stack[:-UNDO_DEPTH]

    # ------------------------------------------------------------------ flags

    async def set_flag(
        self, uids: tuple[int, ...], flag: str, add: bool, *, what: str, quiet: bool = False
    ) -> None:
        """Add or remove ``flag`` on the uids that lack/have it; undo reverses just those."""
        account, folder = self.folder_of()
        changed = tuple(s.uid for s in self.list.summaries(uids) if (flag in s.flags) != add)
        if not changed:
            return
        if not quiet:
            self._toast(f"{what} {count_text(len(changed))}")
        if not await self._send_flags(account, folder, changed, flag, add):
            return

        async def reverse() -> None:
            if not await self._send_flags(account, folder, changed, flag, not add):
                raise _UndoFailed

        self._push(UndoStep(f"{what} {count_text(len(changed))}", reverse))

    async def _send_flags(
        self, account: str, folder: str, uids: tuple[int, ...], flag: str, add: bool
    ) -> bool:
        """SetFlags with the list showing the result at once (when it shows that folder)."""
        here = self.folder_of() == (account, folder)
        if here:
            shown = {s.uid: s.flags for s in self.list.summaries(uids)}
            self.list.rows.override_flags(
                {uid: (flags | {flag}) if add else (flags - {flag}) for uid, flags in shown.items()}
            )
            self.list.changed()
        try:
            await self.bridge.call(SetFlags(account, folder, uids, (flag,), add))
        except MailError:
            if here:
                self.list.rows.drop_flag_overrides(uids)
                self.list.changed()
            return False
        if here:
            self.list.rows.settle(uids)
        return True

    async def toggle_read(self, uids: tuple[int, ...]) -> None:
        """Mark read when any is unread, else mark all unread."""
        mark_read = any(s.unread for s in self.list.summaries(uids))
        await self.set_flag(
            uids, SEEN, mark_read, what="Marked read" if mark_read else "Marked unread"
        )

    async def toggle_flag(self, uids: tuple[int, ...]) -> None:
        """Flag when any is unflagged, else unflag all."""
        add = any(not s.flagged for s in self.list.summaries(uids))
        await self.set_flag(uids, FLAGGED, add, what="Flagged" if add else "Unflagged")

    async def mark_read_quietly(self, uid: int) -> None:
        """A shown message becomes read: no toast, but ``u`` still undoes it."""
        await self.set_flag((uid,), SEEN, True, what="Marked read", quiet=True)

    # ------------------------------------------------------------------ moving

    async def _remove(
        self, uids: tuple[int, ...], what: str, command: DeleteMessages | MoveMessages
    ) -> object:
        """Hide the rows, run ``command``; on failure show them again and return None."""
        self.list.rows.hide(uids)
        self.list.changed()
        current = self.list.current
        self.slid_uid = current.summary.uid if current is not None else None
        self._toast(f"{what} {count_text(len(uids))}")
        try:
            return await self.bridge.call(command)
        except MailError:
            self.list.rows.unhide(uids)
            self.list.changed()
            return None

    def _push_move_back(
        self, description: str, account: str, origin: str, dest: str, uid_map: dict[int, int]
    ) -> None:
        """Remember how to move the messages now in ``dest`` back to ``origin``."""
        if not uid_map:
            self._toast("The server gave no new UIDs: this cannot be undone", undoable=False)
            return

        async def reverse() -> None:
            await self.bridge.call(MoveMessages(account, dest, tuple(uid_map.values()), origin))
            await self.bridge.call(SyncFolder(account, origin), quiet=True)

        self._push(UndoStep(description, reverse))

    async def delete(self, uids: tuple[int, ...]) -> None:
        """Move to Trash (in Trash: delete for good, which cannot be undone)."""
        account, folder = self.folder_of()
        if not uids:
            return
        result = await self._remove(uids, "Deleted", DeleteMessages(account, folder, uids))
        if not isinstance(result, DeleteResult):
            return
        if result.trash is None:
            self._toast(f"Deleted {count_text(len(uids))} for good", undoable=False)
            return
        self._push_move_back(
            f"Deleted {count_text(len(uids))}", account, folder, result.trash, result.uid_map
        )

    async def move(self, uids: tuple[int, ...], dest: str, *, what: str = "Moved") -> None:
        """Move to ``dest`` (archive is a move to the Archive folder)."""
        account, folder = self.folder_of()
        if dest == folder or not uids:
            return
        label = f"{what} {count_text(len(uids))} to {dest}"
        uid_map = await self._remove(
            uids, f"{what} to {dest}:", MoveMessages(account, folder, uids, dest)
        )
        if isinstance(uid_map, dict):
            self._push_move_back(label, account, folder, dest, uid_map)

    async def copy(self, uids: tuple[int, ...], dest: str) -> None:
        """Copy to ``dest`` (nothing changes here, so nothing to undo)."""
        account, folder = self.folder_of()
        if not uids:
            return
        try:
            await self.bridge.call(CopyMessages(account, folder, uids, dest))
        except MailError:
            return
        self._toast(f"Copied {count_text(len(uids))} to {dest}", undoable=False)

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
