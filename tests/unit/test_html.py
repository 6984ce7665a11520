"""mail.html.html_to_text: mail HTML as text, links numbered, nothing fetched."""

from __future__ import annotations

import time

import pytest

from tui_mail.mail.html import html_to_text, is_deceptive


def test_script_style_and_head_are_dropped() -> None:
    text, _ = html_to_text(
        "<html><head><title>T</title><style>p{color:red}</style></head>"
        "<body><script>alert('x')</script><p>Hello</p></body></html>"
    )
    assert text == "Hello"


def test_links_are_numbered_and_returned() -> None:
    text, links = html_to_text(
        '<p>Read <a href="https://example.com/a?x=1&amp;y=2">the docs</a> or '
        '<a href="mailto:help@example.com">mail us</a>. <a href="#top">top</a></p>'
    )
    assert text == "Read the docs [1] or mail us [2]. top"
    assert [(link.number, link.url, link.text) for link in links] == [
        (1, "https://example.com/a?x=1&y=2", "the docs"),
        (2, "mailto:help@example.com", "mail us"),
    ]
    assert not any(link.deceptive for link in links)


def test_link_showing_another_host_is_deceptive() -> None:
    _, links = html_to_text('<a href="https://evil.example/login">https://www.paypal.com/signin</a>')
    assert links[0].deceptive


@pytest.mark.parametrize(
    ("text", "href", "deceptive"),
    [
        ("paypal.com", "https://www.paypal.com/x", False),
        ("www.example.com", "https://example.com", False),
        ("example.com", "https://mail.example.com/", False),
        ("https://paypal.com", "https://paypal.com.evil.net/", True),
        ("Click here", "https://evil.example/", False),
        ("bank.com", "http://[::1", True),
    ],
)
def test_is_deceptive(text: str, href: str, deceptive: bool) -> None:
    assert is_deceptive(text, href) is deceptive


def test_images_become_alt_text_and_tracking_pixels_vanish() -> None:
    text, _ = html_to_text(
        '<img src="https://t.example/p.gif" width="1" height="1" alt="pixel">'
        '<img src="https://t.example/q.gif" style="display: none">'
        '<img src="https://cdn.example/logo.png" alt="Logo"><img src="https://x/no-alt.png">'
    )
    assert text == "[image: Logo]"


def test_markup_and_control_entities_are_not_interpreted_here() -> None:
    text, _ = html_to_text("<p>[@click=app.quit]x[/] &lt;b&gt;</p>")
    assert text == "[@click=app.quit]x[/] <b>"


def test_table_cells_are_separated() -> None:
    text, _ = html_to_text("<table><tr><td>a</td><td>b</td></tr></table>")
    assert text.split() == ["a", "b"]


def test_size_cap_adds_a_notice() -> None:
    text, _ = html_to_text("<p>word</p>" * 20_000, max_bytes=10_000)
    assert text.endswith("[HTML too long: only the first 9 KB shown]")
    assert text.count("word") < 1200


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 100_000 + "deep" + "</div>" * 100_000,
        "<ul><li>x" * 50_000,
        "<blockquote>" * 50_000 + "q",
        "<a" * 200_000,
        "<!--" * 200_000,
        "<" * 400_000,
        '<a href="' * 100_000,
    ],
    ids=["divs", "lists", "quotes", "open-tags", "comments", "lt", "attr"],
)
def test_hostile_structures_are_fast(html: str) -> None:
    start = time.perf_counter()
    html_to_text(html)
    assert time.perf_counter() - start < 1.5


def test_deep_nesting_keeps_text() -> None:
    text, _ = html_to_text("<div>" * 15_000 + "deep" + "</div>" * 15_000)
    assert text == "deep"


def test_tag_count_cap_adds_a_notice() -> None:
    text, _ = html_to_text("<b>x</b>" * 30_000)
    assert text.endswith("[HTML too complex: only the first 40,000 tags shown]")
    assert text.split("\n\n")[0] == "x" * 20_000


def test_wrapping_width() -> None:
    text, _ = html_to_text("<p>" + "word " * 40 + "</p>", width=30)
    assert max(len(line) for line in text.splitlines()) <= 30


def test_no_markdown_escapes_in_plain_text() -> None:
    text, _ = html_to_text("<p>1. first</p><p>- dash</p><p>a_b * c</p>")
    assert text.split("\n\n") == ["1. first", "- dash", "a_b * c"]
