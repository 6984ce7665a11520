"""When a message shown on the main screen counts as read (issues #4 and #8).

Showing a message the user chose marks it read: at once, or after
``general.mark_read_delay`` seconds if it is still the one shown. A message that
only slid under the cursor because rows above it were removed (a delete, a move)
was not chosen: it stays unread until the user presses Enter on it or moves
away and back, and ``u`` still undoes the removal (see ``MessageActions.slid_uid``).

:class:`ReadMarker` knows the list, the preview and the actions, and takes the
screen's ``run(job)`` (a worker of its "actions" group) and ``set_timer``; no screen.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from textual.timer import Timer

from tui_mail.models import MessageSummary
from tui_mail.ui.actions import MessageActions
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.preview import MessagePreview

Job = Coroutine[Any, Any, None]


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

    def cursor_moved(self, summary: MessageSummary | None) -> None:
        """The cursor is on another message (or none): it no longer slid there."""
        if summary is None or summary.uid != self.actions.slid_uid:
            self.actions.slid_uid = None

    def opened(self, summary: MessageSummary) -> None:
        """Enter on a message: one that slid under the cursor is read now, if shown."""
        if summary.uid != self.actions.slid_uid:
            return
        self.actions.slid_uid = None
        if summary.unread and self.preview.key == (summary.account, summary.folder, summary.uid):
            self.run(self.actions.mark_read_quietly(summary.uid))

    def shown(self, key: Any) -> None:
        """The preview shows ``key``: mark it read if it is the cursor's unread message."""
        row = self.list.current
        if row is None or not row.summary.unread:
            return
        if key != (row.summary.account, row.summary.folder, row.summary.uid):
            return
        uid = row.summary.uid
        if uid == self.actions.slid_uid:
            return  # it slid under the cursor after a removal; Enter or moving reads it
        if self.delay > 0:
            self.set_timer(self.delay, lambda: self._mark_read_if_still_shown(uid))
        else:
            self.run(self.actions.mark_read_quietly(uid))

    def _mark_read_if_still_shown(self, uid: int) -> None:
        row = self.list.current
        if row is not None and row.summary.uid == uid and row.summary.unread:
            self.run(self.actions.mark_read_quietly(uid))
