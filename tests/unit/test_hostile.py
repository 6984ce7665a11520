"""Every generated hostile message parses and renders fast, safely and sensibly.

Each case is parsed and rendered (both ``render_message`` and ``render_to_plain``)
in under 2 s, no forbidden character reaches the output, and a case-specific
check says what a reader should see.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile import FORBIDDEN, MARKUP, hostile_messages, write_hostile
from tui_mail.mail.parse import attachment_bytes, parse_message
from tui_mail.mail.render import render_message, render_to_plain
from tui_mail.models import MessageBody


@dataclass
class Result:
    body: MessageBody
    out: str

    def header(self, label: str) -> str:
        for line in self.out.splitlines():
            if line.startswith(label + ":"):
                return line.split(":", 1)[1].strip()
        raise AssertionError(f"no {label} line in:\n{self.out[:500]}")


def _names(result: Result) -> list[str]:
    lines = result.out.split("Attachments:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [line.split("] ", 1)[1].rsplit(" (", 1)[0] for line in lines]


EXPECTED: dict[str, Callable[[Result], object]] = {
    "csi_in_subject": lambda r: r.header("Subject") == "Hello RED world",
    "osc52_and_osc8_in_body": lambda r: "before  middle click me after" in r.out and "cm0g" not in r.out,
    "osc8_in_from_name": lambda r: r.header("From") == "click me <x@example.com>",
    "dcs_and_title_report": lambda r: "\nabc\n" in r.out and "pwned" not in r.out,
    "unterminated_osc": lambda r: "visible" in r.out and "rest" in r.out,
    "c1_in_utf8": lambda r: r.header("Subject") == "c1 utf8" and "x  y  z" in r.out,
    "c1_raw_8bit": lambda r: r.header("Subject") == "raw \u203a31m c1" and "body \u203a31m" in r.out,
    "escape_in_encoded_word": lambda r: r.header("Subject") == "Hi there RED",
    "escape_in_filename": lambda r: _names(r) == ["aREDb.bin"],
    "rich_markup": lambda r: r.header("Subject") == MARKUP and f"\n{MARKUP}\n" in r.out,
    "bidi_and_zero_width": lambda r: (r.header("From") == "Bankevil <a@example.com>"
                                      and r.header("Subject") == "paypal isolated tag"
                                      and "lineone" in r.out),
    "bidi_attachment_name": lambda r: _names(r) == ["invoicefdp.exe"],
    "encoded_word_crlf": lambda r: (r.header("Subject") == "line1 Bcc: evil@example.com"
                                    and "\nBcc:" not in r.out),
    "unknown_charset_word": lambda r: r.header("Subject").startswith("caf") and r.out.count("ok") >= 1,
    "malformed_encoded_word": lambda r: "not base64" in r.header("Subject"),
    "raw_8bit_headers": lambda r: (r.header("From") == "J\u00fcrgen <j@example.com>"
                                   and r.header("Subject") == "Gr\u00fc\u00dfe latin1"
                                   and "\nGr\u00fc\u00dfe\n" in r.out),
    "nul_bytes": lambda r: r.header("Subject") == "nulsubject" and "\nabc\n" in r.out,
    "mislabelled_charsets": lambda r: all(s in r.body.text for s in
                                          ("caf\u00e9 ascii", "caf\u00e9 latin", "plain bogus")),
    "garbage_date": lambda r: r.body.date is None and r.header("Date") == "not a date at all (unreadable)",
    "out_of_range_date": lambda r: r.body.date is None and "(unreadable)" in r.header("Date"),
    "undisclosed_recipients": lambda r: (r.body.to == () and
                                         r.header("To") == "unlisted-recipients:; (no To-header on input)"),
    "bad_rfc2231_params": lambda r: ("text ok" in r.body.text
                                     and [a.content_type for a in r.body.attachments] == ["application/pdf"]),
    "invalid_base64": lambda r: ("Hello world, decodable start." in r.body.text
                                 and any("invalid base64" in p for p in r.body.problems)),
    "invalid_quoted_printable": lambda r: "softbreak" in r.body.text,
    "missing_boundary": lambda r: "visible text" in r.body.text,
    "empty_boundary": lambda r: "empty boundary text" in r.body.text,
    "duplicate_boundary": lambda r: "inner text" in r.body.text,
    "unclosed_multipart": lambda r: "first part" in r.body.text and "never closed" in r.body.text,
    "nested_multipart_1000": lambda r: (r.body.text.startswith("shallow text")
                                        and any("deeper than 50" in p for p in r.body.problems)),
    "nested_rfc822_1000": lambda r: (r.body.text.strip() == "outer text"
                                     and r.body.attachments[0].content_type == "message/rfc822"),
    "recipients_50000": lambda r: (len(r.body.to) == 1000 and r.body.to[-1].email == "user999@example.com"
                                   and r.header("Subject") == "many recipients"),
    "header_line_5mb": lambda r: (r.header("Subject") == "after the huge header"
                                  and "body after huge header" in r.body.text),
    "attachment_20mb": lambda r: ([(a.filename, a.size) for a in r.body.attachments]
                                  == [("big.bin", 20 * 1024 * 1024)] and "big one attached" in r.body.text),
    "content_type_parameter_bomb": lambda r: r.body.text == "param text" and _names(r) == ["x.pdf"],
    "html_tracking_and_tricks": lambda r: (r.body.from_html and "[image: Logo]" in r.body.text
                                           and "tracker" not in r.out and "alert" not in r.out
                                           and [link.deceptive for link in r.body.links] == [True, False]
                                           and MARKUP in r.out and "DECEPTIVE" in r.out),
    "html_100000_nested": lambda r: r.body.from_html and "[HTML too" in r.body.text,
    "html_symbol_soup": lambda r: r.body.from_html and r.body.text.startswith("<a<a"),
    "attachment_names": lambda r: _names(r) == [
        "passwd", "shadow", "evil.exe", "_CON.txt", "a" * 116 + ".pdf", "longname.txt",
        "\u20ac rates.csv", "r\u00e9sum\u00e9.doc", "bashrc"],
}

MESSAGES = hostile_messages()


def test_every_case_has_an_expectation() -> None:
    assert set(EXPECTED) == set(MESSAGES)


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_hostile_case(name: str) -> None:
    raw = MESSAGES[name]
    start = time.perf_counter()
    body = parse_message(raw)
    rendered = render_message(body)
    elapsed = time.perf_counter() - start
    out = render_to_plain(raw)
    assert elapsed < 2, f"{name} took {elapsed:.2f} s"
    for text in [out, rendered.text, *rendered.attachments, *rendered.links, *rendered.notes,
                 *(value for pair in rendered.header_lines for value in pair)]:
        assert not FORBIDDEN.search(text), f"forbidden character in {text[:200]!r}"
    assert not any(p.startswith("could not parse") for p in body.problems)
    assert EXPECTED[name](Result(body, out)), out[:2000]


def test_attachment_bytes_of_hostile_names() -> None:
    assert attachment_bytes(MESSAGES["attachment_names"], 8) == b"data"


def test_write_hostile(tmp_path: Path) -> None:
    paths = write_hostile(tmp_path / "hostile")
    assert {p.stem for p in paths} == set(MESSAGES)
    assert (tmp_path / "hostile" / "rich_markup.eml").read_bytes() == MESSAGES["rich_markup"]
