"""ESEARCH (RFC 4731) responses -> UIDs, strictly and with a bounded expansion.

A ``UID SEARCH RETURN (ALL) ...`` is answered by one untagged line such as
``* ESEARCH (TAG "A123") UID ALL 1:5,9`` instead of a plain ``* SEARCH 1 2 3``
list. The ``ALL`` sequence-set is far shorter for big folders, but it can also
announce ``1:4294967295`` in 20 bytes, so it is counted before it is expanded.

Pure functions only (no I/O). Every malformed answer raises
:class:`~tui_mail.errors.ServerError`, never a bare ``ValueError``: the caller
shows it as a failed search, the session stays usable.

The grammar followed (RFC 4731 section 3.1, RFC 4466 section 2.6.2)::

    esearch-response    = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)
    search-correlator   = SP "(" "TAG" SP tag-string ")"
    search-return-data  = search-modifier-name SP search-return-value
    search-return-value = tagged-ext-val   ; an atom-like value or a parenthesised list
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tui_mail.backend.imap.protocol import (
    MAX_UIDS,
    check_range_total,
    expand_ranges,
    sequence_ranges,
)
from tui_mail.errors import ServerError

#: A whole token: "(", ")", a quoted string (with \\ and \" escapes) or an atom-like run.
_TOKEN = re.compile(
    rb' *(?:(?P<open>\()|(?P<close>\))|"(?P<quoted>(?:[^"\\\x00\r\n]|\\["\\])*)"'
    rb'|(?P<atom>(?:(?![()"{])[\x21-\x7e])+))'
)
_LITERAL_MARK = re.compile(rb"\{(\d{1,10})\}$")
#: tagged-ext-label (RFC 4466): how a return item such as ALL, MIN, MODSEQ is named.
_LABEL = re.compile(rb"[A-Za-z\-_.][A-Za-z0-9\-_.:]*")


@dataclass(frozen=True, slots=True)
class _Str:
    """A string token (quoted or literal): data, never a keyword."""

    value: bytes


# A parsed value: an atom (bytes), a string, or a parenthesised list of values.
_Value = bytes | _Str | list[Any]


@dataclass(frozen=True, slots=True)
class ESearchResponse:
    """One ``* ESEARCH`` line, reduced to what tui-mail uses.

    ``ranges`` are the ``ALL`` sequence-set as inclusive ``(low, high)`` pairs with
    ``low <= high`` (empty when nothing matched, since ``ALL`` is then left out).
    """

    tag: str | None
    uid: bool
    ranges: tuple[tuple[int, int], ...]


def _bad(summary: str, detail: Any) -> ServerError:
    return ServerError(f"unreadable ESEARCH answer: {summary}", repr(detail)[:200])


def _tokens(items: Sequence[Any]) -> list[bytes | _Str | str]:
    """Tokens of one response as imaplib stores it: text, or ``(text ending {n}, literal)``.

    Parentheses come back as the one-character ``str`` "(" and ")" so they can never
    be confused with an atom or a string holding the same character.
    """
    tokens: list[bytes | _Str | str] = []
    for item in items:
        literal: bytes | None = None
        if isinstance(item, tuple):
            if len(item) != 2 or not all(isinstance(part, bytes) for part in item):
                raise _bad("unexpected response part", item)
            text, literal = item
            mark = _LITERAL_MARK.search(text)
            # imaplib already read exactly the announced size; a mismatch means confusion.
            if mark is None or int(mark[1]) != len(literal):
                raise _bad("literal without its size", item)
            text = text[: mark.start()]
        elif isinstance(item, bytes):
            text = item
        else:
            raise _bad("unexpected response part", item)
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                if text[position:].strip(b" "):
                    raise _bad("unexpected text", text[position : position + 40])
                break  # trailing spaces
            position = match.end()
            if match["open"]:
                tokens.append("(")
            elif match["close"]:
                tokens.append(")")
            elif match["quoted"] is not None:
                tokens.append(_Str(re.sub(rb"\\(.)", rb"\1", match["quoted"])))
            else:
                tokens.append(match["atom"])
        if literal is not None:
            tokens.append(_Str(literal))
    return tokens


def _nest(tokens: list[bytes | _Str | str]) -> list[_Value]:
    """Tokens -> values, with each parenthesised group as a nested list."""
    root: list[_Value] = []
    stack = [root]
    for token in tokens:
        if token == "(":
            group: list[_Value] = []
            stack[-1].append(group)
            stack.append(group)
        elif token == ")":
            if len(stack) == 1:
                raise _bad("unbalanced ')'", tokens)
            stack.pop()
        else:
            assert not isinstance(token, str)
            stack[-1].append(token)
    if len(stack) != 1:
        raise _bad("unbalanced '('", tokens)
    return root


def parse_sequence_set(text: bytes) -> tuple[tuple[int, int], ...]:
    """``1:5,9,12:10`` -> ``((1, 5), (9, 9), (10, 12))``: each range as (low, high).

    RFC 3501 lets a range be written either way round, so ``5:1`` is 1..5; what
    :func:`~tui_mail.backend.imap.protocol.sequence_ranges` refuses is refused here.
    """
    try:
        ranges = sequence_ranges(text)
    except ServerError:
        raise _bad("bad sequence-set", text[:80]) from None
    return tuple((min(first, last), max(first, last)) for first, last in ranges)


def parse_esearch(items: Sequence[Any]) -> ESearchResponse:
    """One ESEARCH response (the text after ``* ESEARCH``) -> :class:`ESearchResponse`.

    ``items`` is the response as imaplib keeps it: plain ``bytes`` lines, with any
    literal as a ``(text ending in {n}, literal bytes)`` pair before the rest of
    its line. Return items other than ``ALL`` (MIN, MAX, COUNT, MODSEQ, ...) are
    checked for form and otherwise ignored: we only ever ask for ALL.
    """
    values = _nest(_tokens(items))
    tag: str | None = None
    index = 0
    correlator = values[0] if values else None
    if isinstance(correlator, list):
        if (
            len(correlator) != 2
            or not isinstance(correlator[0], bytes)
            or correlator[0].upper() != b"TAG"
            or not isinstance(correlator[1], _Str)
        ):
            raise _bad("bad correlator", correlator)
        tag = correlator[1].value.decode("ascii", "replace")
        index += 1
    uid = False
    marker = values[index] if index < len(values) else None
    if isinstance(marker, bytes) and marker.upper() == b"UID":
        uid = True
        index += 1
    ranges: tuple[tuple[int, int], ...] | None = None
    rest = values[index:]
    if len(rest) % 2:
        raise _bad("return item without a value", rest)
    for name, value in zip(rest[::2], rest[1::2], strict=True):
        if not isinstance(name, bytes) or not _LABEL.fullmatch(name):
            raise _bad("bad return item name", name)
        if name.upper() != b"ALL":
            if isinstance(value, _Str):  # tagged-ext-val: a simple value or a list
                raise _bad("bad return item value", (name, value))
            continue
        if ranges is not None:
            raise _bad("ALL given twice", rest)
        if not isinstance(value, bytes):
            raise _bad("ALL without a sequence-set", value)
        ranges = parse_sequence_set(value)
    return ESearchResponse(tag=tag, uid=uid, ranges=ranges or ())


def expand(ranges: Iterable[tuple[int, int]], limit: int = MAX_UIDS) -> list[int]:
    """The sorted, distinct numbers of ``ranges``; ServerError past ``limit`` numbers
    (overlaps counted as sent, before anything is built).

    Overlapping ranges are merged first, so no set of every number is built (100,000
    UIDs as a set would cost about 4 MB more at the peak of a first sync).
    """
    ascending = sorted((min(first, last), max(first, last)) for first, last in ranges)
    check_range_total(ascending, limit)
    merged: list[tuple[int, int]] = []
    for first, last in ascending:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return expand_ranges(merged, limit)


def esearch_uids(responses: Sequence[Sequence[Any]], limit: int = MAX_UIDS) -> list[int]:
    """The UIDs a ``UID SEARCH RETURN (ALL)`` found, from its ESEARCH response(s).

    ``responses`` holds one item list per ``* ESEARCH`` line. The RFC says the
    server always sends one (without ALL when nothing matched), so none at all is
    an error; so is a response without the ``UID`` mark, whose numbers would be
    message sequence numbers, not UIDs.
    """
    if not responses:
        raise ServerError("the server did not answer the search", "no ESEARCH response")
    ranges: list[tuple[int, int]] = []
    for items in responses:
        parsed = parse_esearch(items)
        if not parsed.uid:
            raise _bad("sequence numbers where UIDs were asked for", items)
        ranges.extend(parsed.ranges)
    return expand(ranges, limit)
