"""The URLs of a plain-text body, as the ``o`` picker numbers them (mail/html.py text_links)."""

from __future__ import annotations

from tui_mail.mail.html import text_links
from tui_mail.mail.parse import parse_message
from tui_mail.ui.attachments import open_choices


def test_three_urls_numbered_in_order_without_sentence_punctuation() -> None:
    text = (
        "Docs at https://docs.example.org/guide. Tickets: <http://bugs.example.org/1?x=2>,\n"
        "write to mailto:help@example.org! Again https://docs.example.org/guide and ftp://a"
    )
    links = text_links(text)
    assert [(link.number, link.url) for link in links] == [
        (1, "https://docs.example.org/guide"),
        (2, "http://bugs.example.org/1?x=2"),
        (3, "mailto:help@example.org"),
        (4, "ftp://a"),
    ]
    assert text_links("no links, only https:// and mailto: alone") == ()


def test_the_picker_lists_plain_text_links_and_cleans_what_it_shows() -> None:
    raw = (
        b"From: a@example.org\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\n"
        b"One https://one.example.org/ two https://two.example.org/\x1b[2Jx three https://3.example\r\n"
    )
    labels = list(open_choices(parse_message(raw)))
    assert labels == [
        "[1] https://one.example.org/",
        "[2] https://two.example.org/x",  # the escape sequence dropped whole
        "[3] https://3.example",
    ]
