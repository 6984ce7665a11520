"""A parsed :class:`~tui_mail.mail.query.Query` as IMAP SEARCH criteria (RFC 3501 6.4.4).

Pure. The result is the criteria tuple of ``api.ServerSearch``: key atoms and
the user's text as plain ``str`` values, which ``backend/imap/search_args.py`` sends as
quoted strings or literals (so CR/LF in them could never end the command line;
``query.clean_value`` has already turned control characters into spaces).

Semantics kept close to the local search: a free word looks in the same fields
the local index holds (subject, from, to, cc, body), not in every header as
``TEXT`` would; dates use the Date header (``SENTBEFORE``/``SENTSINCE``), as
the cache does. ``has:attachment`` has no IMAP key: it becomes "Content-Type
is multipart/mixed", which is close but not exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from tui_mail.mail.query import DateBound, Flag, Literal, Place, Query, Term, Text, specialize

_FIELD_KEYS = {"from": "FROM", "to": "TO", "cc": "CC", "subject": "SUBJECT", "body": "BODY"}
#: Where a free word is looked for: the fields of the local index.
_ANY_FIELD = ("SUBJECT", "FROM", "TO", "CC", "BODY")
_FLAG_KEYS = {"unread": "UNSEEN", "read": "SEEN", "flagged": "FLAGGED", "answered": "ANSWERED"}


def _any_of(keys: Sequence[list[Any]]) -> list[Any]:
    """``OR k1 OR k2 k3``: each ``k`` is one search-key, so the prefix form needs no parens."""
    result: list[Any] = []
    for key in keys[:-1]:
        result += ["OR", *key]
    return result + keys[-1]


def _term_key(term: Term, today: date) -> list[Any]:
    """One search-key (possibly several atoms) for a term."""
    if isinstance(term, Text):
        if term.field:
            return [_FIELD_KEYS[term.field], term.value]
        return _any_of([[key, term.value] for key in _ANY_FIELD])
    if isinstance(term, Flag):
        if term.name == "attachment":
            return ["HEADER", "Content-Type", "multipart/mixed"]
        return [_FLAG_KEYS[term.name]]
    if isinstance(term, DateBound):
        return ["SENTBEFORE" if term.before else "SENTSINCE", term.resolve(today)]
    raise ValueError(f"bind folder:/account: before translating: {term!r}")


def _literal_key(literal: Literal, today: date) -> list[Any]:
    key = _term_key(literal.term, today)
    if len(key) > 2 and key[0] == "OR":
        key = [tuple(key)]  # a parenthesised group keeps NOT and OR binding to all of it
    return ["NOT", *key] if literal.negated else key


def imap_criteria(query: Query, today: date) -> tuple[Any, ...]:
    """Criteria for a query with no ``folder:``/``account:`` terms (``("ALL",)`` if empty)."""
    criteria: list[Any] = []
    for clause in query.clauses:
        criteria += _any_of([_literal_key(literal, today) for literal in clause])
    return tuple(criteria) or ("ALL",)


def server_criteria(query: Query, account: str, folder: str, today: date) -> tuple[Any, ...] | None:
    """Criteria to search ``folder`` of ``account``; None when the query excludes that folder."""

    def decide(term: Term) -> bool | None:
        if isinstance(term, Place):
            return term.matches(account if term.kind == "account" else folder)
        return None

    bound = specialize(query, decide)
    if bound is False:
        return None
    if bound is True:
        return ("ALL",)
    return imap_criteria(bound, today)
