"""TuiMailApp: screens, global keys, the service's start and stop, event routing.

Thin on purpose (DESIGN.md section 10): the panes live in
``ui/screens/main.py``, actions in ``ui/actions.py``, keys in ``ui/keymap.py``.
The service is built in ``on_mount`` from the factory the CLI passes, with a
listener that only posts a :class:`BackendMessage` (thread-safe). Starting and
stopping it run off the loop, and stopping is bounded.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import traceback
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

from textual import events
from textual.app import App
from textual.worker import Worker

from tui_mail.backend import EventListener, MailService, NewMailArrived
from tui_mail.config import Config
from tui_mail.errors import MailError
from tui_mail.paths import ui_state_file
from tui_mail.ui import keymap
from tui_mail.ui.bridge import (
    BackendMessage,
    ServiceBridge,
    WorkerFailed,
    listener_for,
    report_failure,
)
from tui_mail.ui.commands import MailCommands
from tui_mail.ui.compose_flow import ComposeFlow
from tui_mail.ui.screens.compose import ComposeScreen
from tui_mail.ui.screens.dialogs import ErrorScreen
from tui_mail.ui.screens.help import HelpScreen
from tui_mail.ui.screens.main import MainScreen
from tui_mail.ui.screens.outbox import OutboxScreen
from tui_mail.ui.screenshot import SpaceKeepingApp
from tui_mail.ui.type_ahead import KeyGate
from tui_mail.ui.widgets.folder_tree import FolderTree
from tui_mail.ui.widgets.message_list import MessageList

log = logging.getLogger(__name__)

STOP_TIMEOUT = 3.0
"""Seconds the service gets to stop its threads when the app quits."""


class TuiMailApp(SpaceKeepingApp[int]):
    """The reader: ``TuiMailApp(config, service_factory, account=None)``.

    ``service_factory(listener)`` builds the :class:`MailService` (the CLI
    passes ``lambda listener: MailServiceImpl(config, listener)``); ``account``
    is the one to open first (default: ``general.default_account``, else the
    first configured); ``clock`` fixes "now" for the list's dates (tests).
    """

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "tui-mail"
    BINDINGS = keymap.binding_types_for("app")
    COMMANDS = App.COMMANDS | {MailCommands}

    def __init__(
        self,
        config: Config,
        service_factory: Callable[[EventListener], MailService],
        *,
        account: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock
        """What "now" is for the list's dates (tests fix it; None: the local time)."""
        self.config = config
        self.service_factory = service_factory
        self.first_account = config.account(account).name
        self.user_keys: dict[str, str] = dict(config.keys)
        """The ``[keys]`` remapping (binding id -> keys), read by help and the palette."""
        self.service: MailService | None = None
        self.bridge: ServiceBridge | None = None
        self.main_screen: MainScreen | None = None
        self.compose_flow: ComposeFlow | None = None
        self.key_gate = KeyGate(self, partial(App.on_event, self))
        """Routes keys typed ahead one at a time (ui/type_ahead.py says why)."""

    async def on_event(self, event: events.Event) -> None:
        """Keys and pastes go through the key gate; everything else as Textual does it."""
        if not self.key_gate.admit(event):
            await super().on_event(event)

    def on_mount(self) -> None:
        # The sync and view threads are CPU-bound Python; with the default 5 ms GIL
        # switch interval the UI loop waited up to 5 ms at every GIL re-acquire (each
        # SQLite call, each terminal write) and stalled 90-110 ms at 100,000 messages.
        # 1 ms: largest gap 65-86 ms, sync time unchanged (tests/ui/test_big_folder.py).
        sys.setswitchinterval(0.001)
        theme = self.config.general.theme or "textual-dark"
        if theme in self.available_themes:
            self.theme = theme
        else:
            self.notify(
                f"Unknown theme {theme!r}; using the default", severity="warning", markup=False
            )
        unknown = keymap.unknown_ids(self.user_keys)
        if unknown:
            self.notify(
                "Unknown ids in [keys]: " + ", ".join(unknown), severity="warning", markup=False
            )
        self.set_keymap({k: v for k, v in self.user_keys.items() if k not in unknown})
        self.service = self.service_factory(listener_for(self))
        self.bridge = ServiceBridge(self, self.service)
        accounts = tuple(self.config.accounts)
        self.main_screen = MainScreen(
            self.bridge,
            accounts,
            self.first_account,
            mark_read_delay=self.config.general.mark_read_delay,
            clock=self.clock,
            downloads_dir=self.config.general.downloads_dir,
            oauth2_accounts=frozenset(n for n, a in self.config.accounts.items() if a.oauth2),
        )
        self.main_screen.setup_layout(self.config.ui, ui_state_file())
        self.push_screen(self.main_screen)
        self.compose_flow = ComposeFlow(self, self.service, self.config)
        self.run_worker(self._start_service(), group="service", exit_on_error=False)
        self.run_worker(self.compose_flow.offer_saved_drafts(), group="compose", exit_on_error=False)

    async def _start_service(self) -> None:
        assert self.service is not None and self.main_screen is not None
        await asyncio.to_thread(self.service.start)
        self.main_screen.service_started()
        # Everything built so far (modules, widgets) lives as long as the app: keep it
        # out of the collector's full passes, which stop every thread (the UI loop too).
        gc.collect()
        gc.freeze()

    async def on_unmount(self) -> None:
        await self.stop_service()

    async def stop_service(self) -> None:
        """Stop the backend threads off the loop; give up waiting after a bounded time."""
        service, self.service = self.service, None
        if service is None:
            return
        try:
            await asyncio.wait_for(asyncio.to_thread(service.stop, STOP_TIMEOUT), STOP_TIMEOUT + 2)
        except (TimeoutError, MailError) as error:
            log.warning("service did not stop cleanly: %s", error)

    # ------------------------------------------------------------------ routing

    def on_backend_message(self, message: BackendMessage) -> None:
        """Every backend event goes to the main screen, which matches its kind.

        New mail in a folder the user wants to hear about rings the bell when
        ``new_mail_bell`` is on (the desktop notice is the backend's).
        """
        event = message.event
        if isinstance(event, NewMailArrived) and self.config.general.new_mail_bell:
            if event.folder in self.config.accounts[event.account].notify_folders:
                self.bell()
        if self.main_screen is not None:
            self.main_screen.apply_event(event)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)

    def on_worker_failed(self, message: WorkerFailed) -> None:
        """The one place an unexpected failure becomes a dialog (never a traceback)."""
        error = message.error
        details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        log.error("worker %s failed:\n%s", message.job, details)
        self.push_screen(ErrorScreen(f"{type(error).__name__}: {error}", details))

    def on_main_screen_compose_requested(self, message: MainScreen.ComposeRequested) -> None:
        """c/r/R/f: the compose flow builds the draft and opens the compose screen."""
        if self.compose_flow is None:
            self.key_gate.no_screen_coming()
            return
        self.run_worker(self._compose(message), group="compose", exit_on_error=False)

    async def _compose(self, message: MainScreen.ComposeRequested) -> None:
        assert self.compose_flow is not None
        try:
            await self.compose_flow.start(
                message.kind, message.account, message.summary, message.body, message.raw
            )
        finally:  # the keys typed after c wait for the compose screen; if it failed, go on
            self.key_gate.no_screen_coming()

    def on_folder_tree_outbox_selected(self, message: FolderTree.OutboxSelected) -> None:
        """The Outbox entry of the tree: show the unsent messages."""
        if self.service is None or self.compose_flow is None:
            return
        queue = self.service.send_queue()
        self.push_screen(OutboxScreen(queue, message.account, self.compose_flow.edit_outbox_entry))

    def on_message_list_opened(self, message: MessageList.Opened) -> None:
        """Enter on a message in Drafts resumes writing it (elsewhere it is only shown)."""
        flow, summary = self.compose_flow, message.summary
        if flow is not None and flow.is_drafts_folder(summary.account, summary.folder):
            self.run_worker(flow.resume(summary), group="compose", exit_on_error=False)

    # ------------------------------------------------------------------ global actions

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(keymap.help_rows(self.user_keys)))

    def action_sync_now(self) -> None:
        if self.main_screen is not None:
            self.main_screen.action_sync_now()

    async def action_quit(self) -> None:
        if isinstance(self.screen, ComposeScreen) and self.compose_flow is not None:
            # What was typed survives quitting mid-message (a small write, once).
            self.compose_flow.save_now(self.screen.current_draft())
        await self.stop_service()
        self.exit(0)
