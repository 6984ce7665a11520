"""The main screen: folder tree, message list, preview (``ui/layout``), status bar, footer.

It wires the panes: a folder picked in the tree opens in the list (cached view at once, then
a ``SyncFolder``); the cursor's message is fetched, shown and marked read (``reading.py``). Each
backend event goes to :meth:`apply_event`, which matches its kind. The helpers never see the
screen: ``events.py`` (account states), ``search_flow.py``, ``message_keys.py``, ``reading.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, cast

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkType

from tui_mail import backend
from tui_mail.models import Folder, FolderRole, MessageBody, MessageSummary
from tui_mail.ui import keymap
from tui_mail.ui.actions import MessageActions
from tui_mail.ui.attachments import AttachmentOpener, AttachmentSaver
from tui_mail.ui.bridge import ServiceBridge, report_failure
from tui_mail.ui.daily.actions import DailyActions
from tui_mail.ui.layout.panes import LayoutActions
from tui_mail.ui.screens.events import AccountStates, action_failed_text, send_failure_text
from tui_mail.ui.screens.message_keys import MessageKeys
from tui_mail.ui.screens.password import ask_password
from tui_mail.ui.screens.reading import MessageReader, ReadMarker
from tui_mail.ui.screens.search_flow import PREVIEW_AFTER_TYPING, SearchController
from tui_mail.ui.screens.sign_in import ask_sign_in, show_sign_in_prompt
from tui_mail.ui.selection import MessageKey
from tui_mail.ui.textual_compat import focused_without_repaint
from tui_mail.ui.type_ahead import expect_screen
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


class MainScreen(DailyActions, LayoutActions, Screen[None]):
    """Three panes over one or more accounts; ``bridge`` reaches the backend."""

    BINDINGS = keymap.binding_types_for("main", "message", "folders") + [
        b for b in keymap.bindings_for("preview") if b.id == "preview.back"
    ]

    focused = focused_without_repaint()
    """Textual's ``Screen.focused`` without its repaint of the whole screen (issue #8)."""

    @dataclass
    class ComposeRequested(Message):
        """c (``kind`` "new"), r ("reply"), R ("reply_all") or f ("forward") was pressed.

        ``summary``/``body``/``raw``: the message shown (None for "new"). The app handles it
        (compose screen, outbox, SMTP); nothing here sends."""

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
        oauth2_accounts: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self.oauth2_accounts = oauth2_accounts  # these "need sign-in", never a password
        self.bridge = bridge
        self.accounts = accounts
        self.account = account
        self.folder = ""
        self.folder_tree = FolderTree(accounts, id="folders")
        self.message_list = MessageList(id="messages", clock=clock)
        self.preview = MessagePreview(id="preview")
        self.status = StatusBar(id="status")
        self.key_bar = KeyBar()
        self.search_bar = SearchBar(id="search-bar")
        """Hidden until ``/`` or ``l``; then it covers the key bar's line (app.tcss layers)."""
        self.search = SearchController(
            self.search_bar, self.message_list, self.status, bridge.service.submit
        )
        self.actions = MessageActions(bridge, self.message_list)
        self.keys = MessageKeys(
            bridge.app, self.actions, self.message_list, self.folder_tree, self._run
        )
        self.reader = MessageReader(bridge, self.message_list, self.preview, self._fetch_in)
        self.reads = ReadMarker(
            self.actions,
            self.message_list,
            self.preview,
            delay=mark_read_delay,
            run=self._run,
            set_timer=self.set_timer,
        )
        self.states = AccountStates()
        self.saver = AttachmentSaver(bridge.app, downloads_dir)
        self.opener = AttachmentOpener(bridge.app)
        self._refresh_pending = False
        self.setup_daily_actions()

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            yield self.folder_tree
            yield self.tree_divider
            with Vertical(id="reader"):
                yield self.message_list
                yield self.reader_divider
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
            self.folders_known(account, cached)
        folders = await self.bridge.call(backend.ListFolders(account))
        self.folders_known(account, folders)

    def folders_known(self, account: str, folders: Sequence[Folder]) -> None:
        """A folder list with counts (from the cache, ListFolders or FoldersChanged)."""
        self.folder_tree.set_folders(account, folders)
        for folder in folders:
            if self.is_open(account, folder.name):
                self.status.update_status(total=folder.total, unread=folder.unread)

    def show_folder_status(self) -> None:
        """The status bar names the open folder with its counts (e.g. back from a search)."""
        known = self.folder_tree.folders.get(self.account, {}).get(self.folder)
        self.status.update_status(
            account=self.account,
            folder=self.folder,
            total=known.total if known else 0,
            unread=known.unread if known else 0,
            **self.states.fields(self.account),
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
        try:
            await self.bridge.call(backend.SyncFolder(account, folder))
        finally:  # keys typed ahead at start wait for the first rows, or the view after this
            self.message_list.sync_ended()
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

    def rebuild_view(self, keep: MessageKey | None = None) -> None:
        """A fresh snapshot of the open folder (or of the search results shown)."""
        if self.search.active:
            self.run_search()
        else:
            self._rebuild_folder_view(keep)

    @work(exclusive=True, group="view", exit_on_error=False)
    async def _rebuild_folder_view(self, keep: MessageKey | None = None) -> None:
        """A fresh snapshot of the open folder, keeping the cursor on its message."""
        account, folder = self.account, self.folder
        view = await self.bridge.view(
            account, folder, self.message_list.order, self.message_list.collapsed
        )
        if (account, folder) == (self.account, self.folder):
            self.message_list.set_view(view, keep=keep)
            if not len(self.message_list.rows):
                self.preview.clear()

    def on_folder_tree_folder_selected(self, event: FolderTree.FolderSelected) -> None:
        self.open_folder(event.account, event.folder.name)
        self.message_list.focus()

    def on_message_list_order_changed(self, event: MessageList.OrderChanged) -> None:
        self.rebuild_view()

    # ------------------------------------------------------------------ showing a message

    def on_message_list_highlighted(self, event: MessageList.Highlighted) -> None:
        self.reads.cursor_moved(event.summary)
        show = partial(self.reader.show, event.summary)
        if self.search.holds_preview():
            self.search.hold_preview(self.set_timer(PREVIEW_AFTER_TYPING, show))
        else:
            show()

    def _fetch_in(self, make_job: Callable[[], Coroutine[None, None, None]]) -> None:
        # Exclusive: a newer cursor move cancels the fetch of the message left behind. A
        # factory, not a coroutine, as @work passes: one cancelled unstarted is never made.
        self.run_worker(
            cast("WorkType[None]", make_job),  # the factory matches two arms of WorkType
            name="fetch_body",
            group="preview",
            exclusive=True,
            exit_on_error=False,
        )

    def on_message_list_opened(self, event: MessageList.Opened) -> None:
        self.preview.focus()
        self.reads.opened(event.summary)

    def on_message_preview_shown(self, event: MessagePreview.Shown) -> None:
        self.reads.shown(event.key)

    # ------------------------------------------------------------------ actions

    def _run(self, job: Coroutine[Any, Any, None]) -> None:
        """Run an action in a worker; actions never supersede each other."""
        self.run_worker(job, group="actions", exit_on_error=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        focused = self.focused
        if action in MESSAGE_ACTIONS:
            return not isinstance(focused, FolderTree)
        if action == "back_to_list":
            return isinstance(focused, MessagePreview) or self.search.is_open
        return True

    def action_toggle_read(self) -> None:
        self.keys.toggle_read()

    def action_toggle_flag(self) -> None:
        self.keys.toggle_flag()

    def action_delete(self) -> None:
        self.keys.delete()

    def action_archive(self) -> None:
        self.keys.archive()

    def action_move(self) -> None:
        self.keys.move()

    def action_copy(self) -> None:
        self.keys.copy()

    def action_undo(self) -> None:
        self.keys.undo()

    def move_selection_to(self, dest: str) -> None:
        """Move the tagged messages (else the cursor's) to ``dest`` (the palette's "Move to")."""
        self.keys.move_to(dest)

    def action_all_headers(self) -> None:
        self.preview.toggle_all_headers()

    def action_raw_source(self) -> None:
        self.preview.toggle_raw_source()

    def action_back_to_list(self) -> None:
        if self.message_list.has_focus and self.search.is_open:
            self.search_bar.action_close()  # Escape in the results (after Enter) leaves the search
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
        await self.bridge.call(backend.SyncAll(self.account))
        self.sync_folder(self.account, self.folder)

    def action_compose(self, kind: str) -> None:
        """c/r/R/f: ask the app to open the compose screen (it owns sending)."""
        row = self.message_list.current if kind != "new" else None
        if kind != "new" and (row is None or self.preview.body is None):
            self.notify("Show a message first", severity="warning")
            return
        shown = (row.summary, self.preview.body, self.preview.raw) if row else (None, None, None)
        expect_screen(self)  # the screen opens from a worker: keys typed after c are for it
        self.post_message(self.ComposeRequested(kind, self.account, *shown))

    def action_search(self) -> None:
        self.search.open(self.account, self.folder)

    def action_limit(self) -> None:
        self.search.open(self.account, self.folder, limit=True)

    def run_search(self) -> None:
        """Search for the bar's query (at once, or after the search in flight)."""
        if self.search.start():
            self.run_worker(self.search.search(), group="search", exit_on_error=False)

    def on_search_bar_search_changed(self, event: SearchBar.SearchChanged) -> None:
        self._search_changed(event.query, event.scope)

    def on_search_bar_search_submitted(self, event: SearchBar.SearchSubmitted) -> None:
        event.stop()
        self._search_changed(event.query, event.scope, server=True)
        self.message_list.focus()

    def _search_changed(self, query: str, scope: Any, *, server: bool = False) -> None:
        if self.search.changed(query, scope, server=server):
            self.run_search()
        else:  # an empty query: the folder again, at the message the search began on
            self.rebuild_view(keep=self.search.return_to)
            self.show_folder_status()

    def on_search_bar_search_closed(self, event: SearchBar.SearchClosed) -> None:
        back = self.search.close()
        if back is not None:
            self.account, self.folder, key = back
            self.rebuild_view(keep=key)
        self.show_folder_status()
        self.message_list.focus()

    # ------------------------------------------------------------------ backend events

    def is_open(self, account: str, folder: str) -> bool:
        """True when the list shows that folder (or searches from it)."""
        return (account, folder) == (self.account, self.folder)

    def apply_event(self, event: backend.BackendEvent) -> None:
        """Apply one backend event, on the UI loop (the app hands each one here).

        Unknown kinds are ignored (a newer backend may send more). When IDLE sees a
        change the service syncs the folder itself, and the rows arrive as
        MessagesAdded/FlagsChanged.
        """
        match event:
            case backend.AccountStateChanged():
                self._state_changed(event)
            case backend.SignInPrompted():
                show_sign_in_prompt(self.app, event)
            case backend.FoldersChanged():
                self.folders_known(event.account, event.folders)
            case backend.FolderCountsChanged(total=total, unread=unread):
                self.folder_tree.set_counts(event.account, event.folder, total, unread)
                if self.is_open(event.account, event.folder):
                    self.status.update_status(total=total, unread=unread)
            case backend.NewMailArrived():
                self.folder_tree.mark_new_mail(event.account, event.folder)
            case backend.MessagesAdded() | backend.MessagesRemoved() | backend.FlagsChanged():
                if self.is_open(event.account, event.folder):
                    self.refresh_view()
            case backend.SyncProgress():
                if self.is_open(event.account, event.folder):
                    self.status.update_status(sync_done=event.done, sync_total=event.total)
            case backend.IndexProgress() if event.account == self.account:
                total = 0 if event.finished else event.total  # 0: nothing to show
                self.status.update_status(index_done=event.done, index_total=total)
            case backend.OutboxChanged():
                self.status.update_status(outbox=event.pending)
                self.folder_tree.set_outbox(event.account, event.pending)
                if event.last_error:
                    self.notify(send_failure_text(event), severity="error", markup=False)
            case backend.QueuedActionsChanged() if event.account == self.account:
                self.status.update_status(queued=event.pending)
            case backend.QueuedActionFailed():
                self.notify(action_failed_text(event), severity="warning", markup=False)
                if self.is_open(event.account, event.folder):
                    self.refresh_view()

    def _state_changed(self, event: backend.AccountStateChanged) -> None:
        change = self.states.changed(event)
        if event.account == self.account:
            self.status.update_status(**self.states.fields(event.account))
        if change.ask_password:
            ask = ask_sign_in if event.account in self.oauth2_accounts else ask_password
            ask(
                self.app,
                self.bridge.service,
                event.account,
                event.reason,
                closed=partial(self.states.password_answered, event.account),
                run=partial(self.run_worker, group="password", exit_on_error=False),
            )
        if change.retry:  # jobs asked for while the account was down failed: ask again
            self.load_folders(event.account)
            if event.account == self.account and self.folder:
                self.sync_folder(event.account, self.folder)

    # ------------------------------------------------------------------ failures

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self.app, event)
