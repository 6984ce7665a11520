"""Search (``/``) and limit (``l``) on the main screen (issue #6).

The bar covers the key bar's line at the bottom while it is open. As the user types, a local search (the
cache's FTS index, off the loop) replaces the list with a virtual folder
``Search: <query>``; Enter also asks the servers and merges their hits (marked).
Escape closes the bar and returns to the folder with the cursor where it was.
Results are rows of their real folders, so reading and actions work on them;
an action on hits of several folders goes to each hit's own folder (``ui/actions.py``).

:class:`SearchController` knows the bar, the list and the status bar it fills,
and a way to submit a search; it has no reference to the screen. What only the
screen can do (rebuild the folder's view, run a worker, start a timer) it asks
for by its answers: :meth:`~SearchController.close` returns where to go back to,
:meth:`~SearchController.changed` and :meth:`~SearchController.start` say whether
a search should run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future

from textual.timer import Timer

from tui_mail.backend import SearchMessages, SearchResults
from tui_mail.errors import MailError
from tui_mail.mail.query import SearchScope
from tui_mail.mail.sanitize import clean_line
from tui_mail.ui.selection import MessageKey
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.search_bar import SearchBar
from tui_mail.ui.widgets.status_bar import StatusBar

PREVIEW_AFTER_TYPING = 0.25
"""Seconds without a keystroke before the preview follows the search's first hit."""

Place = tuple[str, str, MessageKey | None]
"""(account, folder, message under the cursor): where Escape goes back to."""


class SearchController:
    """The search state of one main screen: the bar, the query, where to go back to.

    ``submit`` hands a :class:`SearchMessages` to the service (a Future of its view).
    """

    def __init__(
        self,
        bar: SearchBar,
        results: MessageList,
        status: StatusBar,
        submit: Callable[[SearchMessages], Future[SearchResults]],
    ) -> None:
        self._bar = bar
        self._results = results
        self._status = status
        self._submit = submit
        self.query = ""
        self.scope = SearchScope.FOLDER
        self.server = False
        self._return_to: Place | None = None
        """Set while the bar is open (None: closed)."""
        self._session: object | None = None
        """A new token each time the bar opens: an answer for an older one is dropped."""
        self._in_flight = False
        self._deferred_preview: Timer | None = None

    @property
    def is_open(self) -> bool:
        """True while the bar is shown."""
        return self._session is not None

    @property
    def active(self) -> bool:
        """True while search results (not the folder) fill the list."""
        return self.is_open and bool(self.query.strip())

    @property
    def return_to(self) -> MessageKey | None:
        """The message the cursor was on when the bar opened."""
        return self._return_to[2] if self._return_to else None

    def open(self, account: str, folder: str, *, limit: bool = False) -> None:
        """Show the bar (``limit``: filter this folder only) and remember the way back."""
        if self.is_open:
            self._bar.query_one("Input").focus()
            return
        current = self._results.current
        self._return_to = (account, folder, MessageKey.of(current.summary) if current else None)
        self._session = object()
        self._bar.open(limit=limit)

    def close(self) -> Place | None:
        """Hide the bar; returns where the screen goes back to (its folder, cursor)."""
        self._drop_deferred_preview()  # a waiting preview of a hit: we leave the hits
        if self.is_open:
            self._bar.close()
        self._session, self.query, self.server = None, "", False
        back, self._return_to = self._return_to, None
        return back

    def changed(self, query: str, scope: SearchScope, *, server: bool = False) -> bool:
        """The bar's query changed (or Enter: ``server``); True: search again, False:
        the query is empty, so the screen shows its folder again (at ``return_to``)."""
        self.query, self.scope, self.server = query, scope, server
        if self._deferred_preview is not None:
            self._deferred_preview.reset()  # still typing: the preview waits for a pause
        return bool(query.strip())

    def start(self) -> bool:
        """True when the screen should run :meth:`search` in a worker now.

        At most one search runs; when it answers for a query that has changed
        meanwhile, its answer is dropped and the newest query asked at once, so
        typing never queues stale searches and the last keystroke is answered
        one search after it (no fixed delay).
        """
        if self._in_flight:
            return False
        self._in_flight = True
        return True

    def holds_preview(self) -> bool:
        """While the bar has the keys, the preview of the first hit waits for a pause in
        typing (:meth:`hold_preview`); True when it should wait. Always drops a preview
        held before.

        Why: each keystroke brings new hits; drawing the preview of each first hit too
        doubled a keystroke's loop time, for a preview nobody reads mid-word.
        """
        self._drop_deferred_preview()
        return self.is_open and self._bar.has_focus_within

    def hold_preview(self, timer: Timer) -> None:
        """Keep the timer that shows the held preview (reset by typing, stopped by Escape)."""
        self._deferred_preview = timer

    def _drop_deferred_preview(self) -> None:
        if self._deferred_preview is not None:
            self._deferred_preview.stop()
            self._deferred_preview = None

    async def search(self) -> None:
        """Ask the backend (off the loop) until an answer matches the query, then show it."""
        try:
            while await self._search_once() is False:
                pass  # the query changed while the backend worked: ask again
        finally:
            self._in_flight = False

    async def _search_once(self) -> bool:
        """One search; False when its answer is stale (the query changed meanwhile)."""
        session, bar = self._session, self._bar
        asked = (self.query, self.scope, self.server)
        if session is None or self._return_to is None or not self.query.strip():
            return True
        account, folder = self._return_to[:2]
        command = SearchMessages(
            account, folder, self.query, self.scope, self.server, self._results.order
        )
        try:
            view: SearchResults | MailError = await asyncio.wrap_future(self._submit(command))
        except MailError as error:
            view = error
        if session is not self._session:
            # Closed meanwhile: done. Closed and opened again: ask for the new query
            # (typed while this one ran, so no other search was started for it).
            return self._session is None
        if (self.query, self.scope, self.server) != asked:
            return False
        if isinstance(view, MailError):
            bar.show_error(clean_line(view.details or view.summary))
            return True
        bar.clear_error()
        errors = view.server_errors
        if errors:
            bar.show_error("Server search failed: " + clean_line("; ".join(errors)))
        self._results.set_view(view, show_folder=self.scope is SearchScope.ALL)
        title = view.title
        self._status.update_status(folder=clean_line(title), total=len(view), unread=0)
        return True
