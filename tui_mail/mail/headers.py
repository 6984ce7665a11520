"""Bounded, never-raising decoding of header values and byte payloads.

The stdlib's header objects (``policy.default``) raise on crafted input
(IndexError on bad RFC 2231 parameters, AttributeError on empty groups) and
take tens of seconds on huge address lists, so ``mail.parse`` reads raw header
strings and decodes them here: every input is capped first and every stdlib
call is guarded, with a simple fallback of our own. Results are decoded but
not sanitised for the terminal (that is ``mail.sanitize``'s job).
"""

from __future__ import annotations

import codecs
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime

from tui_mail.models import Address

#: Longest header value decoded (characters); longer ones are cut first.
MAX_HEADER_CHARS = 64 * 1024
#: Most addresses kept from one header.
MAX_ADDRESSES = 1000
#: Most Message-IDs kept from References.
MAX_REFERENCES = 200

#: Codecs that are not charsets, or are quadratic on hostile input.
_REFUSED_CODECS = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape"})

#: Labels mail software uses for a wider charset than they name (as browsers do, WHATWG).
_SUPERSETS = {
    "gb2312": "gbk", "euc-cn": "gbk", "iso-8859-1": "cp1252", "latin-1": "cp1252",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "tis-620": "cp874", "iso-8859-11": "cp874",
    "iso-8859-9": "cp1254", "shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
}

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAK = re.compile(r"\r?\n|\r")
_COMMENT = re.compile(r"\([^()]*\)")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,998}>")
_ANGLE_ADDR = re.compile(r"<([^<>]*)>")
_PLAIN_ADDR = re.compile(r"[^\s<>(),;:\"]+@[^\s<>(),;:\"]+")


def lookup_charset(label: str | None) -> str | None:
    """Return the Python codec name for a MIME charset label, or None if unusable."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if not label or len(label) > 64:
        return None
    label = _SUPERSETS.get(label, label)
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):
        return None
    if name in _REFUSED_CODECS:
        return None
    try:
        b"".decode(name)  # rejects non-text codecs such as base64 or zlib
    except LookupError:
        return None
    return name


def decode_bytes(data: bytes, label: str | None = None) -> tuple[str, str]:
    """Decode ``data`` as text that claims charset ``label``; never raises.

    Tries the label, then UTF-8, then Windows-1252 strictly (lying labels are
    common: "us-ascii" text full of UTF-8), and last the label (or UTF-8)
    with replacement characters. Returns the text and a problem note ("" when
    the label worked).
    """
    codec = lookup_charset(label)
    candidates = [c for c in (codec, "utf-8", "cp1252") if c]
    for candidate in dict.fromkeys(candidates):
        try:
            text = data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        if candidate == codec or (codec is None and not label):
            return text, ""
        return text, f"charset {label or 'unknown'!r} did not fit; shown as {candidate}"
    return data.decode(codec or "utf-8", "replace"), f"charset {label!r}: undecodable bytes replaced"


def raw_header_text(raw: str, limit: int = MAX_HEADER_CHARS, hint: str | None = None) -> str:
    """Unfold a raw header value and turn raw 8-bit bytes (surrogates) into text.

    Raw 8-bit headers are tried as UTF-8, then as ``hint`` (the message's
    body charset, usually what the sender's software used), then Windows-1252.
    """
    raw = _FOLD.sub("", raw[:limit])
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        data = raw.encode("utf-8", "surrogateescape")
        try:
            raw = data.decode("utf-8")
        except UnicodeDecodeError:
            raw = decode_bytes(data, hint)[0]
    return raw


def decode_words(raw: str, limit: int = MAX_HEADER_CHARS, hint: str | None = None) -> str:
    """Decode a raw header value: unfold, RFC 2047 encoded-words, 8-bit bytes.

    Encoded-words with unknown charsets decode with replacement characters;
    anything the stdlib chokes on falls back to the undecoded text. Line
    breaks (also those produced by encoded-words) are kept; ``clean_line``
    turns them into spaces for display.
    """
    text = raw_header_text(raw, limit, hint)
    if "=?" not in text:
        return text
    try:
        parts = decode_header(text)
    except Exception:
        return text
    try:
        return str(make_header(parts))
    except Exception:
        pieces = []
        for chunk, charset in parts:
            if isinstance(chunk, bytes):
                chunk = decode_bytes(chunk, charset)[0]
            pieces.append(chunk)
        return "".join(pieces)


def parse_addresses(
    raw: str, limit: int = MAX_ADDRESSES, hint: str | None = None
) -> tuple[tuple[Address, ...], bool]:
    """Parse an address-list header value into at most ``limit`` addresses.

    Returns the addresses and whether some were dropped. Groups such as
    ``undisclosed-recipients:;`` yield their members (none). The stdlib
    parser recurses on crafted input; then a simple comma split is used.
    """
    text = raw_header_text(raw, hint=hint)
    try:
        pairs = getaddresses([text])
    except Exception:
        pairs = _split_addresses(text)
    addresses = []
    for name, email in pairs:
        if not email and not name:
            continue
        addresses.append(Address(name=decode_words(name, 2048), email=decode_words(email, 2048)))
    return tuple(addresses[:limit]), len(addresses) > limit


def _split_addresses(text: str) -> list[tuple[str, str]]:
    """A crude, linear address splitter for input the stdlib parser cannot take."""
    pairs = []
    for item in text.split(","):
        angle = _ANGLE_ADDR.search(item)
        if angle:
            name = item[: angle.start()].strip().strip('"').strip()
            pairs.append((name, angle.group(1).strip()))
            continue
        plain = _PLAIN_ADDR.search(item)
        if plain:
            pairs.append(("", plain.group(0)))
    return pairs


def parse_date(raw: str) -> datetime | None:
    """Parse an RFC 5322 date; None for garbage or out-of-range values.

    A date without a zone (``-0000``) is taken as UTC, so every result is
    timezone-aware and comparable.
    """
    text = raw_header_text(raw, 256).strip()
    for _ in range(4):  # comments, innermost first: "1 Jul 2003 ((tricky) comment) 10:52"
        text = _COMMENT.sub(" ", text)
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except Exception:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def message_ids(raw: str) -> tuple[str, ...]:
    """The ``<id>`` tokens of a References/In-Reply-To value (at most 200)."""
    return tuple(_MESSAGE_ID.findall(raw_header_text(raw)))[-MAX_REFERENCES:]


def one_line(text: str) -> str:
    """Join a decoded value's lines with spaces (for Message-ID and the like)."""
    return _LINE_BREAK.sub(" ", text).strip()
