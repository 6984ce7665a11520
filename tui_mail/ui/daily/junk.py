"""Mark as junk / Not junk (issue 18 item 3): keywords for the server's filter, then a move.

"Junk": ``$Junk`` set and ``$NotJunk`` cleared, then the messages move to the
account's Junk folder. "Not junk": the other way round, and messages in Junk
move back to the Inbox. The keywords go first, on the messages where they are
(MOVE keeps them); a folder whose keywords are refused is not moved, and a
message whose move fails gets its keywords back, so a failure leaves it as it was.
The move is the undoable one of :class:`~tui_mail.ui.actions.MessageActions`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from textual.app import App

from tui_mail.backend import SetFlags
from tui_mail.errors import MailError
from tui_mail.models import FolderRole
from tui_mail.ui.actions import MessageActions
from tui_mail.ui.bridge import ServiceBridge
from tui_mail.ui.selection import MessageKey, by_folder, keys_in

JUNK = "$Junk"
NOT_JUNK = "$NotJunk"

FolderOfRole = Callable[[str, FolderRole], str | None]
"""(account, role) -> the name of that account's folder with the role, or None."""


class JunkActions:
    """``J`` and ``K``: the selection to or from Junk, with the keywords."""

    def __init__(
        self,
        app: App[Any],
        bridge: ServiceBridge,
        actions: MessageActions,
        folder_of_role: FolderOfRole,
    ) -> None:
        self.app = app
        self.bridge = bridge
        self.actions = actions
        self.folder_of_role = folder_of_role

    async def mark(self, keys: tuple[MessageKey, ...], junk: bool) -> None:
        """Junk (``junk=True``) or not junk: keywords, then the move (see the module)."""
        if not keys:
            return
        role = FolderRole.JUNK if junk else FolderRole.INBOX
        dests: dict[str, str] = {}
        for account in dict.fromkeys(key.account for key in keys):
            junk_folder = self.folder_of_role(account, FolderRole.JUNK)
            if junk_folder is None:
                self.app.notify("This account has no Junk folder", severity="warning")
                return
            dest = junk_folder if junk else self.folder_of_role(account, role) or "INBOX"
            dests[account] = dest
        add, remove = (JUNK, NOT_JUNK) if junk else (NOT_JUNK, JUNK)
        flagged = await self._keywords(keys, add, remove)
        if not flagged:
            return
        if not junk:  # only what is in Junk goes back to the Inbox; the rest only learns
            to_move = tuple(
                k for k in flagged if k.folder == self.folder_of_role(k.account, FolderRole.JUNK)
            )
        else:
            to_move = flagged
        what = "Marked as junk, moved" if junk else "Not junk, moved"
        moved = await self.actions.move_telling(to_move, dests, what=what) if to_move else ()
        left = tuple(k for k in to_move if k not in set(moved))
        if left:  # their move failed: take the keywords back, so they are as they were
            await self._keywords(left, remove, add, quiet=True)
        elif not to_move:
            self.app.notify("Marked as not junk", timeout=3)

    async def _keywords(
        self, keys: tuple[MessageKey, ...], add: str, remove: str, *, quiet: bool = False
    ) -> tuple[MessageKey, ...]:
        """Set ``add`` and clear ``remove`` per folder; the messages where both worked."""
        done: list[MessageKey] = []
        for (account, folder), uids in by_folder(keys).items():
            try:
                await self.bridge.call(SetFlags(account, folder, uids, (add,), True), quiet=quiet)
            except MailError:
                continue
            try:
                await self.bridge.call(
                    SetFlags(account, folder, uids, (remove,), False), quiet=quiet
                )
            except MailError:  # half done: take the first keyword back too
                with contextlib.suppress(MailError):
                    await self.bridge.call(
                        SetFlags(account, folder, uids, (add,), False), quiet=True
                    )
                continue
            done.extend(keys_in((account, folder), uids))
        return tuple(done)
