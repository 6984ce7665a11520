"""Folder keys of the main screen: create, rename, delete, (un)subscribe, mark all read,
empty Trash/Junk, expunge (issue 18 item 3).

Every action names its (account, folder); the ones that change messages first
ask the server which UIDs they would touch (``FolderUids``), say how many, and
then act on exactly those (``SetFlags``, ``ExpungeMessages``), so mail that
arrives in between is left alone. A refusal comes back as the bridge's error
toast and nothing else changes; the tree follows the backend's ``FoldersChanged``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from textual.app import App

from tui_mail.backend import (
    CreateFolder,
    DeleteFolder,
    ExpungeMessages,
    FolderUids,
    RenameFolder,
    SetFlags,
    SubscribeFolder,
)
from tui_mail.errors import MailError
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import SEEN, Folder, FolderRole
from tui_mail.ui.actions import MessageActions, UndoStep, count_text
from tui_mail.ui.bridge import ServiceBridge
from tui_mail.ui.daily.name_dialog import AskLineScreen
from tui_mail.ui.screens.dialogs import ConfirmScreen

Job = Coroutine[Any, Any, None]


def shown(name: str) -> str:
    """A folder name as a toast or a question shows it (server text: sanitised)."""
    return clean_line(name, 200)


class FolderActions:
    """The folder keys, given the app, the bridge and the screen's ways to act.

    ``run(job)`` runs a coroutine in the screen's "actions" worker group;
    ``reopen(account, folder)`` shows another folder in the list (after the open
    one was renamed or deleted).
    """

    def __init__(
        self,
        app: App[Any],
        bridge: ServiceBridge,
        actions: MessageActions,
        run: Callable[[Job], None],
        reopen: Callable[[str, str], None],
    ) -> None:
        self.app = app
        self.bridge = bridge
        self.actions = actions
        self.run = run
        self.reopen = reopen

    def _toast(self, text: str, *, warning: bool = False) -> None:
        self.app.notify(text, severity="warning" if warning else "information", markup=False)

    def _ask(self, question: str, title: str, then: Callable[[], Job]) -> None:
        def answered(answer: str | None) -> None:
            if answer == "yes":
                self.run(then())

        self.app.push_screen(ConfirmScreen(question, title=title), answered)

    # ------------------------------------------------------------------ the folder itself

    def create(self, account: str, delimiter: str) -> None:
        """Ask for a name, then CREATE (and SUBSCRIBE) it."""
        prompt = f"Name of the new folder ({delimiter or '/'} separates levels):"

        def named(name: str | None) -> None:
            if name:
                self.run(self._call(CreateFolder(account, name), f"Created {shown(name)}"))

        self.app.push_screen(AskLineScreen("New folder", prompt), named)

    def rename(self, account: str, folder: Folder, *, is_open: bool) -> None:
        """Ask for the new name (the old one filled in), then RENAME."""
        if folder.role is FolderRole.INBOX:
            self._toast("The Inbox cannot be renamed", warning=True)
            return

        def named(name: str | None) -> None:
            if name and name != folder.name:
                self.run(self._rename(account, folder.name, name, is_open))

        prompt = f"New name for {shown(folder.name)}:"
        self.app.push_screen(AskLineScreen("Rename folder", prompt, folder.name), named)

    async def _rename(self, account: str, old: str, new: str, is_open: bool) -> None:
        if await self._done(RenameFolder(account, old, new)):
            self._toast(f"Renamed {shown(old)} to {shown(new)}")
            if is_open:
                self.reopen(account, new)

    def delete(self, account: str, folder: Folder, *, is_open: bool) -> None:
        """Ask (naming how many messages go with it), then DELETE the folder."""
        if folder.role is FolderRole.INBOX:
            self._toast("The Inbox cannot be deleted", warning=True)
            return
        question = (
            f"Delete the folder {shown(folder.name)} and the "
            f"{count_text(folder.total)} in it? This cannot be undone."
        )

        async def delete() -> None:
            if await self._done(DeleteFolder(account, folder.name)):
                self._toast(f"Deleted the folder {shown(folder.name)}")
                if is_open:
                    self.reopen(account, "INBOX")

        self._ask(question, "Delete folder", delete)

    def subscribe(self, account: str, folder: Folder, on: bool) -> None:
        """SUBSCRIBE or UNSUBSCRIBE the folder."""
        done = (
            f"Subscribed to {shown(folder.name)}"
            if on
            else f"Unsubscribed from {shown(folder.name)}"
        )
        self.run(self._call(SubscribeFolder(account, folder.name, on), done))

    async def _call(self, command: Any, done: str) -> None:
        if await self._done(command):
            self._toast(done)

    async def _done(self, command: Any) -> bool:
        """Run ``command``; False when it failed (the bridge showed why)."""
        try:
            await self.bridge.call(command)
        except MailError:
            return False
        return True

    # ------------------------------------------------------------------ its messages

    def mark_all_read(self, account: str, folder: Folder) -> None:
        """Mark every unread message of the folder read (``u`` undoes it)."""
        self.run(self._mark_all_read(account, folder.name))

    async def _mark_all_read(self, account: str, name: str) -> None:
        try:
            uids = await self.bridge.call(FolderUids(account, name, "unseen"))
        except MailError:
            return
        if not uids:
            self._toast(f"No unread messages in {shown(name)}")
            return
        if not await self._done(SetFlags(account, name, uids, (SEEN,), True)):
            return
        what = f"Marked {count_text(len(uids))} read in {shown(name)}"
        self._toast(f"{what} — u undoes")

        async def reverse() -> None:
            await self.bridge.call(SetFlags(account, name, uids, (SEEN,), False))

        self.actions.remember(UndoStep(what, reverse))

    def empty(self, account: str, folder: Folder | None, role: FolderRole) -> None:
        """Empty the account's Trash or Junk for good, after saying how many go."""
        if folder is None:
            self._toast(f"This account has no {role.value.title()} folder", warning=True)
            return
        self.run(self._purge(account, folder.name, "all", "Empty " + shown(folder.name)))

    def expunge(self, account: str, folder: Folder) -> None:
        """Remove for good the messages marked deleted (by another program) in the folder."""
        self.run(self._purge(account, folder.name, "deleted", "Expunge " + shown(folder.name)))

    async def _purge(self, account: str, name: str, which: str, title: str) -> None:
        try:
            uids = await self.bridge.call(FolderUids(account, name, which))
        except MailError:
            return
        if not uids:
            nothing = "is empty" if which == "all" else "has no messages marked deleted"
            self._toast(f"{shown(name)} {nothing}")
            return
        marked = "" if which == "all" else " marked deleted"
        question = (
            f"Delete the {count_text(len(uids))}{marked} in {shown(name)} for good? "
            "This cannot be undone."
        )

        async def purge() -> None:
            if await self._done(ExpungeMessages(account, name, uids)):
                self._toast(f"Deleted {count_text(len(uids))} from {shown(name)} for good")

        self._ask(question, title, purge)
