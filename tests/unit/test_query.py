"""The search query language: parsing, folding, and its IMAP translation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient.imapclient import _literal

from tui_mail.backend.imap.search_args import build_search_args
from tui_mail.mail.query import (
    DateBound,
    Flag,
    Literal,
    Place,
    Query,
    QueryError,
    Text,
    fold,
    parse,
    specialize,
)
from tui_mail.mail.query_imap import imap_criteria, server_criteria

TODAY = date(2026, 3, 2)


def parsed(text: str) -> Query:
    result = parse(text)
    assert isinstance(result, Query), result
    return result


def terms(text: str) -> list[list[tuple[object, bool]]]:
    return [[(lit.term, lit.negated) for lit in clause] for clause in parsed(text).clauses]


def test_free_words_must_all_match() -> None:
    assert terms("hello  world") == [[(Text("hello"), False)], [(Text("world"), False)]]


def test_quoted_phrase_is_one_term() -> None:
    assert terms('"big deal" x') == [[(Text("big deal", "", True), False)], [(Text("x"), False)]]


@pytest.mark.parametrize("key", ["from", "to", "cc", "subject", "body"])
def test_field_keys(key: str) -> None:
    assert terms(f"{key}:bob") == [[(Text("bob", key), False)]]
    assert terms(f'{key.upper()}:"Bob Smith"') == [[(Text("Bob Smith", key, True), False)]]


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("is:unread", "unread"),
        ("is:read", "read"),
        ("is:flagged", "flagged"),
        ("is:answered", "answered"),
        ("has:attachment", "attachment"),
        ("IS:UNREAD", "unread"),
    ],
)
def test_flag_keys(text: str, flag: str) -> None:
    assert terms(text) == [[(Flag(flag), False)]]


def test_dates_absolute_and_relative() -> None:
    assert terms("before:2024-03-01 after:2023-1-5") == [
        [(DateBound(True, date(2024, 3, 1)), False)],
        [(DateBound(False, date(2023, 1, 5)), False)],
    ]
    newer, older = (c[0][0] for c in terms("newer:7d older:1y"))
    assert newer == DateBound(False, None, 7)
    assert older == DateBound(True, None, 365)
    assert isinstance(newer, DateBound) and newer.resolve(TODAY) == date(2026, 2, 23)
    assert [c[0][0] for c in terms("newer:2w newer:3m")] == [
        DateBound(False, None, 14),
        DateBound(False, None, 90),
    ]


def test_folder_and_account() -> None:
    assert terms("folder:Archive account:work") == [
        [(Place("folder", "Archive"), False)],
        [(Place("account", "work"), False)],
    ]
    assert Place("folder", "python").matches("Lists/python")
    assert Place("folder", "inbox").matches("INBOX")
    assert not Place("account", "python").matches("Lists/python")


def test_negation_and_or() -> None:
    assert terms('-from:spam a OR -"b c" OR is:flagged d') == [
        [(Text("spam", "from"), True)],
        [(Text("a"), False), (Text("b c", "", True), True), (Flag("flagged"), False)],
        [(Text("d"), False)],
    ]
    # lower-case "or", a lone "-" and "-OR" are not operators
    assert terms("a or b") == [[(Text("a"), False)], [(Text("or"), False)], [(Text("b"), False)]]
    assert terms("a - b") == [[(Text("a"), False)], [(Text("b"), False)]]


def test_unknown_keys_are_plain_text() -> None:
    assert terms("re: http://x.org") == [[(Text("re:"), False)], [(Text("http://x.org"), False)]]


def test_empty_and_punctuation_only_queries_match_everything() -> None:
    assert parsed("").is_empty and parsed("   ").is_empty
    assert parsed('"" - & ...').is_empty


def test_unclosed_quote_runs_to_the_end() -> None:
    """Typing a phrase shows results before the closing quote is typed."""
    assert terms('"hello wor') == [[(Text("hello wor", "", True, True), False)]]


def test_control_characters_become_spaces() -> None:
    assert terms('"a\r\nb\x00c"') == [[(Text("a b c", "", True), False)]]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("from:", "from: needs a value"),
        ('subject:""', "subject: needs a value"),
        ("is:urgent", "unknown is:urgent"),
        ("has:pdf", "unknown has:pdf"),
        ("before:2024-02-30", "before: wants a date"),
        ("after:yesterday", "after: wants a date"),
        ("newer:7x", "newer: wants an age"),
        ("older:", "older: needs a value"),
        ("folder:", "folder: needs a value"),
        ("OR a", "OR needs a term on each side"),
        ("a OR", "OR needs a term on each side"),
        ("a OR OR b", "OR needs a term on each side"),
        ('a OR "" b', "OR needs a term on each side"),
    ],
)
def test_malformed_queries_say_what_is_wrong(text: str, says: str) -> None:
    error = parse(text)
    assert isinstance(error, QueryError)
    assert says in str(error)
    assert 0 <= error.position <= len(text)


def test_unicode_folding() -> None:
    assert fold("Müller") == fold("MULLER") == "muller"
    assert fold("Chloé ÅSTRÖM") == "chloe astrom"
    assert fold("ﬁle") == "file"  # compatibility forms fold too


@given(st.text())
def test_parse_never_raises(text: str) -> None:
    assert isinstance(parse(text), Query | QueryError)


_PIECES = ["a", "b", " ", "-", '"', ":", "OR", "\r\n", "is:", "from:", "before:", "newer:", "1d"]


@given(st.lists(st.sampled_from(_PIECES)).map("".join))
def test_query_like_text_parses_or_errs_and_translates(text: str) -> None:
    result = parse(text)
    assert isinstance(result, Query | QueryError)
    if isinstance(result, Query) and not result.places:
        assert build_search_args(imap_criteria(result, TODAY))


def test_specialize_binds_places() -> None:
    query = parsed("folder:INBOX OR folder:Sent x -account:home")

    def decide(term: object) -> bool | None:
        if isinstance(term, Place):
            return term.matches("work" if term.kind == "account" else "Sent")
        return None

    assert specialize(query, decide) == Query(((Literal(Text("x")),),), query.text)
    assert specialize(parsed("folder:Trash"), decide) is False
    assert specialize(parsed("-folder:Trash"), decide) is True


# --------------------------------------------------------------------------- IMAP


def criteria(text: str, folder: str = "INBOX") -> tuple[object, ...] | None:
    return server_criteria(parsed(text), "work", folder, TODAY)


def test_imap_free_word_looks_in_the_indexed_fields() -> None:
    hello = "hello"
    assert criteria(hello) == (
        ("OR", "SUBJECT", hello, "OR", "FROM", hello, "OR", "TO", hello, "OR", "CC", hello,
         "BODY", hello),
    )  # fmt: skip


def test_imap_keys() -> None:
    assert criteria('from:bob to:"Ann Lee" cc:c subject:s body:b') == (
        "FROM", "bob", "TO", "Ann Lee", "CC", "c", "SUBJECT", "s", "BODY", "b",
    )  # fmt: skip
    assert criteria("is:unread is:read is:flagged is:answered") == (
        "UNSEEN", "SEEN", "FLAGGED", "ANSWERED",
    )  # fmt: skip
    assert criteria("has:attachment") == ("HEADER", "Content-Type", "multipart/mixed")
    assert criteria("before:2024-03-01 after:2024-01-31 newer:2d older:1w") == (
        "SENTBEFORE", date(2024, 3, 1), "SENTSINCE", date(2024, 1, 31),
        "SENTSINCE", date(2026, 2, 28), "SENTBEFORE", date(2026, 2, 23),
    )  # fmt: skip
    assert criteria("") == ("ALL",)


def test_imap_negation_and_or() -> None:
    assert criteria("-from:a subject:b OR is:flagged OR -to:c") == (
        "NOT", "FROM", "a",
        "OR", "SUBJECT", "b", "OR", "FLAGGED", "NOT", "TO", "c",
    )  # fmt: skip
    negated_word = criteria("-x")
    assert negated_word is not None and negated_word[0] == "NOT"
    assert isinstance(negated_word[1], tuple) and negated_word[1][0] == "OR"


def test_imap_places_choose_folders() -> None:
    assert criteria("folder:Archive x", "INBOX") is None
    assert criteria("folder:archive from:x", "Archive") == ("FROM", "x")
    assert criteria("-folder:Trash", "Trash") is None
    assert criteria("account:home", "INBOX") is None
    assert criteria("account:WORK", "INBOX") == ("ALL",)


def test_imap_criteria_are_accepted_by_the_wire_encoder() -> None:
    for text in ["hello", '-"a b" OR from:x', "is:unread OR has:attachment -y", "Grüße OR\tz"]:
        args = build_search_args(criteria(text) or ())
        assert args


@given(st.text())
def test_no_line_break_ever_reaches_the_wire_outside_a_literal(text: str) -> None:
    """Whatever is typed, the command line is never broken: no CR/LF in a
    non-literal argument (and CR/LF never survive parsing at all)."""
    for query_text in (text, f'"{text}"', f"from:{text}", f'subject:"{text}" OR -{text}'):
        result = parse(query_text)
        if not isinstance(result, Query) or result.places:
            continue
        for arg in build_search_args(imap_criteria(result, TODAY)):
            assert b"\r" not in arg and b"\n" not in arg and b"\x00" not in arg
            if not isinstance(arg, _literal):
                assert all(32 <= byte < 127 for byte in arg)
