"""Search (``/``) and limit (``l``) on the main screen (issue #6).

The bar covers the key bar's line at the bottom while it is open. As the user types, a local search (the
cache's FTS index, off the loop) replaces the list with a virtual folder
``Search: <query>``; Enter also asks the servers and merges their hits (marked).
Escape closes the bar and returns to the folder with the cursor where it was.
Results are rows of their real folders, so reading and actions work on them;
across folders, an action applies to one folder at a time (see ``location``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.timer import Timer

from tui_mail.backend.api import SearchMessages
from tui_mail.errors import MailError
from tui_mail.mail.query import SearchScope
from tui_mail.mail.sanitize import clean_line
from tui_mail.ui.widgets.search_bar import SearchBar

if TYPE_CHECKING:
    from tui_mail.ui.screens.main import MainScreen

PREVIEW_AFTER_TYPING = 0.25
"""Seconds without a keystroke before the preview follows the search's first hit."""


class SearchController:
    """The search state of one main screen: the bar, the query, where to go back to."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.bar: SearchBar | None = None
        self.query = ""
        self.scope = SearchScope.FOLDER
        self.server = False
        self._return_to: tuple[str, str, int | None] | None = None
        self._in_flight = False
        self._deferred_preview: Timer | None = None

    @property
    def active(self) -> bool:
        """True while search results (not the folder) fill the list."""
        return self.bar is not None and bool(self.query.strip())

    def open(self, *, limit: bool = False) -> None:
        """Show the bar (``limit``: filter this folder only) and remember the way back."""
        if self.bar is not None:
            self.bar.query_one("Input").focus()
            return
        screen = self.screen
        current = screen.message_list.current
        self._return_to = (screen.account, screen.folder, current.summary.uid if current else None)
        self.bar = screen.search_bar
        self.bar.open(limit=limit)

    def close(self) -> None:
        """Hide the bar and show the folder again, cursor where it was."""
        self._drop_deferred_preview()  # a waiting preview of a hit: we leave the hits
        if self.bar is not None:
            self.bar.close()
        self.bar, self.query, self.server = None, "", False
        screen = self.screen
        back = self._return_to
        self._return_to = None
        if back is not None:
            account, folder, uid = back
            screen.account, screen.folder = account, folder
            screen.rebuild_view(keep_uid=uid)
        screen.show_folder_status()
        screen.message_list.focus()

    def changed(self, query: str, scope: SearchScope, *, server: bool = False) -> None:
        """The bar's query changed (or Enter: ``server``): search again."""
        self.query, self.scope, self.server = query, scope, server
        if self._deferred_preview is not None:
            self._deferred_preview.reset()  # still typing: the preview waits for a pause
        if not query.strip():
            back = self._return_to
            self.screen.rebuild_view(keep_uid=back[2] if back else None)
            self.screen.show_folder_status()
            return
        self.run()

    def run(self) -> None:
        """Search for the current query: at once, or after the search in flight.

        At most one search runs; when it answers for a query that has changed
        meanwhile, its answer is dropped and the newest query asked at once, so
        typing never queues stale searches and the last keystroke is answered
        one search after it (no fixed delay).
        """
        if not self._in_flight:
            self._in_flight = True
            self.screen.run_worker(self._search(), group="search", exit_on_error=False)

    def defer_preview(self, show: Callable[[], None]) -> bool:
        """While the bar has the keys, run ``show`` (the preview of the first hit) only
        once typing pauses; True when deferred. Always drops a preview deferred before.

        Why: each keystroke brings new hits; drawing the preview of each first hit too
        doubled a keystroke's loop time, for a preview nobody reads mid-word.
        """
        self._drop_deferred_preview()
        if self.bar is None or not self.bar.has_focus_within:
            return False
        self._deferred_preview = self.screen.set_timer(PREVIEW_AFTER_TYPING, show)
        return True

    def _drop_deferred_preview(self) -> None:
        if self._deferred_preview is not None:
            self._deferred_preview.stop()
            self._deferred_preview = None

    def location(self) -> tuple[str, str]:
        """Where actions apply: the open folder, or the cursor row's folder in results."""
        row = self.screen.message_list.current
        if self.active and row is not None:
            return row.summary.account, row.summary.folder
        return self.screen.account, self.screen.folder

    async def _search(self) -> None:
        """Ask the backend (off the loop) until an answer matches the query, then show it."""
        try:
            while await self._search_once() is False:
                pass  # the query changed while the backend worked: ask again
        finally:
            self._in_flight = False

    async def _search_once(self) -> bool:
        """One search; False when its answer is stale (the query changed meanwhile)."""
        screen, bar = self.screen, self.bar
        asked = (self.query, self.scope, self.server)
        if bar is None or not self.query.strip():
            return True
        account, folder = self._return_to[:2] if self._return_to else (screen.account, screen.folder)
        command = SearchMessages(
            account, folder, self.query, self.scope, self.server, screen.message_list.order
        )
        try:
            view = await asyncio.wrap_future(screen.bridge.service.submit(command))
        except MailError as error:
            view = error
        if bar is not self.bar:
            return True  # closed meanwhile
        if (self.query, self.scope, self.server) != asked:
            return False
        if isinstance(view, MailError):
            bar.show_error(clean_line(view.details or view.summary))
            return True
        bar.clear_error()
        errors = getattr(view, "server_errors", ())
        if errors:
            bar.show_error("Server search failed: " + clean_line("; ".join(errors)))
        screen.message_list.set_view(view)
        title = getattr(view, "title", f"Search: {self.query}")
        screen.status.update_status(folder=clean_line(title), total=len(view), unread=0)
        return True
