"""A parsed :class:`~tui_mail.mail.query.Query` as an SQL condition over the cache.

No I/O. The condition reads ``summaries AS s`` and the FTS5 table ``search``
(tokenizer ``unicode61 remove_diacritics 2``: case- and accent-insensitive).
User text only ever travels as bound parameters; inside an FTS5 expression it
is a double-quoted string built from the words of the text (letters and
digits only), so FTS5 operators typed by the user (``NEAR``, ``*``, ``:``,
``^``) have no effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from tui_mail.mail.query import (
    DateBound,
    Flag,
    Literal,
    Place,
    Query,
    Text,
    words,
)
from tui_mail.models import ANSWERED, FLAGGED

#: FTS5 columns per text key ("" = anywhere).
_COLUMNS = {
    "": "{subject from_text to_text cc_text body}",
    "from": "from_text",
    "to": "to_text",
    "cc": "cc_text",
    "subject": "subject",
    "body": "body",
}
_FLAG_WORDS = {"flagged": FLAGGED, "answered": ANSWERED}


@dataclass(frozen=True)
class SqlCondition:
    """A WHERE fragment and its parameters, in order."""

    sql: str
    params: tuple[object, ...] = ()
    text_driven: bool = False
    """True when the condition starts with a text-index lookup: then the search
    should be driven by the index hits rather than by a scan of the folder."""


def fts_expression(term: Text) -> str:
    """One text term as an FTS5 expression: a column filter and a quoted phrase.

    A bare word matches as a prefix (search as you type: ``mul`` finds
    ``Müller``); a quoted phrase matches whole words in order (its last word
    as a prefix until the closing quote is typed). Only letters
    and digits reach FTS5 (see ``query.words``).
    """
    phrase = " ".join(words(term.value)).replace('"', '""')
    star = "" if term.phrase and not term.open else "*"
    return f'{_COLUMNS[term.field]} : "{phrase}"{star}'


def day_start(day: date, zone: tzinfo | None) -> int:
    """Unix seconds of the day's first moment in ``zone`` (local time when None)."""
    moment = datetime.combine(day, time())
    return int((moment.replace(tzinfo=zone) if zone else moment.astimezone()).timestamp())


class SqlTranslator:
    """Translates queries for one account's cache.

    ``folder_ids`` maps every cached folder name to its row id (``folder:`` is
    resolved against it); ``account`` answers ``account:`` terms; ``today`` and
    ``zone`` anchor dates (``before:2024-03-01`` is before that day's start).
    """

    def __init__(
        self, account: str, folder_ids: Mapping[str, int], today: date, zone: tzinfo | None
    ) -> None:
        self.account = account
        self.folder_ids = folder_ids
        self.today = today
        self.zone = zone

    def _term(self, term: Text | Flag | DateBound | Place) -> SqlCondition:
        if isinstance(term, Text):
            return SqlCondition(
                "s.id IN (SELECT rowid FROM search WHERE search MATCH ?)",
                (fts_expression(term),),
            )
        if isinstance(term, Flag):
            if term.name in ("unread", "read"):
                return SqlCondition(f"s.seen = {int(term.name == 'read')}")
            if term.name == "attachment":
                return SqlCondition("s.has_attachment = 1")
            return SqlCondition(
                "instr(' ' || s.flags || ' ', ?) > 0", (f" {_FLAG_WORDS[term.name]} ",)
            )
        if isinstance(term, DateBound):
            operator = "<" if term.before else ">="
            return SqlCondition(
                f"coalesce(s.date {operator} ?, 0)",
                (day_start(term.resolve(self.today), self.zone),),
            )
        if term.kind == "account":
            return SqlCondition(str(int(term.matches(self.account))))
        ids = [folder_id for name, folder_id in self.folder_ids.items() if term.matches(name)]
        if not ids:
            return SqlCondition("0")
        return SqlCondition(f"s.folder_id IN ({','.join('?' * len(ids))})", tuple(ids))

    def _literal(self, literal: Literal) -> SqlCondition:
        condition = self._term(literal.term)
        if literal.negated:
            return SqlCondition(f"NOT ({condition.sql})", condition.params)
        return condition

    def condition(self, query: Query) -> SqlCondition:
        """The whole query as one condition (``1`` when it is empty).

        Positive single text terms are joined into one FTS5 ``AND`` expression,
        so the common "a few words" query costs one index lookup, not one per word.
        """
        parts: list[SqlCondition] = []
        fts_words: list[str] = []
        for clause in query.clauses:
            if len(clause) == 1 and isinstance(clause[0].term, Text) and not clause[0].negated:
                fts_words.append(fts_expression(clause[0].term))
                continue
            parts.append(_joined([self._literal(literal) for literal in clause], " OR "))
        if fts_words:
            parts.insert(
                0,
                SqlCondition(
                    "s.id IN (SELECT rowid FROM search WHERE search MATCH ?)",
                    (" AND ".join(f"({w})" for w in fts_words),),
                ),
            )
        if not parts:
            return SqlCondition("1")
        joined = _joined(parts, " AND ")
        return SqlCondition(joined.sql, joined.params, text_driven=bool(fts_words))


def _joined(parts: Sequence[SqlCondition], operator: str) -> SqlCondition:
    if len(parts) == 1:
        return parts[0]
    return SqlCondition(
        "(" + operator.join(f"({p.sql})" for p in parts) + ")",
        tuple(param for p in parts for param in p.params),
    )
