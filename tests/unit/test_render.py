"""mail.render: the one path to the screen; every string it returns is safe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.hostile import FORBIDDEN, message
from tui_mail.errors import MailError
from tui_mail.mail.parse import parse_message
from tui_mail.mail.render import (
    format_date,
    format_size,
    render_message,
    render_to_plain,
    wrap_text,
)
from tui_mail.models import Address, Attachment, Link, MessageBody

ESC = "\x1b"


def test_render_sanitises_every_field() -> None:
    body = MessageBody(
        subject=f"Hi {ESC}]52;c;QQ==\x07there\r\nBcc: x",
        from_=(Address(f"Bank{ESC}[31m\u202e", "a@example.com"),),
        to=(Address("", "b@example.com"),),
        date_text="garbage",
        text=f"body {ESC}[2J text\r\n\u202eline",
        attachments=(Attachment(0, "../../\u202eevil.sh", f"text/x{ESC}[1m", 2048),),
        links=(Link(1, f"https://evil.example/{ESC}[0m", "paypal.com", deceptive=True),),
        problems=(f"bad {ESC}[5m thing",),
    )
    rendered = render_message(body)
    assert dict(rendered.header_lines) == {
        "From": "Bank <a@example.com>", "To": "b@example.com",
        "Date": "garbage (unreadable)", "Subject": "Hi there Bcc: x",
    }
    assert rendered.text == "body  text\nline"
    assert rendered.attachments == ["[1] evil.sh (text/x, 2.0 KB)"]
    assert rendered.links == ["[1] https://evil.example/  (DECEPTIVE: the text shows paypal.com)"]
    assert rendered.notes == ["bad thing"]


def test_markup_survives_literally() -> None:
    raw = message([("Subject", "[@click=app.quit]x[/]")], b"[bold red]hi[/]\n")
    out = render_to_plain(raw)
    assert "Subject: [@click=app.quit]x[/]" in out
    assert "[bold red]hi[/]" in out


def test_html_entity_escape_is_sanitised_after_conversion() -> None:
    raw = message([("Content-Type", "text/html")], b"<p>a&#27;]52;c;QQ==&#7;b &#x9b;31m c</p>")
    out = render_to_plain(raw)
    assert not FORBIDDEN.search(out)
    assert "a]52;c;QQ==b \u203a31m c" in out  # HTML5 maps &#x9b; to cp1252


def test_all_headers_mode_lists_every_header() -> None:
    raw = message([("X-Mailer", f"evil{ESC}[31m"), ("Subject", "s")])
    rendered = render_message(parse_message(raw), all_headers=True)
    assert rendered.header_lines == [("X-Mailer", "evil"), ("Subject", "s")]


def test_plain_layout() -> None:
    raw = message(
        [("From", "a@example.com"), ("To", "b@example.com"), ("Subject", "Hello"),
         ("Date", "Tue, 03 Feb 2026 10:00:00 +0100"), ("Content-Type", "multipart/mixed; boundary=B")],
        b"--B\r\n\r\nbody text\r\n--B\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="r.pdf"\r\n\r\n%PDF\r\n--B--\r\n',
    )
    assert render_to_plain(raw) == (
        "From:    a@example.com\n"
        "To:      b@example.com\n"
        "Date:    Tue, 03 Feb 2026 10:00 +0100\n"
        "Subject: Hello\n"
        "\n"
        "body text\n"
        "\n"
        "Attachments:\n"
        "[1] r.pdf (application/pdf, 4 B)\n"
    )


def test_empty_group_shows_the_header_text() -> None:
    raw = message([("From", "a@example.com"), ("To", "undisclosed-recipients:;")])
    assert dict(render_message(parse_message(raw)).header_lines)["To"] == "undisclosed-recipients:;"


def test_wrapping() -> None:
    assert wrap_text("short\n" + "word " * 30, 20).split("\n")[0] == "short"
    assert max(map(len, wrap_text("word " * 30, 20).split("\n"))) <= 20
    assert wrap_text("x" * 50, 0) == "x" * 50


def test_render_to_plain_raises_only_mail_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The failure is forced by replacing the renderer: real input never gets this far."""
    import tui_mail.mail.render as render

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(render, "render_message", broken)
    with pytest.raises(MailError) as caught:
        render_to_plain(b"Subject: x\r\n\r\nbody")
    assert caught.value.summary == "Could not render the message"


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (120 * 1024, "120 KB"),
     (int(3.4 * 1024**2), "3.4 MB"), (5 * 1024**4, "5120 GB")],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


def test_format_date() -> None:
    now = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    assert format_date(None, now) == ""
    assert format_date(datetime(2026, 3, 10, 9, 5, tzinfo=UTC), now) == "09:05"
    assert format_date(datetime(2026, 1, 4, 9, 5, tzinfo=UTC), now) == "Jan 04"
    assert format_date(datetime(2024, 3, 4, 9, 5, tzinfo=UTC), now) == "2024-03-04"
    # shown in the viewer's zone: 23:30 UTC on the 9th is 00:30 on the 10th at +01:00
    local_now = now.astimezone(timezone(timedelta(hours=1)))
    assert format_date(datetime(2026, 3, 9, 23, 30, tzinfo=UTC), local_now) == "00:30"
