"""Showing the cursor's message on the main screen, and when it counts as read (#4, #8).

:class:`MessageReader` fetches the body of the message under the cursor
(``FetchBody`` in an exclusive worker of the screen: a newer cursor move cancels
it), hands it to the preview, and prefetches the next row's body.

Showing a message the user chose marks it read: at once, or after
``general.mark_read_delay`` seconds if it is still the one shown. A message that
only slid under the cursor because rows above it were removed (a delete, a move)
was not chosen: it stays unread until the user presses Enter on it or moves
away and back, and ``u`` still undoes the removal (see ``MessageActions.slid``).

Both know the list, the preview (and the bridge or the actions), and take the
screen's ways to run things as callables (``run``, ``fetch_in``, ``set_timer``); no screen.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from textual.timer import Timer

from tui_mail.backend import FetchBody
from tui_mail.errors import MailError
from tui_mail.models import MessageSummary
from tui_mail.ui.actions import MessageActions
from tui_mail.ui.bridge import ServiceBridge
from tui_mail.ui.selection import MessageKey
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.preview import MessagePreview

Job = Coroutine[Any, Any, None]


class MessageReader:
    """Shows the message under the cursor: loading, then its body (or why it failed).

    ``fetch_in(make_job)`` runs ``make_job()`` in the screen's exclusive "preview"
    worker, so a newer cursor move cancels a fetch nobody waits for any more.
    """

    def __init__(
        self,
        bridge: ServiceBridge,
        message_list: MessageList,
        preview: MessagePreview,
        fetch_in: Callable[[Callable[[], Coroutine[None, None, None]]], object],
    ) -> None:
        self.bridge = bridge
        self.list = message_list
        self.preview = preview
        self.fetch_in = fetch_in

    def show(self, summary: MessageSummary | None) -> None:
        """Show ``summary`` (None: nothing under the cursor, an empty preview)."""
        if summary is None:
            self.preview.clear()
            return
        self.preview.show_loading((summary.account, summary.folder, summary.uid))
        self.fetch_in(partial(self.fetch_body, summary))

    async def fetch_body(self, summary: MessageSummary) -> None:
        """Fetch the body; show it if the preview still waits for it; prefetch the next."""
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
        next_row = self.list.rows.row(self.list.cursor + 1)
        if next_row is not None:
            s = next_row.summary
            future = self.bridge.service.submit(FetchBody(s.account, s.folder, s.uid))
            future.add_done_callback(lambda f: f.cancelled() or f.exception())


class ReadMarker:
    """Marks read what the user chose to read, once it is shown."""

    def __init__(
        self,
        actions: MessageActions,
        message_list: MessageList,
        preview: MessagePreview,
        *,
        delay: float,
        run: Callable[[Job], None],
        set_timer: Callable[[float, Callable[[], None]], Timer],
    ) -> None:
        self.actions = actions
        self.list = message_list
        self.preview = preview
        self.delay = delay
        self.run = run
        self.set_timer = set_timer
        self._shown_hidden: MessageKey | None = None
        """Rendered while the preview was hidden (the list layout): read only on Enter."""

    def cursor_moved(self, summary: MessageSummary | None) -> None:
        """The cursor is on another message (or none): it no longer slid there."""
        if summary is None or MessageKey.of(summary) != self.actions.slid:
            self.actions.slid = None

    def opened(self, summary: MessageSummary) -> None:
        """Enter on a message: one that slid under the cursor, or was rendered in a hidden
        preview (the list layout), is read now, if shown."""
        key = MessageKey.of(summary)
        if key == self._shown_hidden:
            self._shown_hidden = None
        elif key != self.actions.slid:
            return
        self.actions.slid = None
        if summary.unread and self.preview.key == key:
            self.run(self.actions.mark_read_quietly(key))

    def shown(self, key: Any) -> None:
        """The preview shows ``key``: mark it read if it is the cursor's unread message."""
        row = self.list.current
        if row is None or not row.summary.unread:
            return
        shown = MessageKey.of(row.summary)
        if key != shown:
            return
        if shown == self.actions.slid:
            return  # it slid under the cursor after a removal; Enter or moving reads it
        if not self.preview.display:  # the list layout's pager is closed: nobody saw it
            self._shown_hidden = shown
            return
        if self.delay > 0:
            self.set_timer(self.delay, lambda: self._mark_read_if_still_shown(shown))
        else:
            self.run(self.actions.mark_read_quietly(shown))

    def _mark_read_if_still_shown(self, key: MessageKey) -> None:
        row = self.list.current
        if row is not None and MessageKey.of(row.summary) == key and row.summary.unread:
            self.run(self.actions.mark_read_quietly(key))
