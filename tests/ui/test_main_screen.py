"""The main screen: panes, preview loading, focus, events, failures.

The tests in the first part run on the cache-backed test double (the UI's own
wiring, fast and deterministic). The ``real`` tests at the end drive the same
keys against real Dovecot and pymap servers and check the server afterwards
with a second IMAP connection.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.helpers import (
    LagProbe,
    current_id,
    on_server,
    opened,
    real_app,
    seeded,
    settle,
    threaded,
    wait_until,
)
from tests.ui.service_double import CacheBackedService, make_summary
from tui_mail.backend.api import (
    AccountState,
    AccountStateChanged,
    FolderCountsChanged,
    IndexProgress,
)
from tui_mail.backend.cache.store import MailCache
from tui_mail.models import SEEN, Address, Folder, FolderRole
from tui_mail.ui.bridge import BackendMessage
from tui_mail.ui.screens.dialogs import ErrorScreen
from tui_mail.ui.selection import MessageKey
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


async def test_background_indexing_progress_shows_until_finished(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(fill)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.post_message(BackendMessage(IndexProgress("test", 1200, 45000)))
        await pilot.pause(0.1)
        assert "indexing 1,200/45,000" in app.main_screen.status.render().plain
        app.post_message(BackendMessage(IndexProgress("other", 1, 9)))
        app.post_message(BackendMessage(IndexProgress("test", 45000, 45000, finished=True)))
        await pilot.pause(0.1)
        assert "indexing" not in app.main_screen.status.render().plain


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


async def test_s_saves_the_shown_attachments_inside_the_chosen_folder(
    app_factory: Callable[..., Any], tmp_path: Path
) -> None:
    from textual.widgets import Input

    from tui_mail.ui.screens.save_attachments import SaveAttachmentsScreen

    app = app_factory(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert app.main_screen.preview.body.attachments, "the newest seeded message has one"
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SaveAttachmentsScreen)
        app.screen.query_one("#save-directory", Input).value = str(tmp_path / "out")
        app.screen.submit()
        await settle(pilot, app)
        saved = tmp_path / "out" / "slides.pdf"
        assert saved.read_bytes().startswith(b"%PDF-1.4")
        assert any("Saved slides.pdf" in str(n.message) for n in app._notifications)


async def test_compose_keys_ask_the_app_with_the_shown_message(
    app_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_mail.app import TuiMailApp
    from tui_mail.ui.screens.main import MainScreen

    requests: list[MainScreen.ComposeRequested] = []
    monkeypatch.setattr(
        TuiMailApp,
        "on_main_screen_compose_requested",
        # The app's handler opens the compose screen or tells the key gate it will not.
        lambda self, message: (requests.append(message), self.key_gate.no_screen_coming()),
    )
    app = app_factory(fill)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("r", "c", "f", "R")
        await pilot.pause()
    kinds = [(r.kind, r.summary.uid if r.summary else None) for r in requests]
    assert kinds == [("reply", 30), ("new", None), ("forward", 30), ("reply_all", 30)]
    assert requests[0].body is not None and requests[0].raw


class RecordingOpener:
    """Stands in for the desktop opener (a test cannot launch a browser)."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.files: list[bytes] = []

    def open_url(self, url: str) -> None:
        self.urls.append(url)

    def open_file(self, path: Path) -> None:
        self.files.append(path.read_bytes())


HTML_WITH_LINKS = (
    b"From: Bank <bank@example.org>\r\nTo: me@example.org\r\nSubject: Links\r\n"
    b"Message-ID: <links@example.org>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>Visit <a href="https://docs.example.org/guide">the guide</a> or '
    b'<a href="http://evil.example/login">https://bank.example.org/</a>.</p>\r\n'
)


async def test_o_opens_attachments_and_asks_before_a_deceptive_link(
    app_factory: Callable[..., Any],
) -> None:
    from tui_mail.ui.screens.dialogs import ConfirmScreen
    from tui_mail.ui.screens.folder_picker import FolderPickerScreen

    def fill_links(double: CacheBackedService) -> None:
        seeded(double)
        double.add("INBOX", [make_summary(300, subject="Links")], {300: HTML_WITH_LINKS})

    app = app_factory(fill_links)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        recorder = RecordingOpener()
        app.main_screen.opener.opener = recorder
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, FolderPickerScreen))
        await pilot.press(*"evil", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "http://evil.example/login" in app.screen.message  # the real target
        await pilot.press("o")  # open (not copy or a command)
        await wait_until(pilot, lambda: "Open it anyway" in getattr(app.screen, "message", ""))
        await pilot.press("y")  # a deceptive link asks first
        await settle(pilot, app)
        assert recorder.urls == ["http://evil.example/login"]
        await pilot.press("j")  # the message with the PDF attachment
        await settle(pilot, app)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, FolderPickerScreen))
        await pilot.press(*"slides", "enter")
        await settle(pilot, app)
        assert recorder.files and recorder.files[0].startswith(b"%PDF-1.4")


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
        gc.collect()  # garbage left by earlier tests in this process is not this test's pause
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


# ---------------------------------------------------------------------------- real servers


@pytest.mark.integration
async def test_real_open_move_and_show_a_body(imap_server: Any, tmp_path: Path) -> None:
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        newest = current_id(screen)
        await wait_until(pilot, lambda: "\\Seen" in on_server(imap_server, "INBOX")[newest])
        await pilot.press("j")
        second = screen.message_list.current.summary
        await pilot.press("enter")
        assert isinstance(app.focused, MessagePreview)
        await wait_until(
            pilot,
            lambda: screen.preview.key == ("test", "INBOX", second.uid) and screen.preview.body,
        )
        assert screen.preview.body.message_id.strip("<>") == second.message_id.strip("<>")
        assert "offline" not in screen.status.render().plain


@pytest.mark.integration
async def test_real_delete_then_undo_restores_the_message_with_its_flags(
    imap_server: Any, tmp_path: Path
) -> None:
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        await pilot.press("j", "F")
        target = current_id(screen)
        await wait_until(
            pilot, lambda: {"\\Flagged", "\\Seen"} <= on_server(imap_server, "INBOX")[target]
        )
        flags = on_server(imap_server, "INBOX")[target]
        await pilot.press("d")
        assert current_id(screen) != target, "the row left the list at once"
        await wait_until(pilot, lambda: target not in on_server(imap_server, "INBOX"))
        assert on_server(imap_server, "Trash")[target] == flags
        await settle(pilot, app)
        await pilot.press("u")
        await wait_until(pilot, lambda: target in on_server(imap_server, "INBOX"))
        assert on_server(imap_server, "INBOX")[target] == flags
        assert target not in on_server(imap_server, "Trash")
        await wait_until(
            pilot,
            lambda: any(
                screen.message_list.rows.row(i).summary.message_id == target
                for i in range(len(screen.message_list.rows))
            ),
        )


@pytest.mark.integration
async def test_real_archive_move_flag_read_and_their_undo(imap_server: Any, tmp_path: Path) -> None:
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        await pilot.press("j", "j")
        target = current_id(screen)
        await wait_until(pilot, lambda: "\\Seen" in on_server(imap_server, "INBOX")[target])
        await settle(pilot, app)

        await pilot.press("N")  # unread
        await wait_until(pilot, lambda: "\\Seen" not in on_server(imap_server, "INBOX")[target])
        await settle(pilot, app)
        await pilot.press("u")
        await wait_until(pilot, lambda: "\\Seen" in on_server(imap_server, "INBOX")[target])
        await settle(pilot, app)

        await pilot.press("a")
        await wait_until(pilot, lambda: target in on_server(imap_server, "Archive"))
        assert target not in on_server(imap_server, "INBOX")
        await settle(pilot, app)
        await pilot.press("u")
        await wait_until(pilot, lambda: target in on_server(imap_server, "INBOX"))
        assert target not in on_server(imap_server, "Archive")
        await wait_until(
            pilot,
            lambda: (
                screen.message_list.rows.display_index(
                    MessageKey.of(screen.message_list.current.summary)
                )
                is not None
            ),
        )
        await settle(pilot, app)

        index = next(
            i
            for i in range(len(screen.message_list.rows))
            if screen.message_list.rows.row(i).summary.message_id == target
        )
        screen.message_list.move_cursor(index)
        await settle(pilot, app)
        await pilot.press("m")
        await pilot.pause(0.2)
        await pilot.press(*"Junk", "enter")
        await wait_until(pilot, lambda: target in on_server(imap_server, "Junk"))
        await settle(pilot, app)
        await pilot.press("u")
        await wait_until(pilot, lambda: target in on_server(imap_server, "INBOX"))
        assert target not in on_server(imap_server, "Junk")


@pytest.mark.integration
async def test_real_tag_three_then_delete_deletes_all_three(
    imap_server: Any, tmp_path: Path
) -> None:
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        rows = screen.message_list.rows
        tagged = [rows.row(i).summary.message_id for i in range(3)]
        await pilot.press("t", "t", "t", "d")
        assert len(screen.message_list.rows) == imap_server.seeded["INBOX"] - 3
        await wait_until(pilot, lambda: not set(tagged) & set(on_server(imap_server, "INBOX")))
        assert set(tagged) <= set(on_server(imap_server, "Trash"))


@pytest.mark.integration
async def test_real_wrong_password_asks_and_the_right_one_connects(
    imap_server: Any, tmp_path: Path
) -> None:
    from textual.widgets import Input

    from tui_mail.ui.screens.password import PasswordScreen

    app = real_app(imap_server, tmp_path, password="not-the-password")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PasswordScreen) and app.screen.query("#password-input"),
        )
        assert "auth failed" in app.main_screen.status.render().plain
        app.screen.query_one("#password-input", Input).value = imap_server.password
        app.screen.submit()
        screen = await opened(pilot, app, imap_server)
        assert "online" in screen.status.render().plain


async def test_threads_fold_and_unfold(app_factory: Callable[..., Any]) -> None:

    app = app_factory(threaded)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        messages = app.main_screen.message_list
        await pilot.press("T")
        await settle(pilot, app)
        await pilot.press("g")
        assert messages.current.summary.uid == 201 and messages.current.thread_prefix == ""
        total = len(messages.rows)
        await pilot.press("z")
        await settle(pilot, app)
        assert len(messages.rows) == total - 3
        assert "(+3)" in messages.render_line(0).text
        await pilot.press("z")
        await settle(pilot, app)
        assert len(messages.rows) == total
