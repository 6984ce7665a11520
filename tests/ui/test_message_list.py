"""The message list widget alone, over real ``MailCache`` views (no server needed).

The views come from ``backend.cache.MailCache`` filled directly, as a finished
sync would leave it; the widget never sees a server, so none is started here.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult

from tests.ui.service_double import NOW, make_summary
from tui_mail.backend.api import SortKey, ViewOrder
from tui_mail.backend.cache.store import MailCache
from tui_mail.models import ANSWERED, FLAGGED, SEEN, Address, Folder, FolderRole
from tui_mail.ui.selection import MessageKey
from tui_mail.ui.widgets.message_list import MessageList


def inbox(uid: int) -> MessageKey:
    return MessageKey("test", "INBOX", uid)


def make_cache(path: Path, count: int, **fields: object) -> MailCache:
    cache = MailCache.open(path / "test.sqlite3", "test")
    cache.save_folders(
        [
            Folder("test", "INBOX", role=FolderRole.INBOX),
            Folder("test", "Sent", role=FolderRole.SENT),
        ]
    )
    cache.add_summaries("INBOX", [make_summary(uid, **fields) for uid in range(1, count + 1)])
    return cache


class ListHost(App[None]):
    """Just the list, full screen, showing a cache's INBOX."""

    def __init__(
        self, cache: MailCache, order: ViewOrder | None = None, folder: str = "INBOX"
    ) -> None:
        super().__init__()
        self.cache, self.order, self.folder = cache, order or ViewOrder(), folder
        self.highlighted: list[int | None] = []

    def compose(self) -> ComposeResult:
        yield MessageList(id="messages", clock=lambda: NOW)

    def on_mount(self) -> None:
        messages = self.query_one(MessageList)
        messages.reset(
            self.cache.open_view(self.folder, self.order), show_recipient=self.folder == "Sent"
        )
        messages.focus()

    def on_message_list_highlighted(self, event: MessageList.Highlighted) -> None:
        self.highlighted.append(event.summary.uid if event.summary else None)


def line(messages: MessageList, y: int) -> str:
    return messages.render_line(y).text


async def test_newest_first_with_cursor_on_newest(tmp_path: Path) -> None:
    app = ListHost(make_cache(tmp_path, 50))
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        assert messages.current is not None and messages.current.summary.uid == 50
        assert "Message number 50" in line(messages, 0)
        assert "Message number 49" in line(messages, 1)
        assert app.highlighted == [50]


async def test_keys_move_the_cursor_and_announce_it(tmp_path: Path) -> None:
    app = ListHost(make_cache(tmp_path, 100))
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        await pilot.press("j", "j", "down")
        assert messages.cursor == 3
        await pilot.press("k")
        assert messages.cursor == 2
        await pilot.press("G")
        assert messages.cursor == 99 and messages.current.summary.uid == 1
        assert messages.scroll_offset.y > 0, "the cursor row is scrolled into view"
        assert "Message number 1 " in line(messages, messages.cursor - messages.scroll_offset.y)
        await pilot.press("g")
        assert messages.cursor == 0 and messages.scroll_offset.y == 0
        await pilot.press("pagedown")
        assert messages.cursor == messages.scrollable_content_region.height - 1
        await pilot.press("end", "home")
        await pilot.pause()
        assert app.highlighted[:4] == [100, 99, 98, 97]
        assert app.highlighted[-1] == 100


async def test_columns_marks_date_sender_subject(tmp_path: Path) -> None:
    cache = make_cache(tmp_path, 0)
    cache.add_summaries(
        "INBOX",
        [
            make_summary(
                1,
                flags=frozenset({SEEN, FLAGGED, ANSWERED}),
                has_attachment=True,
                date=NOW.replace(year=2024),
            ),
            make_summary(
                2, date=NOW.replace(month=1, day=5), from_=(Address("", "bare@example.org"),)
            ),
            make_summary(3, date=NOW.replace(hour=9, minute=30), subject="Today's news"),
        ],
    )
    app = ListHost(cache)
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        today, this_year, older = line(messages, 0), line(messages, 1), line(messages, 2)
        assert (
            today.startswith(" ●   ")
            and "09:30" in today
            and "Sender 3" in today
            and "Today's news" in today
        )
        assert "Jan 05" in this_year and "bare@example.org" in this_year
        assert older.startswith("  ⚑↩+") and "2024-03-14" in older
        unread_style = messages.render_line(0)._segments[0].style
        read_style = messages.render_line(2)._segments[0].style
        assert unread_style is not None and unread_style.bold
        assert read_style is None or not read_style.bold


async def test_long_and_wide_names_are_cut_with_an_ellipsis_in_aligned_columns(
    tmp_path: Path,
) -> None:
    """Cut names and subjects end in "…", never mid-word silently; CJK and emoji count
    two cells, so every row is as wide as the list and the subjects start in one column."""
    cache = make_cache(tmp_path, 0)
    people = [
        Address("Margaret Hamilton-Lovelace of the Apollo Guidance Computer", "m@example.org"),
        Address("山田太郎山田太郎山田太郎山田太郎", "yamada@example.org"),
        Address("🎉🎉 Party Planning Committee 🎉🎉", "party@example.org"),
        Address("Ada", "ada@example.org"),
    ]
    cache.add_summaries(
        "INBOX",
        [
            make_summary(uid, from_=(person,), subject="件名" * 40 if uid == 2 else "Short")
            for uid, person in enumerate(people, start=1)
        ],
    )
    app = ListHost(cache)
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        strips = [messages.render_line(y) for y in range(4)]
        assert {strip.cell_length for strip in strips} == {messages.size.width}
        ada, party, yamada, margaret = (strip.text for strip in strips)
        assert "Margaret Hamilton-Lo…" in margaret and "Ada " in ada
        assert "山田太郎山田太郎山田…" in yamada and yamada.rstrip().endswith("件名…")
        assert "🎉🎉 Party Planning…  Short" in party, "a cut after a word drops the space"
        # Each subject starts at the same cell: the sender column is one width.
        starts = [
            cell_len(text[: text.index(word)])
            for text, word in [
                (ada, "Short"),
                (party, "Short"),
                (yamada, "件名"),
                (margaret, "Short"),
            ]
        ]
        assert len(set(starts)) == 1, starts


async def test_network_text_is_shown_literally_and_safely(tmp_path: Path) -> None:
    cache = make_cache(tmp_path, 0)
    evil = "[bold red]x[/] [@click=app.quit]q[/] \x1b]52;c;AAAA\x07\x1b[31mred\u202egnp.exe"
    cache.add_summaries(
        "INBOX", [make_summary(1, subject=evil, from_=(Address("\x1b[2J[b]Eve[/b]", "e@x"),))]
    )
    app = ListHost(cache)
    async with app.run_test(size=(160, 5)) as pilot:
        await pilot.pause()
        text = line(app.query_one(MessageList), 0)
        assert "[bold red]x[/]" in text and "[@click=app.quit]" in text
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "[b]Eve[/b]" in text


async def test_sent_folder_shows_recipients(tmp_path: Path) -> None:
    cache = make_cache(tmp_path, 0)
    cache.add_summaries(
        "Sent", [make_summary(7, folder="Sent", to=(Address("Bob Builder", "bob@example.org"),))]
    )
    app = ListHost(cache, folder="Sent")
    async with app.run_test(size=(100, 5)) as pilot:
        await pilot.pause()
        assert "To: Bob Builder" in line(app.query_one(MessageList), 0)


async def test_new_view_keeps_the_cursor_on_its_message(tmp_path: Path) -> None:
    cache = make_cache(tmp_path, 20)
    app = ListHost(cache)
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        await pilot.press("j", "j")
        assert messages.current.summary.uid == 18
        cache.add_summaries("INBOX", [make_summary(uid) for uid in (21, 22, 23)])
        messages.set_view(cache.open_view("INBOX", ViewOrder()))
        assert messages.current.summary.uid == 18 and messages.cursor == 5
        cache.remove_uids("INBOX", [18])
        messages.set_view(cache.open_view("INBOX", ViewOrder()))
        assert messages.cursor == 5 and messages.current.summary.uid == 17


async def test_a_new_row_count_updates_the_scrollbar_without_a_screen_layout(
    tmp_path: Path,
) -> None:
    """A search keystroke changes the row count: the scrollbar and the scroll range
    follow at once, a scrollbar comes and goes as needed, and no layout is asked."""
    cache = make_cache(tmp_path, 30)
    app = ListHost(cache)
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        assert messages.show_vertical_scrollbar
        layouts: list[bool] = []
        original = messages.refresh

        def counting_refresh(*regions: Any, **options: Any) -> Any:
            layouts.append(bool(options.get("layout")))
            return original(*regions, **options)

        messages.refresh = counting_refresh  # type: ignore[method-assign]
        cache.add_summaries("INBOX", [make_summary(uid) for uid in range(31, 61)])
        messages.set_view(cache.open_view("INBOX", ViewOrder()))
        assert not any(layouts)
        assert messages.vertical_scrollbar.window_virtual_size == 60
        assert messages.max_scroll_y == 60 - messages.scrollable_content_region.height
        await pilot.press("G")
        await pilot.pause()
        assert messages.current.summary.uid == 1
        assert line(messages, 9).rstrip().endswith("Message number 1")
        cache.remove_uids("INBOX", list(range(4, 61)))
        messages.set_view(cache.open_view("INBOX", ViewOrder()))
        await pilot.pause()
        assert not messages.show_vertical_scrollbar and messages.scroll_y == 0
        assert len(messages.rows) == 3


async def test_optimistic_overlay_hides_and_overrides(tmp_path: Path) -> None:
    app = ListHost(make_cache(tmp_path, 10))
    async with app.run_test(size=(100, 12)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        messages.rows.hide([inbox(10), inbox(8)])
        messages.changed()
        assert len(messages.rows) == 8
        assert [messages.rows.row(i).summary.uid for i in range(3)] == [9, 7, 6]
        assert messages.rows.display_index(inbox(7)) == 1
        assert messages.rows.display_index(inbox(8)) is None
        assert messages.rows.display_index(MessageKey("test", "Archive", 7)) is None
        messages.rows.override_flags({inbox(9): frozenset({SEEN})})
        assert not messages.rows.row(0).summary.unread
        messages.rows.unhide([inbox(8)])
        messages.rows.drop_flag_overrides([inbox(9)])
        assert [messages.rows.row(i).summary.uid for i in range(3)] == [9, 8, 7]
        assert messages.rows.row(0).summary.unread


async def test_tagging_selects_tagged_rows_in_list_order(tmp_path: Path) -> None:
    app = ListHost(make_cache(tmp_path, 10))
    async with app.run_test(size=(100, 12)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        assert messages.selected() == (inbox(10),)
        await pilot.press("j", "t", "t", "j", "t")
        assert messages.selected() == (inbox(9), inbox(8), inbox(6))
        assert line(messages, 1).startswith("*")
        await pilot.press("k", "k", "k", "k", "t")
        assert messages.selected() == (inbox(8), inbox(6))


async def test_sort_keys_ask_for_a_new_order(tmp_path: Path) -> None:
    orders: list[ViewOrder] = []

    class Host(ListHost):
        def on_message_list_order_changed(self, event: MessageList.OrderChanged) -> None:
            orders.append(event.order)

    app = Host(make_cache(tmp_path, 3))
    async with app.run_test(size=(100, 8)) as pilot:
        await pilot.pause()
        await pilot.press("S", "O", "T")
        assert orders == [
            ViewOrder(SortKey.SENDER, True, False),
            ViewOrder(SortKey.SENDER, False, False),
            ViewOrder(SortKey.SENDER, False, True),
        ]


@pytest.fixture(scope="module")
def big_cache(tmp_path_factory: pytest.TempPathFactory) -> MailCache:
    """A cache holding 100,000 messages in INBOX (filled once for this module)."""
    return make_cache(tmp_path_factory.mktemp("big"), 100_000)


async def test_keys_cost_under_16_ms_at_100000_rows(big_cache: MailCache) -> None:
    """Measured per key: the action plus drawing every visible line, as a refresh would.

    In CPU time of the loop's thread, so other processes on a busy machine do not count.
    """
    app = ListHost(big_cache)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        assert len(messages.rows) == 100_000
        timings: dict[str, float] = {}
        height = messages.size.height
        for name, action in [
            ("last", messages.action_last),
            ("up", messages.action_cursor_up),
            ("page_up", messages.action_page_up),
            ("first", messages.action_first),
            ("down", messages.action_cursor_down),
            ("page_down", messages.action_page_down),
        ]:
            worst = 0.0
            for _ in range(5):
                start = time.thread_time()
                action()
                for y in range(height):
                    messages.render_line(y)
                worst = max(worst, time.thread_time() - start)
            timings[name] = worst
        print(
            "worst ms per key at 100,000 rows:", {k: round(v * 1000, 2) for k, v in timings.items()}
        )
        assert max(timings.values()) < 0.016, timings
        # Through the whole app (key event, binding, action, screen update), in CPU time
        # (wall time would count Pilot waiting for the next 60 Hz frame): a bound key
        # against an unbound one, so Pilot's own work cancels out.
        cpu: dict[str, float] = {}
        for key in ("x", "j", "x", "j"):
            start = time.process_time()
            for _ in range(20):
                await pilot.press(key)
            cpu[key] = min(cpu.get(key, 1.0), (time.process_time() - start) / 20)
        extra = cpu["j"] - cpu["x"]
        print(
            f"j costs {extra * 1000:.1f} ms CPU more than an unbound key ({cpu['x'] * 1000:.1f} ms)"
        )
        assert extra < 0.016


async def test_clicks_move_the_cursor_and_double_click_opens(tmp_path: Path) -> None:
    opened: list[int] = []

    class Host(ListHost):
        def on_message_list_opened(self, event: MessageList.Opened) -> None:
            opened.append(event.summary.uid)

    app = Host(make_cache(tmp_path, 10))
    async with app.run_test(size=(100, 12)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        await pilot.click(MessageList, offset=(30, 3))
        assert messages.cursor == 3
        await pilot.double_click(MessageList, offset=(30, 5))
        await pilot.pause()
        assert messages.cursor == 5 and opened == [5]


async def test_a_focus_change_redraws_only_the_cursor_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enter, Escape and Tab move the focus: the other rows look the same, so keep them."""
    app = ListHost(make_cache(tmp_path, 30))
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        messages.move_cursor(3)
        await pilot.pause()
        drawn: list[tuple[int, bool]] = []
        draw_row = messages._draw_row

        def counting(index: int, focused: bool, width: int) -> Any:
            drawn.append((index, focused))
            return draw_row(index, focused, width)

        monkeypatch.setattr(messages, "_draw_row", counting)
        focused_cursor = messages.render_line(3)
        messages.blur()
        await pilot.pause()
        assert drawn == [(3, False)]
        assert messages.render_line(3).text == focused_cursor.text
        assert list(messages.render_line(3)) != list(focused_cursor), "the cursor looks unfocused"
        messages.focus()
        await pilot.pause()
        assert drawn == [(3, False)], "the focused cursor row was kept too"


async def test_a_new_theme_redraws_the_rows(tmp_path: Path) -> None:
    app = ListHost(make_cache(tmp_path, 5))
    async with app.run_test(size=(100, 12)) as pilot:
        await pilot.pause()
        messages = app.query_one(MessageList)
        before = messages.render_line(2)
        app.theme = "textual-light"
        await pilot.pause()
        after = messages.render_line(2)
        assert after.text == before.text and list(after) != list(before)
