"""ESEARCH (RFC 4731) response parsing: ranges, strictness, bounded expansion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_mail.backend.imap.esearch import (
    MAX_UIDS,
    ESearchResponse,
    esearch_uids,
    expand,
    parse_esearch,
    parse_sequence_set,
)
from tui_mail.errors import ServerError


def uids(*lines: bytes, limit: int = MAX_UIDS) -> list[int]:
    return esearch_uids([[line] for line in lines], limit)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'(TAG "A123") UID ALL 1:5,9', [1, 2, 3, 4, 5, 9]),
        (b'(TAG "A1") UID ALL 7', [7]),
        (b'(TAG "A1") UID ALL 5:1', [1, 2, 3, 4, 5]),  # either way round
        (b'(TAG "A1") UID ALL 12:10,3,4294967295', [3, 10, 11, 12, 4294967295]),
        (b'(TAG "A1") UID ALL 1:3,2:4,3', [1, 2, 3, 4]),  # overlaps counted once
        (b'(TAG "A1") UID', []),  # nothing matched: ALL is left out
        (b"UID ALL 2,1", [1, 2]),  # no correlator
        (b'(tag "A1") uid all 1:2', [1, 2]),  # keywords are case-insensitive
        (b'(TAG "A1") UID MIN 2 ALL 2:4 MAX 4 COUNT 3', [2, 3, 4]),
        (b'(TAG "A1") UID COUNT 0', []),
        (b'(TAG "A1") UID MODSEQ 917162500 ALL 8', [8]),
        (b'(TAG "A1") UID XFUTURE (1 "two" (3)) ALL 8', [8]),  # unknown list value
        (b'(TAG "A1") UID ALL 1:2 ', [1, 2]),  # a trailing space
    ],
)
def test_all_is_read_and_the_rest_ignored(line: bytes, expected: list[int]) -> None:
    assert uids(line) == expected


def test_tag_is_kept_but_not_checked() -> None:
    assert parse_esearch([b'(TAG "x\\"y") UID ALL 3']) == ESearchResponse('x"y', True, ((3, 3),))
    assert parse_esearch([b"ALL 3"]) == ESearchResponse(None, False, ((3, 3),))


def test_a_tag_sent_as_a_literal() -> None:
    """imaplib keeps a literal as (text ending in {n}, literal) before the rest of its line."""
    items = [(b"(TAG {4}", b"A 12"), b") UID ALL 4:5"]
    assert parse_esearch(items) == ESearchResponse("A 12", True, ((4, 5),))


def test_several_responses_are_merged() -> None:
    assert uids(b'(TAG "A1") UID ALL 3', b'(TAG "A1") UID ALL 1,3') == [1, 3]


@pytest.mark.parametrize(
    "line",
    [
        b'(TAG "A1") UID ALL',  # ALL without its set
        b'(TAG "A1") UID ALL 0',  # UIDs start at 1
        b'(TAG "A1") UID ALL 0:3',
        b'(TAG "A1") UID ALL 1:*',  # "*" has no meaning in an answer
        b'(TAG "A1") UID ALL 1,,2',
        b'(TAG "A1") UID ALL 1:2:3',
        b'(TAG "A1") UID ALL ,1',
        b'(TAG "A1") UID ALL -1',
        b'(TAG "A1") UID ALL 01',
        b'(TAG "A1") UID ALL 4294967296',  # beyond 32 bits
        b'(TAG "A1") UID ALL 1:99999999999',
        b'(TAG "A1") UID ALL 1 ALL 2',  # ALL twice
        b'(TAG "A1") UID ALL (1)',
        b'(TAG "A1") UID ALL "1"',
        b'(TAG "A1") UID ALL 1:3 MIN',  # item without value
        b'(TAG "A1") UID MIN "1" ALL 1',
        b'(TAG "A1") UID "ALL" 1',
        b'(TAG "A1") UID (ALL) 1',
        b'(TAG "A1" UID ALL 1',  # unbalanced
        b'(TAG "A1")) UID ALL 1',
        b'(TAG "A1) UID ALL 1',  # unterminated quote
        b"(TAG A1) UID ALL 1",  # the tag must be a string
        b'(TAG "A1" "x") UID ALL 1',
        b'(FOO "A1") UID ALL 1',
        b'(TAG "A1") UID ALL 1\x00',
        b'(TAG "A1") UID ALL 1 \xff 2',
        b'(TAG "A1") UID ALL {3}',  # a literal imaplib did not read
        b'UID (TAG "A1") ALL 1',
    ],
)
def test_malformed_answers_are_server_errors(line: bytes) -> None:
    with pytest.raises(ServerError, match="ESEARCH"):
        uids(line)


@pytest.mark.parametrize(
    "items",
    [
        [(b"(TAG {5}", b"A 12"), b") UID ALL 4"],  # the literal is not the announced size
        [(b"(TAG ", b"A 12"), b") UID ALL 4"],  # no size at all
        [(b"(TAG {4}", b"A 12", b"x"), b") UID ALL 4"],
        ['(TAG "A1") UID ALL 4'],
        [None],
    ],
)
def test_malformed_parts_are_server_errors(items: list[object]) -> None:
    with pytest.raises(ServerError):
        parse_esearch(items)


def test_no_response_or_sequence_numbers_are_errors() -> None:
    with pytest.raises(ServerError, match="did not answer"):
        esearch_uids([])
    with pytest.raises(ServerError, match="sequence numbers"):
        uids(b'(TAG "A1") ALL 1:3')


def test_a_huge_range_fails_before_it_is_built() -> None:
    with pytest.raises(ServerError, match="too many"):
        uids(b'(TAG "A1") UID ALL 1:4294967295')
    with pytest.raises(ServerError, match="too many"):
        uids(b'(TAG "A1") UID ALL 4294967295:1')
    # Overlapping ranges are counted as sent, so repeating one cannot get around the cap.
    with pytest.raises(ServerError, match="too many"):
        uids(b'(TAG "A1") UID ALL ' + b",".join([b"1:6000000"] * 2))
    assert uids(b'(TAG "A1") UID ALL 1:10', limit=10) == list(range(1, 11))
    with pytest.raises(ServerError):
        uids(b'(TAG "A1") UID ALL 1:10,20', limit=10)


ranges = st.lists(
    st.tuples(st.integers(1, 2**32 - 1), st.integers(0, 50)).map(
        lambda start_len: (start_len[0], min(start_len[0] + start_len[1], 2**32 - 1))
    ),
    min_size=1,
    max_size=20,
)


@given(ranges, st.lists(st.booleans(), min_size=20, max_size=20))
def test_any_sequence_set_round_trips(pairs: list[tuple[int, int]], flips: list[bool]) -> None:
    """Ranges written either way round and in any order give the same sorted UIDs."""
    text = ",".join(
        str(low) if low == high else (f"{high}:{low}" if flip else f"{low}:{high}")
        for (low, high), flip in zip(pairs, flips, strict=False)
    ).encode()
    expected = sorted({uid for low, high in pairs for uid in range(low, high + 1)})
    assert parse_sequence_set(text) == tuple(pairs)
    assert expand(parse_sequence_set(text)) == expected
    assert uids(b'(TAG "A9") UID COUNT 1 ALL ' + text) == expected


@given(st.binary(max_size=60))
def test_garbage_never_escapes_as_another_exception(line: bytes) -> None:
    try:
        result = uids(b"UID " + line)
    except ServerError:
        return
    assert result == sorted(set(result)) and all(1 <= uid < 2**32 for uid in result)
