"""What the main screen does with each backend event (DESIGN.md section 1).

The app hands every :class:`BackendEvent` to :meth:`EventRouter.handle`, on the
UI loop. Events for the open folder rebuild its view (gathered over a short
delay, since a sync sends them in bursts); counts go to the tree and the
status bar; an ``AuthError`` state asks for the password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tui_mail.backend.api import (
    AccountState,
    AccountStateChanged,
    BackendEvent,
    FlagsChanged,
    FolderCountsChanged,
    FoldersChanged,
    IndexProgress,
    MessagesAdded,
    MessagesRemoved,
    OutboxChanged,
    SyncProgress,
)
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import Folder

if TYPE_CHECKING:
    from tui_mail.ui.screens.main import MainScreen


_RECOVERED_FROM = (AccountState.AUTH_FAILED, AccountState.OFFLINE)


class EventRouter:
    """Turns backend events into changes of the main screen's panes."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.states: dict[str, tuple[AccountState, str]] = {}
        self._asking_password: set[str] = set()
        self._down: set[str] = set()
        """Accounts that were offline or refused since they were last online."""
        self._handlers: dict[type[BackendEvent], Callable[[Any], None]] = {
            AccountStateChanged: self._state,
            FoldersChanged: lambda e: self.folders_known(e.account, e.folders),
            FolderCountsChanged: self._counts,
            MessagesAdded: self._rows_changed,
            MessagesRemoved: self._rows_changed,
            FlagsChanged: self._rows_changed,
            SyncProgress: self._progress,
            IndexProgress: self._index_progress,
            OutboxChanged: self._outbox,
        }

    def handle(self, event: BackendEvent) -> None:
        """Apply one event (unknown kinds are ignored: a newer backend may send more).

        ``FolderChanged`` needs nothing: the service syncs the folder itself when
        IDLE sees a change, and the rows arrive as MessagesAdded/FlagsChanged.
        """
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _is_open(self, account: str, folder: str) -> bool:
        return (account, folder) == (self.screen.account, self.screen.folder)

    def state_fields(self, account: str) -> dict[str, Any]:
        """The status bar fields for an account's connection state."""
        state, reason = self.states.get(account, (AccountState.CONNECTING, ""))
        return {"state": state, "reason": reason}

    def folders_known(self, account: str, folders: Sequence[Folder]) -> None:
        """A folder list with counts (from the cache, ListFolders or FoldersChanged)."""
        screen = self.screen
        screen.folder_tree.set_folders(account, folders)
        for folder in folders:
            if self._is_open(account, folder.name):
                screen.status.update_status(total=folder.total, unread=folder.unread)

    def _state(self, event: AccountStateChanged) -> None:
        self.states[event.account] = (event.state, event.reason)
        if event.account == self.screen.account:
            self.screen.status.update_status(**self.state_fields(event.account))
        if event.state is AccountState.AUTH_FAILED:
            self._ask_password(event.account, event.reason)
        if event.state in _RECOVERED_FROM:
            self._down.add(event.account)
        elif event.state is AccountState.ONLINE and event.account in self._down:
            # Jobs asked for while the account was down failed: ask again now.
            self._down.discard(event.account)
            self.screen.load_folders(event.account)
            if event.account == self.screen.account and self.screen.folder:
                self.screen.sync_folder(event.account, self.screen.folder)

    def _counts(self, event: FolderCountsChanged) -> None:
        self.screen.folder_tree.set_counts(event.account, event.folder, event.total, event.unread)
        if self._is_open(event.account, event.folder):
            self.screen.status.update_status(total=event.total, unread=event.unread)

    def _rows_changed(self, event: MessagesAdded | MessagesRemoved | FlagsChanged) -> None:
        if self._is_open(event.account, event.folder):
            self.screen.refresh_view()

    def _progress(self, event: SyncProgress) -> None:
        if self._is_open(event.account, event.folder):
            self.screen.status.update_status(sync_done=event.done, sync_total=event.total)

    def _index_progress(self, event: IndexProgress) -> None:
        if event.account == self.screen.account:
            total = 0 if event.finished else event.total  # 0: nothing to show
            self.screen.status.update_status(index_done=event.done, index_total=total)

    def _outbox(self, event: OutboxChanged) -> None:
        self.screen.status.update_status(outbox=event.pending)
        self.screen.folder_tree.set_outbox(event.account, event.pending)
        if event.last_error:
            self.screen.notify(
                "Sending failed; the message stays in the outbox: "
                + clean_line(event.last_error, 200),
                severity="error",
                markup=False,
            )

    def _ask_password(self, account: str, reason: str) -> None:
        """Ask once per failure for the password, then hand it to the service (off the loop)."""
        from tui_mail.ui.screens.password import PasswordScreen

        if account in self._asking_password:
            return
        self._asking_password.add(account)

        def answered(result: tuple[str, bool] | None) -> None:
            self._asking_password.discard(account)
            if result is not None:
                password, remember = result
                service = self.screen.bridge.service
                self.screen.run_worker(
                    asyncio.to_thread(service.set_password, account, password, remember),
                    group="password",
                    exit_on_error=False,
                )

        self.screen.app.push_screen(PasswordScreen(account, server_message=reason), answered)
