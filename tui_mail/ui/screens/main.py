"""The main screen: folder tree | message list over the preview, status bar, footer.

The screen wires its panes together: a folder picked in the tree opens in the
list (the cached view at once, then a ``SyncFolder``); a message highlighted in
the list is fetched (``FetchBody`` in an exclusive worker, the next one
prefetched) and shown by the preview, which parses and renders off the loop;
a message shown is marked read through the undoable actions. Backend events
reach :meth:`MainScreen.handle_event` from the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker

from tui_mail.backend.api import FetchBody, ListFolders, SyncAll, SyncFolder
from tui_mail.errors import MailError
from tui_mail.models import Folder, FolderRole, MessageBody, MessageSummary
from tui_mail.ui import keymap
from tui_mail.ui.actions import MessageActions
from tui_mail.ui.attachments import AttachmentOpener, AttachmentSaver
from tui_mail.ui.bridge import ServiceBridge, report_failure
from tui_mail.ui.screens.dialogs import ConfirmScreen
from tui_mail.ui.screens.events import EventRouter
from tui_mail.ui.screens.folder_picker import FolderPickerScreen
from tui_mail.ui.screens.search_flow import SearchController
from tui_mail.ui.widgets.folder_tree import FolderTree
from tui_mail.ui.widgets.key_bar import KeyBar
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.preview import MessagePreview
from tui_mail.ui.widgets.search_bar import SearchBar
from tui_mail.ui.widgets.status_bar import StatusBar

MESSAGE_ACTIONS = {s.action for s in keymap.BINDINGS_REGISTRY if s.scope == "message"}
REFRESH_DELAY = 0.25
"""Seconds to gather backend events before rebuilding the open folder's view."""
ROWS_PER_EXTRA_SECOND = 50_000
"""Each this many rows in the list add a second to that wait (see ``refresh_view``)."""


class MainScreen(Screen[None]):
    """Three panes over one or more accounts; ``bridge`` reaches the backend."""

    BINDINGS = keymap.binding_types_for("main", "message") + [
        b for b in keymap.bindings_for("preview") if b.id == "preview.back"
    ]

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    """Textual's ``Screen.focused`` without its repaint of the whole screen.

    The widgets that gain and lose focus repaint themselves, and their CSS is
    applied again; repainting every pane as well made a focus move (Enter on a
    message, Escape back, Tab) cost a full-screen redraw (issue #8).
    """

    @dataclass
    class ComposeRequested(Message):
        """c (``kind`` "new"), r ("reply"), R ("reply_all") or f ("forward") was pressed.

        ``summary``/``body``/``raw`` describe the message shown (None for "new").
        The app handles it (compose screen, outbox, SMTP); nothing here sends.
        """

        kind: str
        account: str
        summary: MessageSummary | None
        body: MessageBody | None
        raw: bytes | None

    def __init__(
        self,
        bridge: ServiceBridge,
        accounts: tuple[str, ...],
        account: str,
        *,
        mark_read_delay: float = 0.0,
        clock: Callable[[], datetime] | None = None,
        downloads_dir: str = "~/Downloads",
    ) -> None:
        super().__init__()
        self.bridge = bridge
        self.accounts = accounts
        self.account = account
        self.folder = ""
        self.mark_read_delay = mark_read_delay
        self.folder_tree = FolderTree(accounts, id="folders")
        self.message_list = MessageList(id="messages", clock=clock)
        self.preview = MessagePreview(id="preview")
        self.status = StatusBar(id="status")
        self.search = SearchController(self)
        self.actions = MessageActions(bridge, self.message_list, self.search.location)
        self.router = EventRouter(self)
        self.saver = AttachmentSaver(bridge.app, downloads_dir)
        self.opener = AttachmentOpener(bridge.app)
        self._refresh_pending = False
        self.key_bar = KeyBar()
        self.search_bar = SearchBar(id="search-bar")
        """Hidden until ``/`` or ``l``; then it covers the key bar's line (app.tcss layers)."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            yield self.folder_tree
            with Vertical(id="reader"):
                yield self.message_list
                yield self.preview
        yield self.status
        yield self.key_bar
        yield self.search_bar

    def on_mount(self) -> None:
        self.status.update_status(account=self.account)
        self.message_list.focus()

    def service_started(self) -> None:
        """The service is running: open the first account's Inbox, list every account's folders."""
        self.open_folder(self.account, "INBOX")
        for account in self.accounts:
            self.load_folders(account)

    # ------------------------------------------------------------------ folders

    @work(group="folders", exit_on_error=False)
    async def load_folders(self, account: str) -> None:
        """The cached folder list at once, then the server's (also announced as an event)."""
        cached = await asyncio.to_thread(self.bridge.service.cached_folders, account)
        if cached:
            self.router.folders_known(account, cached)
        folders = await self.bridge.call(ListFolders(account))
        self.router.folders_known(account, folders)

    def show_folder_status(self) -> None:
        """The status bar names the open folder with its counts (e.g. back from a search)."""
        known = self.folder_tree.folders.get(self.account, {}).get(self.folder)
        self.status.update_status(
            account=self.account,
            folder=self.folder,
            total=known.total if known else 0,
            unread=known.unread if known else 0,
            **self.router.state_fields(self.account),
        )

    @work(exclusive=True, group="open-folder", exit_on_error=False)
    async def open_folder(self, account: str, folder: str) -> None:
        """Show a folder's cached rows now, then sync it."""
        self.account, self.folder = account, folder
        known = self.folder_tree.folders.get(account, {}).get(folder)
        role = known.role if known else FolderRole.NONE
        self.folder_tree.select_folder(account, folder)
        self.show_folder_status()
        view = await self.bridge.view(account, folder, self.message_list.order)
        self.message_list.reset(view, show_recipient=role in (FolderRole.SENT, FolderRole.DRAFTS))
        if not len(self.message_list.rows):
            self.preview.clear()
        self.sync_folder(account, folder)

    @work(exclusive=True, group="sync", exit_on_error=False)
    async def sync_folder(self, account: str, folder: str) -> None:
        """Ask the backend to sync; rows arrive as events while it runs."""
        await self.bridge.call(SyncFolder(account, folder))
        self.refresh_view()

    def refresh_view(self) -> None:
        """Rebuild the open folder's view soon (events come in bursts)."""
        if not self._refresh_pending:
            self._refresh_pending = True
            # A big folder's snapshot costs more to build (off the loop, but on the same
            # GIL): while a sync streams batches, rebuild it less often.
            delay = REFRESH_DELAY + len(self.message_list.rows) / ROWS_PER_EXTRA_SECOND
            self.set_timer(delay, self._rebuild_view)

    def _rebuild_view(self) -> None:
        self._refresh_pending = False
        self.rebuild_view()

    def rebuild_view(self, keep_uid: int | None = None) -> None:
        """A fresh snapshot of the open folder (or of the search results shown)."""
        if self.search.active:
            self.search.run()
        else:
            self._rebuild_folder_view(keep_uid)

    @work(exclusive=True, group="view", exit_on_error=False)
    async def _rebuild_folder_view(self, keep_uid: int | None = None) -> None:
        """A fresh snapshot of the open folder, keeping the cursor on its message."""
        account, folder = self.account, self.folder
        view = await self.bridge.view(
            account, folder, self.message_list.order, self.message_list.collapsed
        )
        if (account, folder) == (self.account, self.folder):
            self.message_list.set_view(view, keep_uid=keep_uid)
            if not len(self.message_list.rows):
                self.preview.clear()

    def on_folder_tree_folder_selected(self, event: FolderTree.FolderSelected) -> None:
        self.open_folder(event.account, event.folder.name)
        self.message_list.focus()

    def on_message_list_order_changed(self, event: MessageList.OrderChanged) -> None:
        self.rebuild_view()

    # ------------------------------------------------------------------ showing a message

    def on_message_list_highlighted(self, event: MessageList.Highlighted) -> None:
        summary = event.summary
        if summary is None or summary.uid != self.actions.slid_uid:
            self.actions.slid_uid = None
        show = self.preview.clear if summary is None else partial(self._show_message, summary)
        if not self.search.defer_preview(show):
            show()

    def _show_message(self, summary: MessageSummary) -> None:
        self.preview.show_loading((summary.account, summary.folder, summary.uid))
        self.fetch_body(summary)

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def fetch_body(self, summary: MessageSummary) -> None:
        """Fetch the body (an exclusive worker: a newer cursor move cancels this one)."""
        key = (summary.account, summary.folder, summary.uid)
        try:
            raw = await self.bridge.call(
                FetchBody(summary.account, summary.folder, summary.uid), quiet=True
            )
        except MailError as error:
            self.preview.show_error(error.summary, error.details, key)
            return
        if self.preview.key == key:
            self.preview.show_raw_message(raw, key)
        self._prefetch_next()

    def _prefetch_next(self) -> None:
        next_row = self.message_list.rows.row(self.message_list.cursor + 1)
        if next_row is not None:
            s = next_row.summary
            future = self.bridge.service.submit(FetchBody(s.account, s.folder, s.uid))
            future.add_done_callback(lambda f: f.cancelled() or f.exception())

    def on_message_list_opened(self, event: MessageList.Opened) -> None:
        self.preview.focus()
        if event.summary.uid == self.actions.slid_uid:
            self.actions.slid_uid = None
            if event.summary.unread and self.preview.key == (
                event.summary.account,
                event.summary.folder,
                event.summary.uid,
            ):
                self._run(self.actions.mark_read_quietly(event.summary.uid))

    def on_message_preview_shown(self, event: MessagePreview.Shown) -> None:
        row = self.message_list.current
        if row is None or not row.summary.unread:
            return
        if event.key != (row.summary.account, row.summary.folder, row.summary.uid):
            return
        uid = row.summary.uid
        if uid == self.actions.slid_uid:
            return  # it slid under the cursor after a removal; Enter or moving reads it
        if self.mark_read_delay > 0:
            self.set_timer(self.mark_read_delay, lambda: self._mark_read_if_still_shown(uid))
        else:
            self._run(self.actions.mark_read_quietly(uid))

    def _mark_read_if_still_shown(self, uid: int) -> None:
        row = self.message_list.current
        if row is not None and row.summary.uid == uid and row.summary.unread:
            self._run(self.actions.mark_read_quietly(uid))

    # ------------------------------------------------------------------ actions

    def _run(self, job: Coroutine[Any, Any, None]) -> None:
        """Run an action in a worker; actions never supersede each other."""
        self.run_worker(job, group="actions", exit_on_error=False)

    def _selection(self) -> tuple[int, ...]:
        uids = self.message_list.selected_uids()
        self.message_list.tagged.clear()
        return uids

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        focused = self.focused
        if action in MESSAGE_ACTIONS:
            return not isinstance(focused, FolderTree)
        if action == "back_to_list":
            return isinstance(focused, MessagePreview)
        return True

    def action_toggle_read(self) -> None:
        self._run(self.actions.toggle_read(self._selection()))

    def action_toggle_flag(self) -> None:
        self._run(self.actions.toggle_flag(self._selection()))

    def action_delete(self) -> None:
        uids = self._selection()
        if not uids:
            return
        trash = self.folder_tree.folder_by_role(self.account, FolderRole.TRASH)
        if trash is None or trash.name == self.folder:
            question = f"Delete {len(uids)} message(s) for good? This cannot be undone."

            def answered(answer: str | None) -> None:
                if answer == "yes":
                    self._run(self.actions.delete(uids))

            self.app.push_screen(ConfirmScreen(question, title="Delete for good"), answered)
            return
        self._run(self.actions.delete(uids))

    def action_archive(self) -> None:
        archive = self.folder_tree.folder_by_role(self.account, FolderRole.ARCHIVE)
        if archive is None:
            self.notify("This account has no Archive folder", severity="warning")
            return
        self._run(self.actions.move(self._selection(), archive.name, what="Archived"))

    def _pick_folder(self, title: str, then: Any) -> None:
        uids = self._selection()
        if not uids:
            return
        names = [
            f.name for f in self.folder_tree.folders.get(self.account, {}).values() if f.selectable
        ]

        def picked(dest: str | None) -> None:
            if dest is not None:
                self._run(then(uids, dest))

        self.app.push_screen(FolderPickerScreen(names, title=title, exclude=(self.folder,)), picked)

    def move_selection_to(self, dest: str) -> None:
        """Move the tagged messages (else the cursor's) to ``dest`` (the palette's "Move to")."""
        self._run(self.actions.move(self._selection(), dest))

    def action_move(self) -> None:
        self._pick_folder("Move to folder", self.actions.move)

    def action_copy(self) -> None:
        self._pick_folder("Copy to folder", self.actions.copy)

    def action_undo(self) -> None:
        self._run(self.actions.undo())

    def action_all_headers(self) -> None:
        self.preview.toggle_all_headers()

    def action_raw_source(self) -> None:
        self.preview.toggle_raw_source()

    def action_back_to_list(self) -> None:
        self.message_list.focus()

    def action_focus_next_pane(self) -> None:
        self._cycle(1)

    def action_focus_previous_pane(self) -> None:
        self._cycle(-1)

    def _cycle(self, step: int) -> None:
        panes: list[Widget] = [self.folder_tree, self.message_list, self.preview]
        current = panes.index(self.focused) if self.focused in panes else 1
        panes[(current + step) % len(panes)].focus()

    def action_sync_now(self) -> None:
        self._run(self._sync_all())

    async def _sync_all(self) -> None:
        self.notify("Syncing…", timeout=2)
        await self.bridge.call(SyncAll(self.account))
        self.sync_folder(self.account, self.folder)

    def action_compose(self, kind: str) -> None:
        """c/r/R/f: ask the app to open the compose screen (it owns sending)."""
        row = self.message_list.current if kind != "new" else None
        if kind != "new" and (row is None or self.preview.body is None):
            self.notify("Show a message first", severity="warning")
            return
        self.post_message(
            self.ComposeRequested(
                kind,
                self.account,
                row.summary if row else None,
                self.preview.body if row else None,
                self.preview.raw if row else None,
            )
        )

    def action_search(self) -> None:
        self.search.open()

    def action_limit(self) -> None:
        self.search.open(limit=True)

    def on_search_bar_search_changed(self, event: SearchBar.SearchChanged) -> None:
        self.search.changed(event.query, event.scope)

    def on_search_bar_search_submitted(self, event: SearchBar.SearchSubmitted) -> None:
        event.stop()
        self.search.changed(event.query, event.scope, server=True)
        self.message_list.focus()

    def on_search_bar_search_closed(self, event: SearchBar.SearchClosed) -> None:
        self.search.close()

    def action_save_attachments(self) -> None:
        self.saver.ask(self.preview.body, self.preview.raw)

    def action_open_attachment(self) -> None:
        self.opener.ask(self.preview.body, self.preview.raw)

    # ------------------------------------------------------------------ failures

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self.app, event)

    def folder_named(self, account: str, name: str) -> Folder | None:
        """A known folder of an account (None before the list is known)."""
        return self.folder_tree.folders.get(account, {}).get(name)
