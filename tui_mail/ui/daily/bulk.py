"""Tags in bulk and moving by unread (issue 18 item 4).

- Tag by query (``ctrl+t``): the search language of ``/`` selects (``SearchMessages``
  in the open folder, the server's hits merged), and every hit the list shows is
  tagged; then ``d``/``a``/``m``/``N`` act on exactly those, as on any tags.
- Tag (or untag) the thread under the cursor (``alt+t``, threaded view; a folded thread is
  unfolded first, so no hidden message is acted on unseen), untag all, invert.
- Fold or unfold every thread (``alt+z``).
- ``n``/``p``: the next/previous unread message of the list, and ``j``/``k``
  from the preview (the list's own keys when it has focus).

All of it changes only the list's tags and cursor; :class:`BulkTags` knows the
list, the app (dialogs, toasts) and the ``submit`` of the service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.app import App

from tui_mail.backend import SearchMessages, Submit
from tui_mail.errors import MailError
from tui_mail.mail.sanitize import clean_line
from tui_mail.ui.actions import count_text
from tui_mail.ui.daily.name_dialog import AskLineScreen
from tui_mail.ui.selection import MessageKey
from tui_mail.ui.widgets.message_list import MessageList

#: Most rows scanned for the next unread message or for inverting the tags, per key:
#: each row is a read from the view's window, and a key must stay cheap on the loop.
SCAN_LIMIT = 20_000


class BulkTags:
    """The bulk-tag and unread keys of one main screen (see the module docstring)."""

    def __init__(self, app: App[Any], message_list: MessageList, submit: Submit) -> None:
        self.app = app
        self.list = message_list
        self.submit = submit
        self.query = ""
        """The last query tagged by (offered again)."""

    def _toast(self, text: str, *, warning: bool = False) -> None:
        self.app.notify(text, severity="warning" if warning else "information", markup=False)

    # ------------------------------------------------------------------ by query

    def ask_query(self, account: str, folder: str, run: Callable[[Any], None]) -> None:
        """Ask for a query; tag what it finds in the open folder."""

        def typed(query: str | None) -> None:
            if query:
                self.query = query
                run(self.tag_query(account, folder, query))

        prompt = "Tag every message of this folder that the search finds (as / does):"
        self.app.push_screen(AskLineScreen("Tag by query", prompt, self.query), typed)

    async def tag_query(self, account: str, folder: str, query: str) -> None:
        """Search ``folder`` for ``query`` and tag the hits the list shows."""
        command = SearchMessages(account, folder, query, server=True)
        try:
            results = await asyncio.wrap_future(self.submit(command))
        except MailError as error:
            self._toast(f"Cannot search: {clean_line(error.summary, 200)}", warning=True)
            return
        hits = await asyncio.to_thread(lambda: list(results.rows(0, len(results))))
        keys = {MessageKey.of(row.summary) for row in hits}
        shown = {key for key in keys if self.list.rows.display_index(key) is not None}
        self.list.tagged |= shown
        self.list.changed()
        self._toast(f"Tagged {count_text(len(shown))} matching {clean_line(query, 100)!r}")

    # ------------------------------------------------------------------ threads and all

    def tag_thread(self) -> None:
        """Tag every message of the thread under the cursor, or untag it when all are (threaded view)."""
        if not self.list.order.threaded:
            self._toast("Tagging a thread needs the threaded view (T)", warning=True)
            return
        rows = self.list.rows
        start = self.list.cursor
        while start > 0 and (row := rows.row(start)) is not None and row.depth > 0:
            start -= 1
        root = rows.row(start)
        if root is None:
            return
        if root.hidden_replies:  # folded: unfold, so every message tagged is on screen
            self.list.collapsed -= {root.summary.uid}
            self.list.post_message(MessageList.OrderChanged(self.list.order))
            self._toast("The thread was folded: unfolded it; tag it again", warning=True)
            return
        keys = [MessageKey.of(root.summary)]
        index = start + 1
        while (row := rows.row(index)) is not None and row.depth > 0:
            keys.append(MessageKey.of(row.summary))
            index += 1
        if set(keys) <= self.list.tagged:  # all tagged already: the key untags the thread
            self.list.tagged -= set(keys)
            what = "Untagged"
        else:
            self.list.tagged |= set(keys)
            what = "Tagged"
        self.list.changed()
        self._toast(f"{what} the thread: {count_text(len(keys))}")

    def untag_all(self) -> None:
        """Clear every tag."""
        count = len(self.list.tagged)
        self.list.tagged.clear()
        self.list.changed()
        self._toast(f"Untagged {count_text(count)}")

    def invert(self) -> None:
        """Tag what is untagged and untag what is tagged."""
        rows = self.list.rows
        if len(rows) > SCAN_LIMIT:
            self._toast(f"Over {SCAN_LIMIT} messages: limit the list first (l)", warning=True)
            return
        every = {MessageKey.of(row.summary) for i in range(len(rows)) if (row := rows.row(i))}
        self.list.tagged = every - self.list.tagged
        self.list.changed()
        self._toast(f"Tagged {count_text(len(self.list.tagged))}")

    def fold_all(self) -> None:
        """Fold every thread, or unfold them all when some are folded (threaded view)."""
        if not self.list.order.threaded:
            self._toast("Folding needs the threaded view (T)", warning=True)
            return
        if self.list.collapsed:
            self.list.collapsed = frozenset()
        else:
            rows = self.list.rows
            if len(rows) > SCAN_LIMIT:
                self._toast(f"Over {SCAN_LIMIT} messages: limit the list first (l)", warning=True)
                return
            shown = [rows.row(i) for i in range(len(rows))]
            self.list.collapsed = frozenset(
                row.summary.uid
                for row, after in zip(shown, [*shown[1:], None], strict=True)
                if row is not None and row.depth == 0 and after is not None and after.depth > 0
            )
        self.list.post_message(MessageList.OrderChanged(self.list.order))

    # ------------------------------------------------------------------ unread

    def next_unread(self, step: int) -> None:
        """Move the cursor to the next (``step`` 1) or previous (-1) unread message."""
        rows = self.list.rows
        index = self.list.cursor + step
        for _ in range(SCAN_LIMIT):
            row = rows.row(index) if 0 <= index < len(rows) else None
            if row is None:
                break
            if row.summary.unread:
                self.list.move_cursor(index)
                return
            index += step
        self._toast("No more unread messages " + ("below" if step > 0 else "above"))
