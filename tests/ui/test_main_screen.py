"""The main screen: panes, preview loading, focus, events, failures.

The tests in the first part run on the cache-backed test double (the UI's own
wiring, fast and deterministic). The ``real`` tests at the end drive the same
keys against real Dovecot and pymap servers and check the server afterwards
with a second IMAP connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.ui.service_double import CacheBackedService, make_summary
from tests.ui.test_actions import settle
from tui_mail.backend.api import AccountState, AccountStateChanged, FolderCountsChanged
from tui_mail.backend.cache import MailCache
from tui_mail.models import SEEN, Address, Folder, FolderRole
from tui_mail.ui.bridge import BackendMessage
from tui_mail.ui.screens.dialogs import ErrorScreen
from tui_mail.ui.widgets.folder_tree import FolderTree
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.preview import MessagePreview


def fill(double: CacheBackedService) -> None:
    double.add("INBOX", [make_summary(uid, flags=frozenset({SEEN})) for uid in range(1, 30)])
    double.add("INBOX", [make_summary(30, subject="The newest one")])
    double.add(
        "Sent",
        [
            make_summary(
                3, folder="Sent", to=(Address("Bob", "bob@example.org"),), flags=frozenset({SEEN})
            )
        ],
    )


def tree_labels(tree: FolderTree) -> list[str]:
    labels: list[str] = []

    def walk(node: Any) -> None:
        for child in node.children:
            labels.append(child.label.plain)
            walk(child)

    walk(tree.root)
    return labels


async def test_startup_shows_folders_list_and_the_newest_message(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(fill)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        screen = app.main_screen
        assert app.double.started
        labels = tree_labels(screen.folder_tree)
        assert labels[:5] == ["✉ Inbox", "✎ Drafts", "➤ Sent", "▤ Archive", "⌫ Trash"]
        assert labels[5:] == ["Lists", "python"]
        assert screen.message_list.current.summary.uid == 30
        assert (
            "newest one" in screen.preview.text.plain or "message 30" in screen.preview.text.plain
        )
        assert app.double.is_seen("INBOX", 30), "shown, so marked read"
        assert "INBOX" in app.screen.query_one("#status").render().plain


async def test_cursor_moves_load_the_preview_and_enter_focuses_it(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(fill)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        screen = app.main_screen
        await pilot.press("j")
        await settle(pilot, app)
        assert screen.preview.key == ("test", "INBOX", 29)
        assert "message 29" in screen.preview.text.plain
        await pilot.press("enter")
        assert isinstance(app.focused, MessagePreview)
        await pilot.press("escape")
        assert isinstance(app.focused, MessageList)
        await pilot.press("tab")
        assert isinstance(app.focused, MessagePreview)
        await pilot.press("tab")
        assert isinstance(app.focused, FolderTree)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, MessagePreview)


async def test_opening_sent_shows_recipients(app_factory: Callable[..., Any]) -> None:
    app = app_factory(fill)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        screen = app.main_screen
        await pilot.press("shift+tab")
        assert isinstance(app.focused, FolderTree)
        await pilot.press("down", "down", "enter")
        await settle(pilot, app)
        assert screen.folder == "Sent"
        assert "To: Bob" in screen.message_list.render_line(0).text
        assert isinstance(app.focused, MessageList)


async def test_state_and_count_events_reach_the_status_bar_and_tree(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(fill)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.post_message(
            BackendMessage(AccountStateChanged("test", AccountState.OFFLINE, "connection refused"))
        )
        app.post_message(BackendMessage(FolderCountsChanged("test", "INBOX", 30, 7)))
        await pilot.pause(0.1)
        status = app.main_screen.status.render().plain
        assert "offline: connection refused" in status and "7 unread" in status
        assert "Inbox 7" in tree_labels(app.main_screen.folder_tree)[0]


async def test_an_unexpected_worker_error_becomes_a_dialog(app_factory: Callable[..., Any]) -> None:
    app = app_factory(fill)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)

        async def broken() -> None:
            raise RuntimeError("a bug")

        app.main_screen.run_worker(broken(), exit_on_error=False)
        await settle(pilot, app)
        assert isinstance(app.screen, ErrorScreen)
        assert "a bug" in app.screen.summary
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_quit_stops_the_service(app_factory: Callable[..., Any]) -> None:
    app = app_factory(fill)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        double = app.double
        await pilot.press("q")
        await pilot.pause()
    assert double.stopped


class LagProbe:
    """A 50 ms interval timer on the app's loop that records its largest gap."""

    def __init__(self, app: Any) -> None:
        self.largest = 0.0
        self._last = time.monotonic()
        self._timer = app.set_interval(0.05, self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        self.largest = max(self.largest, now - self._last)
        self._last = now

    def stop(self) -> None:
        self._timer.stop()


async def test_the_loop_never_stalls_on_a_100000_row_folder(
    app_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """Opening a 100,000-row folder (cache filled directly), then G and g: no gap over 100 ms."""
    cache = MailCache.open(tmp_path / "test.sqlite3", "test")
    cache.save_folders([Folder("test", "INBOX", role=FolderRole.INBOX)])
    cache.add_summaries(
        "INBOX", [make_summary(uid, flags=frozenset({SEEN})) for uid in range(1, 100_001)]
    )
    cache.close()
    app = app_factory()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        probe = LagProbe(app)
        started = time.monotonic()
        before = app.main_screen.message_list.rows
        app.main_screen.open_folder("test", "INBOX")
        while app.main_screen.message_list.rows is before and time.monotonic() - started < 10:
            await pilot.pause(0.01)
        shown_after = time.monotonic() - started
        await settle(pilot, app)
        print(f"open: largest gap {probe.largest * 1000:.0f} ms")
        await pilot.press("G")
        await settle(pilot, app)
        print(f"G: largest gap {probe.largest * 1000:.0f} ms")
        assert app.main_screen.message_list.current.summary.uid == 1
        await pilot.press("g")
        await settle(pilot, app)
        assert app.main_screen.message_list.current.summary.uid == 100_000
        probe.stop()
        print(
            f"100,000 rows shown after {shown_after * 1000:.0f} ms; largest loop gap {probe.largest * 1000:.0f} ms"
        )
        assert len(app.main_screen.message_list.rows) == 100_000
        assert probe.largest < 0.1


async def test_folder_tree_accounts_roles_hierarchy_and_safe_names() -> None:
    """The tree alone: two accounts as roots, role folders first, nesting, sanitised names."""
    from textual.app import App, ComposeResult

    selected: list[tuple[str, str]] = []

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield FolderTree(("work", "home"), id="folders")

        def on_folder_tree_folder_selected(self, event: FolderTree.FolderSelected) -> None:
            selected.append((event.account, event.folder.name))

    app = Host()
    async with app.run_test(size=(60, 30)) as pilot:
        tree = app.query_one(FolderTree)
        tree.set_folders(
            "work",
            [
                Folder("work", "Projects/b", "/"),
                Folder("work", "Trash", "/", FolderRole.TRASH),
                Folder("work", "Projects/a\x1b[31m[b]x[@click=app.quit]", "/", unread=2),
                Folder("work", "INBOX", "/", FolderRole.INBOX, unread=3),
                Folder("work", "Projects", "/", selectable=False),
            ],
        )
        tree.set_folders("home", [Folder("home", "INBOX", "/", FolderRole.INBOX)])
        tree.select_folder("work", "INBOX")
        await pilot.pause()
        assert tree_labels(tree) == [
            "work",
            "✉ Inbox 3",
            "⌫ Trash",
            "Projects",
            "a[b]x[@click=app.quit] 2",
            "b",
            "home",
            "✉ Inbox",
        ]
        tree.set_counts("work", "INBOX", 10, 0)
        assert tree_labels(tree)[1] == "✉ Inbox"
        assert tree.folder_by_role("work", FolderRole.TRASH).name == "Trash"
        tree.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert selected == [("work", "Trash")]
        await pilot.press("down", "enter")  # "Projects" cannot be selected: nothing opens
        await pilot.pause()
        assert selected == [("work", "Trash")]
