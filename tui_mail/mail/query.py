"""The search query language, shared by the local (cache) and the server search.

Pure: text in, a :class:`Query` (or a :class:`QueryError` saying what is wrong)
out; :func:`parse` never raises. The grammar, Gmail-like::

    query   := clause*                  every clause must match (AND)
    clause  := literal ("OR" literal)*  any literal of a clause may match
    literal := ["-"] term               "-" negates
    term    := word | "phrase" | key:value | key:"quoted value"

Keys: ``from: to: cc: subject: body:`` (text in that field), ``has:attachment``,
``is:unread|read|flagged|answered``, ``before:YYYY-MM-DD`` (strictly before the
day), ``after:YYYY-MM-DD`` (on or after the day), ``newer:7d`` / ``older:1y``
(units d, w, m, y), ``folder:NAME``, ``account:NAME``. A ``word:`` whose key is
unknown (``re:``, ``http://x``) is plain text. ``OR`` must be upper case.
Matching is case- and diacritic-insensitive (see :func:`fold`). Relative dates
stay relative here; translators resolve them against "today".
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

TEXT_FIELDS = ("from", "to", "cc", "subject", "body")
"""Keys whose value is text searched in one field ("" stands for any field)."""
FLAG_VALUES = {"is": ("unread", "read", "flagged", "answered"), "has": ("attachment",)}
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_DURATION = re.compile(r"(\d{1,5})([dwmy])")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_KEY = re.compile(r"([A-Za-z]+):")
_WORD_CHARS = re.compile(r"[^\W_]+")
# Control characters (CR/LF included) never reach a value: they become spaces.
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]+")


class SearchScope(enum.StrEnum):
    """Where a search looks: the open folder, or every folder of every account."""

    FOLDER = "folder"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Text:
    """Text to find: in ``field`` (one of :data:`TEXT_FIELDS`) or anywhere (``""``)."""

    value: str
    field: str = ""
    phrase: bool = False
    open: bool = False
    """A phrase whose closing quote is not typed yet: its last word may be a prefix."""


@dataclass(frozen=True, slots=True)
class Flag:
    """A state: ``unread``, ``read``, ``flagged``, ``answered`` or ``attachment``."""

    name: str


@dataclass(frozen=True, slots=True)
class DateBound:
    """``before`` (strictly before ``day``) or after (on or after ``day``).

    ``day`` is None for a relative bound: then ``days_ago`` days before today.
    """

    before: bool
    day: date | None = None
    days_ago: int = 0

    def resolve(self, today: date) -> date:
        """The absolute day of this bound."""
        return self.day if self.day is not None else today - timedelta(days=self.days_ago)


@dataclass(frozen=True, slots=True)
class Place:
    """``folder:NAME`` or ``account:NAME`` (``kind`` is "folder" or "account")."""

    kind: str
    name: str

    def matches(self, name: str) -> bool:
        """Folded equality with the full name, or with a folder's last part."""
        wanted = fold(self.name)
        if fold(name) == wanted:
            return True
        return self.kind == "folder" and fold(re.split(r"[/.]", name)[-1]) == wanted


Term = Text | Flag | DateBound | Place


@dataclass(frozen=True, slots=True)
class Literal:
    """A term, possibly negated."""

    term: Term
    negated: bool = False


Clause = tuple[Literal, ...]
"""Literals joined by OR."""


@dataclass(frozen=True, slots=True)
class Query:
    """Clauses joined by AND; an empty query matches everything."""

    clauses: tuple[Clause, ...] = ()
    text: str = ""

    @property
    def places(self) -> tuple[Place, ...]:
        """Every ``folder:``/``account:`` term (they widen the scope to all folders)."""
        return tuple(
            lit.term for clause in self.clauses for lit in clause if isinstance(lit.term, Place)
        )

    @property
    def is_empty(self) -> bool:
        """True when nothing narrows the search."""
        return not self.clauses


@dataclass(frozen=True, slots=True)
class QueryError:
    """Why a query cannot be parsed, and where (a character offset)."""

    message: str
    position: int = 0

    def __str__(self) -> str:
        return self.message


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form: ``fold("Müller") == fold("MULLER")``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def words(text: str) -> list[str]:
    """The words of ``text`` as the index sees them (letters and digits; no punctuation)."""
    return _WORD_CHARS.findall(text)


def clean_value(text: str) -> str:
    """User text with control characters and runs of space collapsed to one space."""
    return _CONTROL_OR_SPACE.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    quoted: bool = False
    negated: bool = False
    key: str = ""
    closed: bool = True


def _read_value(text: str, index: int) -> tuple[str, int, bool, bool]:
    """A bare word or a quoted phrase at ``index``: (value, end, quoted, closed).

    An unclosed quote runs to the end (the user is still typing the phrase)."""
    if index < len(text) and text[index] == '"':
        end = text.find('"', index + 1)
        if end < 0:
            return text[index + 1 :], len(text), True, False
        return text[index + 1 : end], end + 1, True, True
    end = index
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[index:end], end, False, True


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        start = index
        negated = text[index] == "-" and index + 1 < len(text) and not text[index + 1].isspace()
        if negated:
            index += 1
        key = ""
        match = _KEY.match(text, index)
        if match and match.group(1).lower() in (*TEXT_FIELDS, *_OTHER_KEYS):
            key = match.group(1).lower()
            index = match.end()
        value, index, quoted, closed = _read_value(text, index)
        tokens.append(_Token(value, start, quoted, negated, key, closed))
    return tokens


_OTHER_KEYS = ("is", "has", "before", "after", "newer", "older", "folder", "account")


def _day(value: str) -> date | None:
    match = _ISO_DATE.fullmatch(value)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _term(token: _Token) -> Term | QueryError | None:
    """The term of one token; None when it holds nothing to search for (e.g. ``"..."``)."""
    key, value = token.key, clean_value(token.text)
    if key and not value:
        return QueryError(f"{key}: needs a value", token.start)
    if not key or key in TEXT_FIELDS:
        if not words(value):
            return None
        return Text(value, key, token.quoted, not token.closed)
    if key in FLAG_VALUES:
        if value.lower() not in FLAG_VALUES[key]:
            choices = ", ".join(f"{key}:{v}" for v in FLAG_VALUES[key])
            return QueryError(f"unknown {key}:{value} (try {choices})", token.start)
        return Flag(value.lower())
    if key in ("before", "after"):
        day = _day(value)
        if day is None:
            return QueryError(f"{key}: wants a date like 2024-03-31, not {value!r}", token.start)
        return DateBound(key == "before", day)
    if key in ("newer", "older"):
        match = _DURATION.fullmatch(value.lower())
        if not match:
            return QueryError(f"{key}: wants an age like 7d, 2w, 3m or 1y", token.start)
        days = int(match.group(1)) * _UNIT_DAYS[match.group(2)]
        # "newer than 7 days" is on or after the day 7 days ago; "older" is before it.
        return DateBound(key == "older", None, days)
    return Place(key, value)


def parse(text: str) -> Query | QueryError:
    """Parse a query; a malformed one gives a :class:`QueryError` (this never raises)."""
    clauses: list[list[Literal]] = []
    pending_or: _Token | None = None
    for token in _tokens(text):
        if token.text == "OR" and not (token.quoted or token.key or token.negated):
            if not clauses or pending_or is not None:
                return QueryError("OR needs a term on each side", token.start)
            pending_or = token
            continue
        term = _term(token)
        if isinstance(term, QueryError):
            return term
        if term is None:
            if pending_or is not None:
                return QueryError("OR needs a term on each side", pending_or.start)
            continue
        literal = Literal(term, token.negated)
        if pending_or is not None:
            clauses[-1].append(literal)
            pending_or = None
        else:
            clauses.append([literal])
    if pending_or is not None:
        return QueryError("OR needs a term on each side", pending_or.start)
    return Query(tuple(tuple(clause) for clause in clauses), text)


def specialize(query: Query, decide: Callable[[Term], bool | None]) -> Query | bool:
    """Replace terms ``decide`` can answer (True/False) by constants and simplify.

    Gives ``True`` when the query now matches everything, ``False`` when it can
    match nothing, else the query without the decided terms. Used to bind
    ``folder:``/``account:`` for one folder before a translation.
    """
    kept: list[Clause] = []
    for clause in query.clauses:
        literals: list[Literal] = []
        always = False
        for literal in clause:
            answer = decide(literal.term)
            if answer is None:
                literals.append(literal)
            elif answer != literal.negated:
                always = True
                break
        if always:
            continue
        if not literals:
            return False
        kept.append(tuple(literals))
    return Query(tuple(kept), query.text) if kept else True
