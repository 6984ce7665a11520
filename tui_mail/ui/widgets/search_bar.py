"""The search bar (``/``) and limit bar (``l``) on the bottom line (issue #6).

An ``Input`` with the scope shown beside it. The screen keeps one bar, hidden,
and shows it on a layer of its own over the key bar (as mutt prompts on its last
line): the panes keep their size, so opening it costs no new layout or repaint
of the list and preview (mounting a bar over the list cost ~40 ms of loop time). It parses what is typed with
``tui_mail.mail.query`` (pure and fast, so on the event loop) and tells its
screen, never the backend:

- :class:`SearchBar.SearchChanged` when the query changed and parses (keys that
  arrive together, e.g. a paste, make one): the screen runs a local search;
- :class:`SearchBar.SearchSubmitted` on Enter: the screen adds the server search;
- :class:`SearchBar.SearchClosed` on Escape: the screen goes back to the folder.

A malformed query is shown in the bar (and not posted). ``ctrl+t`` (or a click
on the scope) toggles between the open folder and all folders; a limit bar
(``limit=True``) always filters the open folder, so it has no toggle.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Click
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from tui_mail.mail.query import QueryError, SearchScope, parse
from tui_mail.mail.sanitize import clean_line
from tui_mail.ui.textual_compat import InputWithoutLayout

SCOPE_LABELS = {SearchScope.FOLDER: "this folder", SearchScope.ALL: "all folders"}


class QueryInput(InputWithoutLayout):
    """The bar's input: typing repaints its line and lays out nothing else.

    It has a fixed size (one line, the bar's width), so a layout would move
    nothing (see :class:`~tui_mail.ui.textual_compat.InputWithoutLayout`).
    """


class SearchBar(Vertical):
    """A one-line query input with its scope, and a line for errors."""

    DEFAULT_CSS = """
    SearchBar { height: auto; dock: bottom; layer: search; display: none; background: $panel; }
    SearchBar > Horizontal { height: 1; }
    SearchBar .search-prompt { width: auto; padding: 0 1 0 0; }
    SearchBar Input, SearchBar Input:focus { border: none; height: 1; padding: 0; width: 1fr; }
    SearchBar .search-scope { width: auto; padding: 0 0 0 1; color: $text-muted; }
    SearchBar .search-error { height: 1; color: $error; display: none; }
    SearchBar.-error .search-error { display: block; }
    SearchBar.-limit .search-scope { display: none; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close search", show=False),
        Binding("ctrl+t", "toggle_scope", "Scope", show=True),
    ]

    class SearchChanged(Message):
        """The query (parsed fine) or the scope changed: show the local results."""

        def __init__(self, bar: SearchBar, query: str, scope: SearchScope) -> None:
            super().__init__()
            self.bar = bar
            self.query = query
            self.scope = scope

        @property
        def control(self) -> SearchBar:
            """The bar that sent this."""
            return self.bar

    class SearchSubmitted(SearchChanged):
        """Enter: search the server too and merge its answers."""

    class SearchClosed(Message):
        """Escape: leave the search and go back to the folder, cursor where it was."""

        def __init__(self, bar: SearchBar) -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> SearchBar:
            """The bar that sent this."""
            return self.bar

    def __init__(
        self,
        query: str = "",
        scope: SearchScope = SearchScope.FOLDER,
        *,
        limit: bool = False,
        debounce: float = 0.02,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.scope = SearchScope.FOLDER if limit else scope
        self.limit = limit
        self.debounce = debounce
        self._initial = query
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(self._prompt_text(), classes="search-prompt")
            yield QueryInput(
                self._initial,
                placeholder="words, from: to: subject: body: is:unread has:attachment after: …",
                select_on_focus=False,
            )
            yield Static(self._scope_text(), classes="search-scope")
        yield Static(classes="search-error")

    def on_mount(self) -> None:
        self.set_class(self.limit, "-limit")

    def open(self, *, limit: bool = False) -> None:
        """Show the bar empty, as a search bar or (``limit``) a limit bar, and focus it."""
        if limit != self.limit:
            self.limit = limit
            self.set_class(limit, "-limit")
            self.query_one(".search-prompt", Static).update(self._prompt_text())
        if self.scope != SearchScope.FOLDER:
            self.scope = SearchScope.FOLDER
            self.query_one(".search-scope", Static).update(self._scope_text())
        self.display = True
        self.query_one(Input).focus()

    def close(self) -> None:
        """Hide the bar and forget its query (without announcing the change)."""
        self._stop_timer()
        self.display = False
        self.clear_error()
        field = self.query_one(Input)
        with field.prevent(Input.Changed):
            field.value = ""

    def _prompt_text(self) -> str:
        return "Limit:" if self.limit else "Search:"

    @property
    def value(self) -> str:
        """The query as typed."""
        return self.query_one(Input).value

    def _scope_text(self) -> Text:
        return Text(f"[{SCOPE_LABELS[self.scope]}] ctrl+t", no_wrap=True, end="")

    def show_error(self, message: str) -> None:
        """Show ``message`` (e.g. a failed server search) under the input."""
        self.query_one(".search-error", Static).update(
            Text(clean_line(message, 200), no_wrap=True, overflow="ellipsis", end="")
        )
        self.set_class(bool(message), "-error")

    def clear_error(self) -> None:
        """Hide the error line (no-op when hidden: an update costs a layout per search)."""
        if self.has_class("-error"):
            self.show_error("")

    def _checked(self) -> str | None:
        """The query when it parses; else show why and give None."""
        result = parse(self.value)
        if isinstance(result, QueryError):
            self.show_error(f"{result} (at column {result.position + 1})")
            return None
        self.clear_error()
        return self.value

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _changed_now(self) -> None:
        self._stop_timer()
        query = self._checked()
        if query is not None:
            self.post_message(self.SearchChanged(self, query, self.scope))

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._stop_timer()
        # Keys delivered in one burst make one search; the screen keeps at most one
        # search in flight, so fast typing needs no longer delay here.
        self._timer = self.set_timer(self.debounce, self._changed_now)

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self._stop_timer()
        query = self._checked()
        if query is not None:
            self.post_message(self.SearchSubmitted(self, query, self.scope))

    def action_close(self) -> None:
        """Leave the search."""
        self._stop_timer()
        self.post_message(self.SearchClosed(self))

    def action_toggle_scope(self) -> None:
        """Switch between the open folder and all folders (not in a limit bar)."""
        if self.limit:
            return
        self.scope = SearchScope.ALL if self.scope == SearchScope.FOLDER else SearchScope.FOLDER
        self.query_one(".search-scope", Static).update(self._scope_text())
        self._changed_now()

    @on(Click, ".search-scope")
    def _scope_clicked(self) -> None:
        self.action_toggle_scope()
