"""What the main screen's message keys do before an action runs (DESIGN.md section 1).

``t``/``!``/``d``/``a``/``m``/``C``/``u`` and the palette's "Move to": pick the
messages (the tagged ones, else the cursor's: each named by account, folder and
UID, so a selection from a search over all folders acts on the folders the
messages are in), confirm a delete for good, ask for a destination folder,
then hand the undoable action of
:class:`~tui_mail.ui.actions.MessageActions` to ``run``. The screen keeps its
``action_*`` methods (bindings name them) and calls these.

:class:`MessageKeys` knows the list, the tree, the app (for dialogs and toasts)
and ``run(job)`` (a worker of the screen's "actions" group); no screen.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from textual.app import App

from tui_mail.models import FolderRole
from tui_mail.ui.actions import MessageActions
from tui_mail.ui.screens.dialogs import ConfirmScreen
from tui_mail.ui.screens.folder_picker import FolderPickerScreen
from tui_mail.ui.selection import MessageKey, by_folder
from tui_mail.ui.widgets.folder_tree import FolderTree
from tui_mail.ui.widgets.message_list import MessageList

Job = Coroutine[Any, Any, None]
ToFolder = Callable[[tuple[MessageKey, ...], str], Job]


class MessageKeys:
    """The message keys of one main screen, from the selection to the action."""

    def __init__(
        self,
        app: App[Any],
        actions: MessageActions,
        message_list: MessageList,
        folder_tree: FolderTree,
        run: Callable[[Job], None],
    ) -> None:
        self.app = app
        self.actions = actions
        self.list = message_list
        self.tree = folder_tree
        self.run = run

    def _selection(self) -> tuple[MessageKey, ...]:
        keys = self.list.selected()
        self.list.tagged.clear()
        return keys

    def toggle_read(self) -> None:
        """Read <-> unread for the selection."""
        self.run(self.actions.toggle_read(self._selection()))

    def toggle_flag(self) -> None:
        """Flag or unflag the selection."""
        self.run(self.actions.toggle_flag(self._selection()))

    def delete(self) -> None:
        """To Trash; in Trash (or with no Trash) for good, after a confirmation."""
        keys = self._selection()
        if not keys:
            return
        groups = by_folder(keys)
        for_good = sum(
            len(uids)
            for (account, folder), uids in groups.items()
            if self._is_last_stop(account, folder)
        )
        if for_good:
            question = f"Delete {for_good} message(s) for good? This cannot be undone."

            def answered(answer: str | None) -> None:
                if answer == "yes":
                    self.run(self.actions.delete(keys))

            self.app.push_screen(ConfirmScreen(question, title="Delete for good"), answered)
            return
        self.run(self.actions.delete(keys))

    def _is_last_stop(self, account: str, folder: str) -> bool:
        """True where a delete is for good: in the account's Trash, or with no Trash."""
        trash = self.tree.folder_by_role(account, FolderRole.TRASH)
        return trash is None or trash.name == folder

    def archive(self) -> None:
        """Move the selection to its account's Archive folder (a warning when it has none)."""
        keys = self.list.selected()
        archives = {}
        for account in dict.fromkeys(key.account for key in keys):
            archive = self.tree.folder_by_role(account, FolderRole.ARCHIVE)
            if archive is None:
                self.app.notify("This account has no Archive folder", severity="warning")
                return
            archives[account] = archive.name
        self.run(self.actions.move(self._selection(), archives, what="Archived"))

    def move(self) -> None:
        """Ask for a folder, then move the selection there."""
        self._pick_folder("Move to folder", self.actions.move)

    def copy(self) -> None:
        """Ask for a folder, then copy the selection there."""
        self._pick_folder("Copy to folder", self.actions.copy)

    def move_to(self, dest: str) -> None:
        """Move the selection to ``dest`` (the palette's "Move to")."""
        self.run(self.actions.move(self._selection(), dest))

    def undo(self) -> None:
        """Reverse the last finished action on the server."""
        self.run(self.actions.undo())

    def _pick_folder(self, title: str, then: ToFolder) -> None:
        keys = self.list.selected()
        if not keys:
            return
        accounts = set(key.account for key in keys)
        if len(accounts) > 1:  # folder names belong to one account
            self.app.notify(
                "The messages are in several accounts: one at a time", severity="warning"
            )
            return
        keys = self._selection()
        account = keys[0].account
        folders = set(key.folder for key in keys)
        names = [f.name for f in self.tree.folders.get(account, {}).values() if f.selectable]

        def picked(dest: str | None) -> None:
            if dest is not None:
                self.run(then(keys, dest))

        exclude = tuple(folders) if len(folders) == 1 else ()
        self.app.push_screen(FolderPickerScreen(names, title=title, exclude=exclude), picked)
