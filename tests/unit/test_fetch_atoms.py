"""The fast FETCH reader gives exactly imapclient's result, or imapclient's error.

Hostile answers (literals, NIL, nested lists, 8-bit, huge lines, a literal that
lies about its size, broken quoting...) and seeded random mutations of a real
Dovecot answer go through both :func:`transport.parse_fetch` and imapclient's
``parse_fetch_response``; the corpora test does the same over real messages.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from imapclient.response_parser import parse_fetch_response

from tui_mail.backend.imap import transport
from tui_mail.backend.imap.fetch_atoms import Unread, read_atoms

#: A summary answer as Dovecot sends it (literal for the header fields).
REAL: list[Any] = [
    (
        b'1 (UID 7 FLAGS (\\Seen $Label1) INTERNALDATE "04-Dec-2026 10:00:00 +0100" '
        b'RFC822.SIZE 1234 ENVELOPE ("Fri, 4 Dec 2026 10:00:00 +0100" "Hi \\"you\\" \\\\ \\n" '
        b'(("Ann B" NIL "ann" "example.com")) NIL NIL ((NIL NIL "bob" "example.org")'
        b'("=?utf-8?q?Caf=C3=A9?=" NIL "c" "x.y")) NIL NIL NIL "<m@x>") '
        b'BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 1 NIL NIL NIL NIL)'
        b'("application" "pdf" ("name" "a b.pdf") NIL NIL "base64" 300 NIL '
        b'("attachment" ("filename" "a b.pdf")) NIL NIL) "mixed" ("boundary" "xx") NIL NIL NIL) '
        b"BODY[HEADER.FIELDS (REFERENCES)] {25}",
        b"References: <a@b> <c@d>\r\n",
    ),
    b")",
    b"2 (UID 9 FLAGS () ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) RFC822.SIZE 0)",
]

HOSTILE: dict[str, list[Any]] = {
    "empty": [],
    "none": [None],
    "nil everywhere": [b"1 (UID 3 FLAGS NIL ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))"],
    "lowercase nil": [b"1 (UID 3 X nil)"],
    "nested": [b"1 (UID 3 X (((((((a))) (b (c (d)))))) ()))"],
    "8-bit": [b'1 (UID 3 X "Gr\xfc\xdfe \xe2\x82\xac" Y \xff\xfe\x80)'],
    "8-bit literal": [(b"1 (UID 3 BODY[] {4}", b"\xff\x00\r\n"), b")"],
    "two literals": [(b"1 (UID 3 A {3}", b"abc"), (b" B {2}", b"de"), b")"],
    "literal split over records": [(b"1 (UID 3 X ({1}", b"a"), b" b))"],
    "literal lies (short)": [(b"1 (UID 3 BODY[] {10}", b"abc"), b")"],
    "literal lies (long)": [(b"1 (UID 3 BODY[] {1}", b"abc"), b")"],
    "literal marker mid-record": [(b"1 (UID 3 A {3} B {3}", b"abc"), b")"],
    "literal without marker": [(b"1 (UID 3 A B}", b"abc"), b")"],
    "marker without literal": [b"1 (UID 3 A {3})"],
    "odd marker": [(b"1 (UID 3 A {+3}", b"abc"), b")"],
    "leading-zero marker": [(b"1 (UID 3 A {03}", b"abc"), b")"],
    "huge line": [b"1 (UID 3 X (" + b'"aaaaaaaaaa" ' * 200_000 + b"))"],
    "huge atom": [b"1 (UID 3 X " + b"z" * 3_000_000 + b")"],
    "unclosed list": [b"1 (UID 3 FLAGS (\\Seen"],
    "extra close": [b"1 (UID 3))"],
    "top-level close": [b")"],
    "no list": [b"1 UID 3"],
    "odd items": [b"1 (UID 3 FLAGS)"],
    "bad uid": [b"1 (UID x)"],
    "leading-zero uid": [b"1 (UID 007 SIZE 0012)"],
    "bad msg id": [b"x (UID 3)"],
    "msg id with zeros": [b"01 (UID 3)"],
    "int item name": [b"1 (5 6)"],
    "quote inside atom": [b'1 (UID 3 X ab"c")'],
    "quote after section": [b'1 (UID 3 BODY[x]"c")'],
    "unclosed quote": [b'1 (UID 3 X "abc)'],
    "backslash at end": [b'1 (UID 3 X "abc\\'],
    "escapes": [b'1 (UID 3 X "a\\\\b\\"c\\d" Y "\\\\\\\\" Z "\\\\\\"")'],
    "quoted crlf": [b'1 (UID 3 X "a\r\nb")'],
    "adjacent quotes": [b'1 (UID 3 X "a""b")'],
    "percent": [b"1 (UID 3 X a%b)"],
    "control byte": [b"1 (UID 3 X a\x01b)"],
    "tabs and crlf": [b"1\t(UID\t3 X\r\nY)\r\n"],
    "unclosed section": [b"1 (UID 3 BODY[HEADER (X)"],
    "section with quotes": [b'1 (UID 3 BODY[HEADER.FIELDS ("A" B)] "v")'],
    "section first": [b"1 (UID 3 X [a b]c)"],
    "repeated message": [b"1 (UID 3 FLAGS (a))", b"1 (UID 3 RFC822.SIZE 5)"],
    "no uid": [b"4 (FLAGS (\\Seen))"],
    "del byte": [b"1 (UID 3 X a\x7fb)"],
    "bad envelope": [b"1 (UID 3 ENVELOPE (a b))"],
    "envelope not a list": [b"1 (UID 3 ENVELOPE NIL)"],
    "bad date": [
        b'1 (UID 3 INTERNALDATE "yesterday" ENVELOPE ("31 Feb" NIL NIL NIL NIL NIL NIL NIL NIL NIL))'
    ],
    "bodystructure atom": [b"1 (UID 3 BODYSTRUCTURE x)"],
    "odd record": [("not bytes", b"x")],
}


def _outcome(parse: Any, data: list[Any], normalise: bool, uid_key: bool) -> Any:
    try:
        return ("ok", dict(parse(data, normalise, uid_key)))
    except Exception as error:  # the error itself is what is compared
        return ("error", type(error), str(error))


def assert_same(data: list[Any]) -> None:
    """Both parsers agree on ``data`` for every setting of times and keys."""
    for normalise in (False, True):
        for uid_key in (False, True):
            ours = _outcome(transport.parse_fetch, data, normalise, uid_key)
            theirs = _outcome(parse_fetch_response, data, normalise, uid_key)
            assert ours == theirs, (data[:3], normalise, uid_key)


def test_a_real_answer_is_read_by_the_fast_path_and_matches() -> None:
    atoms = read_atoms(REAL)  # no fallback: the fast path is what is compared
    assert atoms[0] == 1 and atoms[2] == 2
    assert_same(REAL)
    parsed = transport.parse_fetch(REAL, False, True)
    assert parsed[7][b"BODY[HEADER.FIELDS (REFERENCES)]"] == b"References: <a@b> <c@d>\r\n"
    assert parsed[7][b"ENVELOPE"].subject == b'Hi "you" \\ \\n'


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_answers_match_imapclient(name: str) -> None:
    assert_same(HOSTILE[name])


#: Hostile but readable: these must go through the fast path, not the fallback.
FAST = (
    "nil everywhere",
    "lowercase nil",
    "nested",
    "8-bit",
    "8-bit literal",
    "two literals",
    "literal split over records",
    "leading-zero marker",
    "huge line",
    "huge atom",
    "escapes",
    "quoted crlf",
    "adjacent quotes",
    "tabs and crlf",
    "section with quotes",
    "section first",
    "repeated message",
    "no uid",
    "del byte",
    "bad envelope",
    "bad date",
    "empty",
)


def test_readable_hostile_answers_take_the_fast_path() -> None:
    for name in FAST:
        read_atoms(HOSTILE[name])
    assert read_atoms(HOSTILE["escapes"])[1][3:6:2] == (b'a\\b"c\\d', b"\\\\")


def test_the_fast_path_leaves_what_it_cannot_read_to_imapclient() -> None:
    for name in ("literal lies (short)", "quote inside atom", "percent", "unclosed list"):
        with pytest.raises(Unread):
            read_atoms(HOSTILE[name])


def _mutate(rng: random.Random, data: list[Any]) -> list[Any]:
    records = [list(r) if isinstance(r, tuple) else [r] for r in data]
    record = rng.choice(records)
    part = rng.randrange(len(record))
    text = bytearray(record[part])
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        action = rng.random()
        if action < 0.4 and text:
            del text[at : at + rng.randint(1, 4)]
        elif action < 0.8:
            text[at:at] = bytes([rng.choice(b' ()"\\[]{}%\x00\r\nNIL0123456789\xe9')])
        else:
            text[at:at] = rng.choice([b"NIL", b"{3}", b"()", b'""', b"[", b"]", b" 0"])
    record[part] = bytes(text)
    return [tuple(r) if len(r) == 2 else r[0] for r in records]


def test_random_mutations_of_a_real_answer_match_imapclient() -> None:
    rng = random.Random(17)
    fast = 0
    for _ in range(3000):
        data = _mutate(rng, REAL)
        assert_same(data)
        try:
            read_atoms(data)
            fast += 1
        except Unread:
            pass
    assert fast > 300  # the mutations exercise the fast path, not only the fallback
