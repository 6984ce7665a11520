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


HTML_WITH_CID = (
    b"From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/related; boundary="B"\r\n\r\n'
    b"--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<html><head><meta http-equiv="Refresh" content="0;url=http://evil.example/">'
    b'<link rel="preconnect" href="https://evil.example"></head>'
    b'<body><p>Gr\xc3\xbc\xc3\x9fe</p><img src="cid:logo@x"><img src="https://track.example/p.gif">'
    b"<script>fetch('https://evil.example')</script></body></html>\r\n"
    b"--B\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--B--\r\n"
)


def test_the_browser_page_blocks_everything_remote_and_inlines_cid_images() -> None:
    from tui_mail.mail.render import BROWSER_CSP, browser_page

    page = browser_page(HTML_WITH_CID)
    assert page is not None
    assert page.startswith('<!DOCTYPE html><meta charset="utf-8">')
    assert f'http-equiv="Content-Security-Policy" content="{BROWSER_CSP}"' in page[:400]
    assert "default-src 'none'" in BROWSER_CSP and "img-src data:;" in BROWSER_CSP
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in page and "cid:" not in page
    assert "Refresh" not in page and "preconnect" not in page and "Grüße" in page
    plain = b"From: a@example.org\r\nSubject: x\r\n\r\nonly text https://example.org\r\n"
    assert browser_page(plain) is None
    assert browser_page(b"\xff\x00garbage") is None
