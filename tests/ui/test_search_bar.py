"""The search bar alone (Pilot): debounced changes, Enter, Escape, scope, errors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import Input, Static

from tests.ui.service_double import CacheBackedService, make_summary
from tui_mail.backend.api import SearchMessages
from tui_mail.mail.query import SearchScope
from tui_mail.ui.widgets.search_bar import SearchBar


class _Host(App[None]):
    """Records what the bar posts."""

    def __init__(self, bar: SearchBar) -> None:
        super().__init__()
        self.bar = bar
        self.seen: list[Message] = []

    def compose(self) -> ComposeResult:
        yield self.bar

    def on_mount(self) -> None:
        self.bar.open(limit=self.bar.limit)  # the screen keeps its bar hidden until / or l

    def on_search_bar_search_changed(self, message: SearchBar.SearchChanged) -> None:
        self.seen.append(message)

    def on_search_bar_search_submitted(self, message: SearchBar.SearchSubmitted) -> None:
        self.seen.append(message)

    def on_search_bar_search_closed(self, message: SearchBar.SearchClosed) -> None:
        self.seen.append(message)


def _posted(app: _Host) -> list[tuple[str, str, str]]:
    return [
        (type(m).__name__, getattr(m, "query", ""), str(getattr(m, "scope", ""))) for m in app.seen
    ]


def _error(app: _Host) -> str:
    line = app.bar.query_one(".search-error", Static)
    return str(line.content) if app.bar.has_class("-error") else ""


async def test_typing_is_debounced_into_one_change() -> None:
    app = _Host(SearchBar(debounce=0.5))
    async with app.run_test() as pilot:
        await pilot.press(*"from:bob")
        assert _posted(app) == []  # still typing
        await pilot.pause(0.8)
        assert _posted(app) == [("SearchChanged", "from:bob", "folder")]
        await pilot.press("enter")
        await pilot.pause()
        assert _posted(app)[-1] == ("SearchSubmitted", "from:bob", "folder")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.seen[-1], SearchBar.SearchClosed)
        assert app.seen[-1].control is app.bar


async def test_typing_lays_out_nothing_and_a_long_query_still_scrolls() -> None:
    """Each key repaints the input's line only (a layout of the whole screen per key
    was most of a keystroke's cost), and the cursor end stays in view."""
    app = _Host(SearchBar(debounce=5))
    async with app.run_test(size=(60, 5)) as pilot:
        field = app.bar.query_one(Input)
        await pilot.pause()
        layouts: list[bool] = []
        arrange = app.screen._refresh_layout
        app.screen._refresh_layout = lambda **options: (  # type: ignore[method-assign]
            layouts.append(bool(options)) or arrange(**options)
        )
        query = "subject:" + "abcdefghij" * 8 + "END"
        await pilot.press(*query)
        await pilot.pause()
        assert layouts == []
        assert field.value == query and field.scroll_x > 0
        assert "END" in field.render_line(0).text


async def test_scope_toggle_is_shown_and_re_posts() -> None:
    app = _Host(SearchBar("report", debounce=0.05))
    async with app.run_test() as pilot:
        scope = app.bar.query_one(".search-scope", Static)
        assert "this folder" in str(scope.content)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert "all folders" in str(scope.content)
        assert _posted(app) == [("SearchChanged", "report", "all")]
        await pilot.click(".search-scope")
        await pilot.pause()
        assert _posted(app)[-1] == ("SearchChanged", "report", "folder")
        assert app.bar.scope == SearchScope.FOLDER


async def test_malformed_query_shows_the_error_and_posts_nothing() -> None:
    app = _Host(SearchBar(debounce=0.3))
    async with app.run_test() as pilot:
        await pilot.press(*"is:urgent")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert _posted(app) == []
        assert "unknown is:urgent" in _error(app) and "column 1" in _error(app)
        app.bar.query_one(Input).value = "is:unread"
        await pilot.pause(0.5)
        assert _error(app) == ""
        assert _posted(app) == [("SearchChanged", "is:unread", "folder")]


async def test_show_error_never_interprets_markup() -> None:
    app = _Host(SearchBar())
    async with app.run_test() as pilot:
        app.bar.show_error("server said [bold red]no[/] \x1b[31m")
        await pilot.pause()
        assert _error(app) == "server said [bold red]no[/]"  # shown as typed; ESC dropped
        app.bar.clear_error()
        await pilot.pause()
        assert _error(app) == ""


async def test_limit_bar_has_no_scope_toggle() -> None:
    app = _Host(SearchBar(scope=SearchScope.ALL, limit=True, debounce=0.05))
    async with app.run_test() as pilot:
        assert not app.bar.query_one(".search-scope").display
        await pilot.press(*"x", "ctrl+t")
        await pilot.pause(0.2)
        assert _posted(app) == [("SearchChanged", "x", "folder")]
        assert "Limit:" in str(app.bar.query_one(".search-prompt", Static).content)


async def test_typing_during_a_slow_search_asks_once_more_for_the_newest_query(
    app_factory: Callable[..., Any],
) -> None:
    """At most one search is in flight: keys typed meanwhile make one more search (for
    the newest text) when it answers, and the stale answer is never shown."""

    def fill(double: CacheBackedService) -> None:
        double.add("INBOX", [make_summary(1, subject="annual report")])
        double.add("INBOX", [make_summary(2, subject="anna's party")])
        double.add("INBOX", [make_summary(3, subject="budget")])

    app = app_factory(fill)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        double = app.double
        double.search_gate = threading.Event()
        await pilot.press("slash", "a")
        await pilot.pause(0.2)  # the search for "a" is held in flight
        await pilot.press(*"nna")
        await pilot.pause(0.3)
        searched = [c.query for c in double.commands if isinstance(c, SearchMessages)]
        assert searched == ["a"], "no second search while one is in flight"
        double.search_gate.set()
        rows = app.main_screen.message_list.rows
        for _ in range(50):
            await pilot.pause(0.05)
            if len(rows) == 1:
                break
        searched = [c.query for c in double.commands if isinstance(c, SearchMessages)]
        assert searched == ["a", "anna"]
        assert [rows.row(i).summary.subject for i in range(len(rows))] == ["anna's party"]
