"""parse_message + render_to_plain over every message of the real-world corpora.

The corpora live outside the repository (``<repo>/../shared/corpora``, see its
README). Every message file listed in its ``PARSECHECK.tsv`` is parsed (mbox
files are split with ``mailbox``): no exception, under 2 s each, no forbidden
character in the output. Stalwart's expected JSON and CPython's known
subjects serve as oracles for a sample of decoded values.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from tests.corpora import CORPORA, listed, messages, require_corpora
from tests.hostile import FORBIDDEN
from tui_mail.mail.headers import parse_date
from tui_mail.mail.parse import parse_message
from tui_mail.mail.render import render_to_plain
from tui_mail.mail.sanitize import clean_line

LISTED = listed()


def test_corpora_present_and_listed() -> None:
    require_corpora()
    assert len(LISTED) >= 200


@pytest.mark.parametrize(("path", "kind"), LISTED or [("missing", "eml")], ids=lambda v: str(v))
def test_corpus_file_parses_and_renders(path: str, kind: str) -> None:
    require_corpora()
    for raw in messages(path, kind):
        start = time.perf_counter()
        body = parse_message(raw)
        out = render_to_plain(raw)
        elapsed = time.perf_counter() - start
        assert elapsed < 2, f"{path}: {elapsed:.2f} s"
        assert not FORBIDDEN.search(out), path
        assert not any(p.startswith("could not parse") for p in body.problems), body.problems


def _stalwart_cases() -> list[tuple[str, str]]:
    cases = []
    for path, _ in LISTED:
        if not path.startswith("stalwart-mail-parser/"):
            continue
        expected = json.loads((CORPORA / path).with_suffix(".json").read_text())
        for header in expected["parts"][0]["headers"]:
            if header["name"] == "subject" and isinstance(header["value"], dict):
                subject = header["value"].get("Text")
                if isinstance(subject, str):
                    cases.append((path, subject))
    return cases


#: Where we knowingly differ from Stalwart's parse, and why.
KNOWN_DIFFERENCES = {
    # The first line, "Fro :uMmlti Sender ...", is not a header to Python's parser (a
    # space before the colon), so the whole message is body; Stalwart skips the line.
    "stalwart-mail-parser/malformed/019.eml",
}


def test_stalwart_subjects_match_the_expected_parse() -> None:
    require_corpora()
    cases = [case for case in _stalwart_cases() if case[0] not in KNOWN_DIFFERENCES]
    assert len(cases) >= 20
    mismatches = [
        (path, expected, parse_message((CORPORA / path).read_bytes()).subject)
        for path, expected in cases
        if clean_line(parse_message((CORPORA / path).read_bytes()).subject) != clean_line(expected)
    ]
    assert mismatches == []


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("msg_01.txt", "This is a test message"),
        ("msg_02.txt", "Ppp digest, Vol 1 #2 - 5 msgs"),
        ("msg_07.txt", "Here is your dingus fish"),
        ("msg_45.txt", "test"),
    ],
)
def test_cpython_subjects(name: str, subject: str) -> None:
    require_corpora()
    assert parse_message((CORPORA / "cpython-test_email" / name).read_bytes()).subject == subject


#: Stalwart date vectors Python's parsedate cannot read (or reads differently).
UNSUPPORTED_DATES = {
    " 4 8 15 16 23 42, 4 8 15 16 23 42, 4 8 15 16 23 42, ",
    "Thu, 10 Jul 1997 14:53:31 EST5EDT",
    "20 11 (some \n 44 comments(more comments\n )) 79 05:34:27 -0300",
}


def test_stalwart_date_vectors() -> None:
    require_corpora()
    vectors = json.loads((CORPORA / "stalwart-mail-parser/header-vectors/date.json").read_text())
    checked = 0
    for vector in vectors:
        header, expected = vector["header"], vector["expected"]
        if header in UNSUPPORTED_DATES or header.startswith("by "):
            continue
        value = parse_date(header)
        if not isinstance(expected, dict):
            assert value is None or "invalid" in header, header
            continue
        assert value is not None, header
        sign = -1 if expected["tz_before_gmt"] else 1
        offset = sign * timedelta(hours=expected["tz_hour"], minutes=expected["tz_minute"])
        got = (value.year, value.month, value.day, value.hour, value.minute, value.second)
        assert got == tuple(expected[k] for k in ("year", "month", "day", "hour", "minute", "second"))
        assert value.utcoffset() == offset, header
        checked += 1
    assert checked >= 25


def test_bounce_with_empty_group_to_header_renders() -> None:
    """The stdlib raises AttributeError reading this To header (PARSECHECK's 4 failures)."""
    require_corpora()
    out = render_to_plain((CORPORA / "mimekit/messages/delivery-status.txt").read_bytes())
    assert "To:      unlisted-recipients:; (no To-header on input)" in out
    assert "Diagnostic-Code: X-LOCAL; 500 (err.nosuchuser)" in out


def test_outlook_msg_is_rejected_gracefully() -> None:
    require_corpora()
    body = parse_message((CORPORA / "spamscope-mail-parser/mail_outlook_1").read_bytes())
    assert body.problems == ("this is an Outlook .msg file, not an RFC 5322 message",)


def test_stack_overflow_to_header_is_fast() -> None:
    require_corpora()
    start = time.perf_counter()
    body = parse_message((CORPORA / "mimekit/messages/stack-overflow.txt").read_bytes())
    assert time.perf_counter() - start < 1
    assert body.to[0].email == "test@test.com"
