"""Search criteria become arguments where user text can never end the command line."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient.imapclient import _literal

from tui_mail.backend.imap.search_args import build_search_args, encode_text, needs_utf8
from tui_mail.errors import ServerError


def test_plain_text_is_a_quoted_string() -> None:
    assert build_search_args(["FROM", "bob smith", "UNSEEN"]) == [
        b"FROM",
        b'"bob smith"',
        b"UNSEEN",
    ]


@pytest.mark.parametrize(
    "text", ["x\r\nA1 DELETE INBOX", "line\nbreak", 'say "hi"', "back\\slash", "héllo", "tab\there"]
)
def test_risky_text_becomes_a_literal(text: str) -> None:
    encoded = encode_text(text)
    assert isinstance(encoded, _literal)  # imapclient sends these as {n} literals
    assert encoded == text.encode("utf-8")


def test_non_ascii_asks_for_utf8_charset() -> None:
    assert needs_utf8(build_search_args(["SUBJECT", "Grüße"]))
    assert not needs_utf8(build_search_args(["SUBJECT", "a\r\nb"]))


def test_groups_dates_sizes_keywords_and_uid_sets() -> None:
    args = build_search_args(
        ["OR", ("FROM", "a\r\nb"), ("SINCE", date(2024, 2, 3)), "LARGER", 100, "KEYWORD", "$Junk"]
    )
    # A group ending in a literal carries its ")" on a no-op ALL (imapclient puts a
    # space after a literal, which would otherwise precede the ")").
    assert args == [
        b"OR",
        b"(FROM",
        b"a\r\nb",
        b"ALL)",
        b"(SINCE",
        b"03-Feb-2024)",
        b"LARGER",
        b"100",
        b"KEYWORD",
        b"$Junk",
    ]
    assert build_search_args(["UID", "5:*"]) == [b"UID", b"5:*"]
    assert build_search_args(["HEADER", "List-Id", "python"]) == [
        b"HEADER",
        b"List-Id",
        b'"python"',
    ]


@pytest.mark.parametrize(
    "criteria",
    [
        ["FROM"],  # no value
        ["DELETE INBOX"],  # not a search key
        ["KEYWORD", "a b"],  # not an atom
        ["UID", "1\r\n"],
        ["SINCE", "tomorrow"],
        ["LARGER", "10"],
        ["HEADER", "X\r\nY", "v"],
        [],
    ],
)
def test_bad_criteria_raise_before_anything_is_sent(criteria: list[object]) -> None:
    with pytest.raises(ServerError):
        build_search_args(criteria)


@given(st.text())
def test_no_non_literal_argument_ever_holds_a_line_break(text: str) -> None:
    for arg in build_search_args(["TEXT", text, "OR", ("BODY", text), ("SUBJECT", text)]):
        if not isinstance(arg, _literal):
            assert b"\r" not in arg and b"\n" not in arg and b"\x00" not in arg
