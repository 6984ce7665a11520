"""A fast reader of FETCH responses into the atoms imapclient's parser makes.

imapclient reads a response byte by byte through generators (``response_lexer``):
at 20,000 envelopes that is about 80 % of a first sync's CPU. :func:`read_atoms`
turns the records imaplib hands over (``bytes`` lines, or ``(line ending in
{n}, literal)`` pairs) into the same top-level atoms (``tuple`` for a list,
``None`` for NIL, ``int`` for a number without a leading zero, ``bytes``
otherwise), with one regular expression per record.

It covers what well-formed FETCH answers contain and nothing else: anything it
does not read exactly as imapclient would (a lone control character or ``%``,
a quote inside an atom, an unbalanced parenthesis, a literal marker that is not
the last token of its record or that lies about its size...) raises
:class:`Unread`, and the caller hands the whole answer to imapclient's parser,
so the result (or the error) is always imapclient's. ``tests/unit/test_fetch_atoms.py``
and ``tests/integration/test_fetch_parse_corpora.py`` compare the two.
"""

from __future__ import annotations

import re
from typing import Any

#: One token after optional whitespace (imapclient's is space, tab, CR, LF), told
#: apart by its first byte: an atom (bytes other than controls, space and
#: ``()%"[``, or a ``[...]`` section read to its first ``]`` as a whole; not
#: starting with ``{`` and not followed by a quote, which imapclient refuses); a
#: quoted string; "(" or ")"; a literal's ``{n}`` marker ending its record; or,
#: before any other byte (``%``, a control, an unclosed quote or section, a
#: misplaced marker...), the empty token: not ours.
_TOKEN = re.compile(
    rb"[ \t\r\n]*+("
    rb'(?!\{)(?:[^\x00-\x20()%"\[]++|\[[^\]]*+\])++(?!")'
    rb'|"(?:[^"\\]++|\\.)*+"'
    rb"|[()]|\{[0-9]+\}\Z|(?=[^ \t\r\n]))",
    re.DOTALL,
)
#: imapclient keeps a backslash unless it escapes a backslash or a quote.
_ESCAPE = re.compile(rb'\\([\\"])')


class Unread(Exception):
    """The answer holds something this reader leaves to imapclient's parser."""


def read_atoms(records: list[Any]) -> list[Any]:
    """The top-level atoms of ``records`` (imaplib's FETCH data); raises :class:`Unread`."""
    out: list[Any] = []
    stack: list[list[Any]] = []
    current = out
    findall = _TOKEN.findall
    for record in records:
        if isinstance(record, tuple):
            if len(record) != 2 or not isinstance(record[0], bytes):
                raise Unread("odd record")
            text, literal = record
        elif isinstance(record, bytes):
            text, literal = record, None
        else:
            raise Unread("odd record")
        # Nothing is skipped but trailing whitespace: before any other byte a token
        # (maybe the empty one) matches.
        for token in findall(text):
            if not token:
                raise Unread("a token imapclient reads its own way")
            first = token[0]
            if first == 0x22:  # "
                quoted = token[1:-1]
                current.append(_ESCAPE.sub(rb"\1", quoted) if b"\\" in quoted else quoted)
            elif first == 0x28:  # (
                stack.append(current)
                current = []
            elif first == 0x29:  # )
                if not stack:
                    raise Unread("unbalanced )")
                done = tuple(current)
                current = stack.pop()
                current.append(done)
            elif first == 0x7B:  # {n} ending the record
                if literal is None or len(literal) != int(token[1:-1]):
                    raise Unread("a literal this reader does not take")
                current.append(literal)
                literal = None
            elif token == b"NIL":
                current.append(None)
            elif token.isdigit() and (first != 0x30 or len(token) == 1):  # no leading 0
                current.append(int(token))
            else:
                current.append(token)
        if literal is not None:
            raise Unread("a literal no marker took")
    if stack:
        raise Unread("unclosed (")
    return out
