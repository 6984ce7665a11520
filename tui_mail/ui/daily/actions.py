"""The main screen's daily-use actions (issue 18): lists, folders, junk, links.

A mixin of :class:`~tui_mail.ui.screens.main.MainScreen`, so the bindings of
``ui/keymap.py`` find their ``action_*`` methods on the screen while the code
lives apart from the pane wiring. Each method only picks what to act on (the
shown message, the selection, the folder) and hands it to a helper that knows
no screen: :class:`~tui_mail.ui.daily.lists.ListUnsubscriber`,
:class:`~tui_mail.ui.daily.folders.FolderActions` and
:class:`~tui_mail.ui.daily.junk.JunkActions`.

The folder keys act on the folder under the tree's cursor while the tree has
focus, else on the folder the list shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from tui_mail.mail.parse import parse_message
from tui_mail.models import Folder, FolderRole
from tui_mail.ui.daily.browser import open_in_browser
from tui_mail.ui.daily.bulk import BulkTags
from tui_mail.ui.daily.folders import FolderActions
from tui_mail.ui.daily.junk import JunkActions
from tui_mail.ui.daily.lists import ListUnsubscriber

if TYPE_CHECKING:
    from tui_mail.ui.actions import MessageActions
    from tui_mail.ui.attachments import AttachmentOpener, AttachmentSaver
    from tui_mail.ui.bridge import ServiceBridge
    from tui_mail.ui.widgets.folder_tree import FolderTree
    from tui_mail.ui.widgets.message_list import MessageList
    from tui_mail.ui.widgets.preview import MessagePreview


class DailyActions:
    """``s``/``o`` (attachments, links), ``L``/``U`` (lists), junk and the folder keys."""

    bridge: ServiceBridge
    actions: MessageActions
    preview: MessagePreview
    message_list: MessageList
    folder_tree: FolderTree
    account: str
    folder: str
    saver: AttachmentSaver
    opener: AttachmentOpener
    unsubscriber: ListUnsubscriber
    folder_actions: FolderActions
    junk: JunkActions
    bulk: BulkTags

    if TYPE_CHECKING:

        def action_compose(self, kind: str) -> None: ...
        def open_folder(self, account: str, folder: str) -> Any: ...
        def _run(self, job: Coroutine[Any, Any, None]) -> None: ...

    def setup_daily_actions(self) -> None:
        """Build the helpers (called once by the screen's ``__init__``)."""
        app = self.bridge.app
        self.unsubscriber = ListUnsubscriber(app, lambda: self.action_compose("unsubscribe"))
        self.folder_actions = FolderActions(
            app, self.bridge, self.actions, self._run, self.open_folder
        )
        self.junk = JunkActions(app, self.bridge, self.actions, self._role_folder)
        self.bulk = BulkTags(app, self.message_list, self.bridge.service.submit)

    def _role_folder(self, account: str, role: FolderRole) -> str | None:
        found = self.folder_tree.folder_by_role(account, role)
        return found.name if found is not None else None

    # ------------------------------------------------------------------ the shown message

    def action_save_attachments(self) -> None:
        """``s``: save attachments of the shown message."""
        self.saver.ask(self.preview.body, self.preview.raw)

    def action_open_attachment(self) -> None:
        """``o``: pick a link or attachment of the shown message and open it."""
        self.opener.ask(self.preview.body, self.preview.raw)

    def action_open_in_browser(self) -> None:
        """``B``: the HTML part in the browser, from a private file, remote content blocked."""
        job = open_in_browser(self.bridge.app, self.preview.raw, self.opener.opener)
        self.bridge.app.run_worker(job, group="open", exit_on_error=False)

    def action_toggle_html(self) -> None:
        """``w``: the shown message's HTML part as text instead of its plain part, and back."""
        raw, key = self.preview.raw, self.preview.key
        if raw is None:
            self.bridge.app.notify("Show a message first", severity="warning")
            return
        as_html = not (self.preview.body is not None and self.preview.body.from_html)

        async def reshow() -> None:
            body = await asyncio.to_thread(
                parse_message, raw, gpg=self.preview.gpg, prefer_html=as_html
            )
            if self.preview.key != key:
                return  # the cursor moved on meanwhile
            if as_html and not body.from_html:
                self.bridge.app.notify("This message has no HTML part", severity="warning")
                return
            self.preview.show_body(body, raw, key)

        self.bridge.app.run_worker(reshow(), group="preview-html", exit_on_error=False)

    def action_unsubscribe(self) -> None:
        """Leave the list the shown message came from (one-click, mailto: or the web page)."""
        self.unsubscriber.ask(self.preview.body)

    def action_mark_junk(self, junk: bool = True) -> None:
        """``J``/``K``: the tagged messages (else the cursor's) to Junk, or back from it."""
        keys = self.message_list.selected()
        self.message_list.tagged.clear()
        self._run(self.junk.mark(keys, junk))

    # ------------------------------------------------------------------ tags in bulk, unread

    def action_tag_query(self) -> None:
        """``ctrl+t``: tag every message of the open folder a search finds."""
        self.bulk.ask_query(self.account, self.folder, self._run)

    def action_tag_thread(self) -> None:
        """Tag the thread under the cursor (then d/a/N act on the whole thread)."""
        self.bulk.tag_thread()

    def action_untag_all(self) -> None:
        """Clear every tag."""
        self.bulk.untag_all()

    def action_invert_tags(self) -> None:
        """Tag the untagged messages, untag the tagged ones."""
        self.bulk.invert()

    def action_fold_all(self) -> None:
        """``alt+z``: fold every thread (or unfold all)."""
        self.bulk.fold_all()

    def action_next_unread(self, step: int = 1) -> None:
        """``n``/``p``: the next or previous unread message."""
        self.bulk.next_unread(step)

    def action_next_message(self, step: int = 1) -> None:
        """``j``/``k`` while the preview has focus: the next or previous message."""
        self.message_list.move_cursor(self.message_list.cursor + step)

    # ------------------------------------------------------------------ folders

    def _folder_here(self) -> tuple[str, Folder | None]:
        """The account and folder the folder keys act on (see the module docstring)."""
        tree = self.folder_tree
        node = tree.cursor_node
        if tree.has_focus and node is not None and node.data is not None:
            return node.data.account, node.data.folder
        return self.account, tree.folders.get(self.account, {}).get(self.folder)

    def _with_folder(self) -> tuple[str, Folder] | None:
        account, folder = self._folder_here()
        if folder is None:
            self.bridge.app.notify("Pick a folder first", severity="warning")
            return None
        return account, folder

    def action_create_folder(self) -> None:
        """Ask for a name and create the folder (in the tree's account)."""
        account, _folder = self._folder_here()
        known = self.folder_tree.folders.get(account, {}).values()
        delimiter = next((f.delimiter for f in known if f.delimiter), "/")
        self.folder_actions.create(account, delimiter)

    def action_rename_folder(self) -> None:
        """Ask for a new name and rename the folder."""
        if (found := self._with_folder()) is not None:
            account, folder = found
            is_open = (account, folder.name) == (self.account, self.folder)
            self.folder_actions.rename(account, folder, is_open=is_open)

    def action_delete_folder(self) -> None:
        """Ask, then delete the folder with its messages."""
        if (found := self._with_folder()) is not None:
            account, folder = found
            is_open = (account, folder.name) == (self.account, self.folder)
            self.folder_actions.delete(account, folder, is_open=is_open)

    def action_subscribe_folder(self, on: bool = True) -> None:
        """Subscribe to (or unsubscribe from) the folder."""
        if (found := self._with_folder()) is not None:
            self.folder_actions.subscribe(*found, on)

    def action_mark_folder_read(self) -> None:
        """Mark every message of the folder read."""
        if (found := self._with_folder()) is not None:
            self.folder_actions.mark_all_read(*found)

    def action_empty_folder(self, role: str) -> None:
        """Empty the account's Trash (``role`` "trash") or Junk ("junk") for good."""
        account, _folder = self._folder_here()
        wanted = FolderRole(role)
        self.folder_actions.empty(account, self.folder_tree.folder_by_role(account, wanted), wanted)

    def action_expunge_folder(self) -> None:
        """Remove for good what is marked deleted in the folder."""
        if (found := self._with_folder()) is not None:
            self.folder_actions.expunge(*found)
