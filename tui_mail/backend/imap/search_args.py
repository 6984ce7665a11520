"""UID SEARCH criteria -> command arguments where user text can never break the line.

imapclient's own criteria handling quotes a value only when it holds a space,
quote or backslash, and then sends CR/LF inside the quotes as they are: a
search for ``"x\\r\\nA1 DELETE INBOX"`` would reach the server as a second
command. Here every value is either a plain quoted string (printable ASCII
with no quote or backslash) or an IMAP literal (``{n}`` + bytes, sent by
imapclient as a literal: see :func:`transport.literal`), so CR/LF in user text
is data, never a line end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from imapclient.datetime_util import format_criteria_date

from tui_mail.backend.imap.transport import is_literal, literal
from tui_mail.errors import ServerError

#: Search keys that take no argument (NOT and OR prefix the keys that follow).
NO_ARG_KEYS = frozenset(
    "ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN UNANSWERED UNDELETED "
    "UNDRAFT UNFLAGGED UNSEEN NOT OR".split()
)
TEXT_KEYS = frozenset("BCC BODY CC FROM SUBJECT TEXT TO".split())
DATE_KEYS = frozenset("BEFORE ON SINCE SENTBEFORE SENTON SENTSINCE".split())
NUMBER_KEYS = frozenset(("LARGER", "SMALLER"))
ATOM_KEYS = frozenset(("KEYWORD", "UNKEYWORD"))

_SAFE_QUOTED = re.compile(r"[\x20-\x7e]*")
_ATOM = re.compile(r"[!#$&'+\-.0-9:;<=>?@A-Z\[^_`a-z|}~]+")
_UID_SET = re.compile(r"[0-9*]+(:[0-9*]+)?(,[0-9*]+(:[0-9*]+)?)*")
_DATE_TEXT = re.compile(r"\d{1,2}-[A-Za-z]{3}-\d{4}")


def encode_text(value: str) -> bytes:
    """A user string as a quoted string when that is safe, else as a literal."""
    value = value.replace("\x00", "")  # NUL is never valid in IMAP strings or literals
    if _SAFE_QUOTED.fullmatch(value) and '"' not in value and "\\" not in value:
        return b'"' + value.encode("ascii") + b'"'
    return literal(value.encode("utf-8"))


def is_atom(value: str) -> bool:
    """True for a string usable as an IMAP atom (flag keyword, header name)."""
    return bool(_ATOM.fullmatch(value))


def _date_arg(value: Any) -> bytes:
    if isinstance(value, (datetime, date)):
        formatted: bytes = format_criteria_date(value)  # untyped in imapclient
        return formatted
    if isinstance(value, str) and _DATE_TEXT.fullmatch(value):
        return value.encode("ascii")
    raise ServerError("bad search date", repr(value))


def _one_arg(key: str, value: Any) -> bytes:
    if key in TEXT_KEYS:
        return encode_text(str(value))
    if key in DATE_KEYS:
        return _date_arg(value)
    if key in NUMBER_KEYS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ServerError("bad search size", repr(value))
        return str(value).encode("ascii")
    if key in ATOM_KEYS:
        if not isinstance(value, str) or not is_atom(value):
            raise ServerError("bad keyword in search", repr(value))
        return value.encode("ascii")
    # UID
    text = ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    if not _UID_SET.fullmatch(text):
        raise ServerError("bad UID set in search", repr(value))
    return text.encode("ascii")


def build_search_args(criteria: Sequence[Any]) -> list[bytes]:
    """Criteria like ``("FROM", "bob", "SINCE", date(2024, 1, 1))`` -> argument list.

    Nested tuples/lists become parenthesised groups. Unknown keys raise
    ``ServerError`` before anything is sent.
    """
    args: list[bytes] = []
    items = list(criteria)
    if not items:
        raise ServerError("empty search")
    index = 0
    while index < len(items):
        item = items[index]
        index += 1
        if isinstance(item, (list, tuple)):
            args.extend(_group(item))
            continue
        key = str(item).upper()
        if key in NO_ARG_KEYS:
            args.append(key.encode("ascii"))
            continue
        if key not in TEXT_KEYS | DATE_KEYS | NUMBER_KEYS | ATOM_KEYS | {"UID", "HEADER"}:
            raise ServerError("unknown search key", repr(item)[:80])
        wanted = 2 if key == "HEADER" else 1
        if index + wanted > len(items):
            raise ServerError("search key without its value", key)
        args.append(key.encode("ascii"))
        if key == "HEADER":
            field_name = str(items[index])
            if not is_atom(field_name):
                raise ServerError("bad header name in search", repr(field_name)[:80])
            args.append(field_name.encode("ascii"))
            args.append(encode_text(str(items[index + 1])))
        else:
            args.append(_one_arg(key, items[index]))
        index += wanted
    return args


def _group(criteria: Sequence[Any]) -> list[bytes]:
    """A parenthesised group. imapclient sends arguments space-separated and a
    literal as its own token, so the parens are glued to atoms: a group ending in
    a literal gets a no-op ``ALL`` to carry the ")"."""
    inner = build_search_args(criteria)
    if is_literal(inner[-1]):
        inner.append(b"ALL")
    inner[0] = b"(" + inner[0]  # always a key atom or a nested "(" group
    inner[-1] = inner[-1] + b")"
    return inner


def needs_utf8(args: Sequence[bytes]) -> bool:
    """True when some literal holds non-ASCII text (the SEARCH needs CHARSET UTF-8)."""
    return any(is_literal(a) and any(b > 127 for b in a) for a in args)
