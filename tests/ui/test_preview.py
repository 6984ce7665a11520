"""The preview pane shows messages literally: no markup, no escapes, links with their targets."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult

from tui_mail.mail.parse import parse_message
from tui_mail.mail.render import render_message
from tui_mail.ui.message_text import RAW_SOURCE_LIMIT, raw_source_text
from tui_mail.ui.widgets.preview import MessagePreview

HOSTILE = (
    b"From: =?utf-8?q?Mallory_=1B]52;c;ZXZpbA=3D=3D=07?= <m@evil.example>\r\n"
    b"To: you@example.org\r\n"
    b"Subject: [@click=app.quit]x[/] [bold red]loud[/]\r\n"
    b"Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
    b"Received: from relay.example by mx.example\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hello \x1b[31mred\x1b[0m and \xe2\x80\xaeevil\r\n"
    b"[link=https://evil.example]click[/link]\r\n"
)

HTML = (
    b"From: Bank <news@bank.example>\r\n"
    b"To: you@example.org\r\n"
    b"Subject: Your statement\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b'<p>Log in at <a href="https://evil.example/login">https://bank.example/</a>'
    b' or read <a href="https://bank.example/faq">the FAQ</a>.</p>\r\n'
)


class _Host(App[None]):
    """An app holding only a preview pane, recording what it posts."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: list[Any] = []

    def compose(self) -> ComposeResult:
        yield MessagePreview(id="preview")

    def on_message_preview_rendered(self, event: MessagePreview.Rendered) -> None:
        self.posted.append(("rendered", event.key, event.body))

    def on_message_preview_shown(self, event: MessagePreview.Shown) -> None:
        self.posted.append(("shown", event.key))


def _plain(app: _Host) -> str:
    return app.query_one(MessagePreview).text.plain


async def _wait_for(pilot: Any, condition: Any, tries: int = 50) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met")


async def test_markup_and_escapes_show_literally_and_clicks_do_nothing() -> None:
    app = _Host()
    async with app.run_test(size=(100, 30)) as pilot:
        preview = app.query_one(MessagePreview)
        body = parse_message(HOSTILE)
        preview.show_rendered(render_message(body, width=0), body=body, raw=HOSTILE, key="k1")
        await pilot.pause()
        shown = _plain(app)
        assert "Subject: [@click=app.quit]x[/] [bold red]loud[/]" in shown
        assert "[link=https://evil.example]click[/link]" in shown
        assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
        assert not any(span.style and "@click" in str(span.style) for span in preview.text.spans)
        for row in range(8):  # every header line, the Subject's [@click] included
            await pilot.click(MessagePreview, offset=(14, row))
        await pilot.pause()
        assert app.is_running
        assert ("shown", "k1") in app.posted


async def test_raw_bytes_are_parsed_off_the_loop_and_links_listed() -> None:
    app = _Host()
    async with app.run_test(size=(100, 30)) as pilot:
        preview = app.query_one(MessagePreview)
        preview.show_loading("k2")
        await pilot.pause()
        assert _plain(app) == "Loading…" and preview.state == "loading"
        preview.show_raw_message(HTML, "k2")
        await _wait_for(pilot, lambda: ("shown", "k2") in app.posted)
        shown = _plain(app)
        assert "Links" in shown
        assert "https://evil.example/login" in shown and "DECEPTIVE" in shown
        assert "https://bank.example/faq" in shown
        rendered = [p for p in app.posted if p[0] == "rendered"]
        assert rendered and rendered[0][2].subject == "Your statement"
        assert preview.body is not None and preview.raw == HTML


async def test_stale_render_never_replaces_a_newer_message() -> None:
    app = _Host()
    async with app.run_test(size=(100, 30)) as pilot:
        preview = app.query_one(MessagePreview)
        preview.show_raw_message(HTML, "old")
        preview.show_loading("new")
        await pilot.pause(0.3)
        assert _plain(app) == "Loading…" and preview.key == "new"
        assert ("shown", "old") not in app.posted


async def test_error_state_is_sanitised() -> None:
    app = _Host()
    async with app.run_test(size=(100, 30)) as pilot:
        preview = app.query_one(MessagePreview)
        preview.show_error("Could not fetch [b]x[/b]", "server said \x1b[2J NO", key="k3")
        await pilot.pause()
        shown = _plain(app)
        assert shown.startswith("Could not fetch [b]x[/b]") and "\x1b" not in shown
        assert preview.state == "error"


async def test_raw_source_and_all_headers_toggle() -> None:
    app = _Host()
    async with app.run_test(size=(100, 30)) as pilot:
        preview = app.query_one(MessagePreview)
        preview.show_raw_message(HOSTILE, "k4")
        await _wait_for(pilot, lambda: ("shown", "k4") in app.posted)
        assert "Received" not in _plain(app)
        preview.focus()
        await pilot.press("H")
        await _wait_for(pilot, lambda: "Received" in _plain(app))
        await pilot.press("V")
        await _wait_for(pilot, lambda: "Content-Type: text/plain" in _plain(app))
        raw_shown = _plain(app)
        assert preview.raw_mode and "\x1b" not in raw_shown and "\u202e" not in raw_shown
        assert "=?utf-8?q?Mallory" in raw_shown  # raw: encoded words left as sent
        await pilot.press("V")
        await _wait_for(pilot, lambda: not preview.raw_mode and "Subject:" in _plain(app))


async def test_space_pages_down() -> None:
    app = _Host()
    long_body = b"".join(b"line %d\r\n" % n for n in range(300))
    raw = b"Subject: long\r\nFrom: a@b.example\r\n\r\n" + long_body
    async with app.run_test(size=(80, 20)) as pilot:
        preview = app.query_one(MessagePreview)
        preview.show_raw_message(raw, "k5")
        await _wait_for(pilot, lambda: ("shown", "k5") in app.posted)
        preview.focus()
        assert preview.scroll_y == 0
        await pilot.press("space")
        await pilot.pause()
        assert preview.scroll_y > 5


def test_raw_source_is_cut_at_the_limit() -> None:
    text = raw_source_text(b"x" * (RAW_SOURCE_LIMIT + 10)).plain
    assert "raw source cut" in text and len(text) < RAW_SOURCE_LIMIT + 200


LONG = (
    b"Subject: long\r\nFrom: a@b.example\r\n\r\n"
    + b"first " * 30
    + b"\r\n\r\n"
    + b"".join(b"line %d\r\n" % n for n in range(200))
)


async def test_long_text_wraps_to_the_pane_and_again_when_it_is_resized() -> None:
    app = _Host()
    async with app.run_test(size=(60, 20)) as pilot:
        preview = app.query_one(MessagePreview)
        preview.show_raw_message(LONG, "k6")
        await _wait_for(pilot, lambda: ("shown", "k6") in app.posted)
        lines = preview.virtual_size.height
        assert lines > 200, "every line, the long one wrapped"
        assert preview.show_vertical_scrollbar
        await pilot.resize_terminal(200, 20)
        await _wait_for(pilot, lambda: preview.virtual_size.height < lines)
        assert "line 199" in _plain(app)


async def test_short_texts_need_no_layout_and_keep_no_scrollbar() -> None:
    app = _Host()
    async with app.run_test(size=(60, 20)) as pilot:
        preview = app.query_one(MessagePreview)
        preview.show_raw_message(HTML, "k7")
        await _wait_for(pilot, lambda: ("shown", "k7") in app.posted)
        size = preview.virtual_size
        preview.show_loading("k8")
        await pilot.pause()
        assert preview.virtual_size == size, "same virtual size: no layout of the screen"
        assert not preview.show_vertical_scrollbar


async def test_selected_text_is_copied_unwrapped() -> None:
    app = _Host()
    async with app.run_test(size=(40, 20)) as pilot:
        preview = app.query_one(MessagePreview)
        preview.show_raw_message(LONG, "k9")
        await _wait_for(pilot, lambda: ("shown", "k9") in app.posted)
        lines = _plain(app).split("\n")
        header_lines = next(n for n, line in enumerate(lines) if line.startswith("first"))
        # From the start of the long line (wrapped over several screen lines) into the next.
        await pilot.mouse_down(MessagePreview, offset=(1, header_lines))
        await pilot.hover(MessagePreview, offset=(5, header_lines + 6))
        await pilot.mouse_up(MessagePreview, offset=(5, header_lines + 6))
        await pilot.pause()
        selected = app.screen.get_selected_text()
        assert selected is not None and selected.startswith("first first first")
        assert "first first\nfirst" not in selected, "no line breaks where the pane wrapped"
        highlighted = preview.render_line(header_lines)
        assert any(segment.style and segment.style.bgcolor for segment in highlighted)


async def test_a_new_theme_redraws_the_text() -> None:
    app = _Host()
    async with app.run_test(size=(60, 20)) as pilot:
        preview = app.query_one(MessagePreview)
        preview.show_raw_message(HTML, "k10")
        await _wait_for(pilot, lambda: ("shown", "k10") in app.posted)
        before = list(preview.render_line(0))
        app.theme = "textual-light"
        await _wait_for(pilot, lambda: list(preview.render_line(0)) != before)
        assert preview.render_line(0).text == "".join(segment.text for segment in before)


QUOTING = (
    b"From: Ada <ada@example.org>\r\nTo: you@example.org\r\nSubject: Re: plans\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Agreed.\r\n> you wrote [red]this[/]\r\n"
)


def _colour_of(preview: MessagePreview, needle: str) -> Any:
    """The foreground colour the pane draws the first character of ``needle`` in."""
    for y in range(len(preview._wrapped.lines)):
        strip = preview._wrapped.lines[y]
        line = "".join(segment.text for segment in strip)
        if needle in line:
            at, seen = line.index(needle), 0
            for segment in strip:
                if seen + len(segment.text) > at:
                    return segment.style.color if segment.style else None
                seen += len(segment.text)
    raise AssertionError(f"{needle!r} not on screen")


async def test_quotes_are_coloured_from_the_theme_and_follow_a_theme_change() -> None:
    """A user who quotes sees the quote in the theme's quote colour; a new theme recolours it."""
    app = _Host()
    async with app.run_test() as pilot:
        preview = app.query_one(MessagePreview)
        preview.show_raw_message(QUOTING, key=1)
        await _wait_for(pilot, lambda: ("shown", 1) in app.posted)
        quoted, plain = _colour_of(preview, "> you wrote"), _colour_of(preview, "Agreed.")
        assert quoted is not None and quoted != plain
        assert "[red]this[/]" in _plain(app)  # literal text, coloured as a quote only
        app.theme = "textual-light"
        await _wait_for(pilot, lambda: _colour_of(preview, "> you wrote") != quoted)
        assert _colour_of(preview, "> you wrote") != quoted
