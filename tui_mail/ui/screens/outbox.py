"""The outbox screen: messages not sent yet, with the error that kept each one back.

Opened from the Outbox entry of the folder tree. Rows show the subject, the
recipients, the tries and the last error; Enter shows the message and its
error below. ``s`` sends the highlighted one again, ``e`` takes it back into
the compose screen (saved as a local draft first, so no text is lost), ``d``
deletes it after asking. Everything shown came from disk or the network and is
passed through ``clean_line``/``clean_text`` into ``rich.text.Text``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import app as textual_app
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from tui_mail.backend import OutboxEntry, OutboxQueue
from tui_mail.errors import MailError
from tui_mail.mail.parse import parse_message
from tui_mail.mail.sanitize import clean_line, clean_text
from tui_mail.ui import keymap
from tui_mail.ui.screens.dialogs import YES_NO, ConfirmScreen
from tui_mail.ui.widgets.key_bar import KeyBar

#: Seconds between looks at the outbox folder while the screen is open.
RELOAD_SECONDS = 1.0

EditEntry = Callable[[OutboxEntry, bytes], Awaitable[None]]


class OutboxScreen(Screen[None]):
    """``OutboxScreen(queue, account, on_edit)``: the account's unsent messages.

    ``on_edit(entry, message_bytes)`` opens the compose screen for an entry; it
    runs on the loop and must not block. Keys come from the ``outbox`` scope.
    """

    DEFAULT_CSS = """
    OutboxScreen #outbox-table { height: 1fr; }
    OutboxScreen #outbox-detail { height: 2fr; border-top: solid $primary; padding: 0 1; }
    """

    BINDINGS = keymap.binding_types_for("outbox")

    def __init__(self, queue: OutboxQueue, account: str, on_edit: EditEntry) -> None:
        super().__init__()
        self.queue = queue
        self.account = account
        self.on_edit = on_edit
        self.entries: list[OutboxEntry] = []

    def compose(self) -> textual_app.ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", id="outbox-table")
        table.add_columns("Subject", "To", "Tries", "Last error")
        yield table
        with VerticalScroll(id="outbox-detail"):
            yield Static(Text("Enter shows a message; s sends it again."), id="outbox-message")
        yield KeyBar()

    async def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        await self.reload()
        self.set_interval(RELOAD_SECONDS, self.reload)

    async def reload(self) -> None:
        """Read the outbox again (off the loop) and redraw the rows that changed."""
        try:
            entries = await asyncio.to_thread(self.queue.entries)
        except OSError as error:
            self.notify(f"Cannot read the outbox: {error}", severity="error", markup=False)
            return
        entries = [e for e in entries if e.account == self.account]
        if entries == self.entries:
            return
        self.entries = entries
        table: DataTable[Text] = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for entry in entries:
            table.add_row(
                Text(clean_line(entry.subject, 200) or "(no subject)"),
                Text(clean_line(", ".join(entry.recipients), 200)),
                Text(str(entry.attempts)),
                Text(clean_line(entry.last_error, 300), style="red"),
                key=entry.id,
            )
        if entries:
            table.move_cursor(row=min(row, len(entries) - 1))

    def current(self) -> OutboxEntry | None:
        """The entry under the cursor."""
        table: DataTable[Text] = self.query_one(DataTable)
        if not self.entries or not 0 <= table.cursor_row < len(self.entries):
            return None
        return self.entries[table.cursor_row]

    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter: show the message with its error."""
        entry = self.current()
        if entry is None:
            return
        try:
            raw = await asyncio.to_thread(self.queue.message, entry.id)
        except (MailError, OSError) as error:
            self.notify(f"Cannot read the message: {error}", severity="error", markup=False)
            return
        body = await asyncio.to_thread(parse_message, raw)
        shown = Text()
        if entry.last_error:
            step = f" ({clean_line(entry.last_step)})" if entry.last_step else ""
            shown.append(f"Not sent{step}: {clean_line(entry.last_error, 2000)}\n\n", style="red")
        shown.append(f"To: {clean_line(', '.join(entry.recipients), 2000)}\n")
        shown.append(f"Subject: {clean_line(body.subject, 2000)}\n\n")
        shown.append(clean_text(body.text))
        self.query_one("#outbox-message", Static).update(shown)

    def action_resend(self) -> None:
        """s: send the highlighted message again now."""
        entry = self.current()
        if entry is not None:
            self.notify("Sending…", timeout=2)
            self.run_worker(self._resend(entry), group="outbox", exit_on_error=False)

    async def _resend(self, entry: OutboxEntry) -> None:
        try:
            await asyncio.wrap_future(self.queue.resend(entry.id))
        except MailError as error:
            self.notify(f"Not sent: {clean_line(str(error))}", severity="error", markup=False)
        else:
            self.notify("Sent", timeout=3)
        await self.reload()

    def action_delete(self) -> None:
        """d: delete the highlighted message, after asking."""
        entry = self.current()
        if entry is None:
            return
        subject = clean_line(entry.subject, 100) or "(no subject)"

        def answered(choice: str | None) -> None:
            if choice == "yes":
                self.run_worker(self._remove(entry), group="outbox", exit_on_error=False)

        question = f"Delete the unsent message {subject!r}? It is not sent and cannot come back."
        self.app.push_screen(ConfirmScreen(question, YES_NO, escape_value="no"), answered)

    async def _remove(self, entry: OutboxEntry) -> bool:
        try:
            await asyncio.to_thread(self.queue.remove, entry.id)
        except (MailError, OSError) as error:
            self.notify(f"Not deleted: {clean_line(str(error))}", severity="error", markup=False)
            return False
        await self.reload()
        return True

    def action_edit(self) -> None:
        """e: take the message back into the compose screen."""
        entry = self.current()
        if entry is not None:
            self.run_worker(self._edit(entry), group="outbox", exit_on_error=False)

    async def _edit(self, entry: OutboxEntry) -> None:
        try:
            raw = await asyncio.to_thread(self.queue.message, entry.id)
        except (MailError, OSError) as error:
            self.notify(f"Cannot read the message: {error}", severity="error", markup=False)
            return
        await self.on_edit(entry, raw)

    def action_close(self) -> None:
        """Escape: back to the main screen."""
        self.dismiss(None)
