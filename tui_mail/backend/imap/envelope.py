"""IMAP FETCH data -> ``MessageSummary``, defensively.

Envelope fields come straight from the network: raw 8-bit bytes, RFC 2047
encoded-words with unknown charsets, broken groups. Nothing here raises; a
field that cannot be decoded becomes the best text we can make of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from email.header import decode_header
from typing import Any

from tui_mail.models import Address, MessageSummary

#: Cap on the References we keep per message (threading needs only the recent ones).
MAX_REFERENCES = 100
MAX_FIELD_CHARS = 2000
_MESSAGE_ID = re.compile(rb"<[^<>\s]{1,500}>")
_WHITESPACE = re.compile(r"\s+")


def _bytes_to_text(value: bytes) -> str:
    # RFC 6532 allows raw UTF-8 in headers; anything else is most likely Latin-1.
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _decode_part(chunk: bytes | str, charset: str | None) -> str:
    if isinstance(chunk, str):
        return chunk
    try:
        return chunk.decode(charset or "ascii", errors="replace")
    except LookupError:  # unknown charset name
        return chunk.decode("utf-8", errors="replace")


def decode_text(value: bytes | str | None) -> str:
    """A header value as one line of text: encoded-words decoded, folding removed."""
    if value is None:
        return ""
    if not isinstance(value, bytes | str):  # imapclient turns a numeric atom into an int
        value = str(value)
    text = value if isinstance(value, str) else _bytes_to_text(value)
    text = text[:MAX_FIELD_CHARS]
    if "=?" in text:
        try:
            text = "".join(_decode_part(chunk, charset) for chunk, charset in decode_header(text))
        except Exception:  # noqa: S110 - email.header raises many types on crafted input
            pass
    return _WHITESPACE.sub(" ", text).strip()


def decode_addresses(addresses: Iterable[Any] | None) -> tuple[Address, ...]:
    """Envelope address structures -> ``Address`` tuples (group markers dropped)."""
    found: list[Address] = []
    for item in addresses or ():
        try:
            mailbox, host = item.mailbox, item.host
            if host is None:  # RFC 3501 group start (mailbox = group name) or end marker
                continue
            email = f"{decode_text(mailbox)}@{decode_text(host)}"
            found.append(Address(name=decode_text(item.name), email=email))
        except Exception:
            continue
    return tuple(found)


def parse_references(header_block: bytes | None) -> tuple[str, ...]:
    """Message-IDs from a ``References:`` header block (the newest ``MAX_REFERENCES``)."""
    if not header_block or not isinstance(header_block, bytes):
        return ()
    ids = [_bytes_to_text(m) for m in _MESSAGE_ID.findall(header_block)]
    return tuple(ids[-MAX_REFERENCES:])


def _first_message_id(value: bytes | str | None) -> str:
    if not value:
        return ""
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
    match = _MESSAGE_ID.search(raw)
    return _bytes_to_text(match.group()) if match else decode_text(raw)[:500]


def has_attachment(structure: Any, depth: int = 0) -> bool:
    """True when a BODYSTRUCTURE holds a part meant to be saved (never raises)."""
    try:
        if structure is None or depth > 30:
            return False
        if isinstance(structure[0], list):  # multipart: children first
            return any(has_attachment(part, depth + 1) for part in structure[0])
        main_type = structure[0].lower() if isinstance(structure[0], bytes) else b""
        for extra in structure[7:]:
            if (
                isinstance(extra, tuple)
                and extra
                and isinstance(extra[0], bytes)
                and extra[0].lower() == b"attachment"
            ):
                return True
        if main_type == b"message":
            return True
        params = structure[2] if isinstance(structure[2], tuple) else ()
        names = {p.lower() for p in params[::2] if isinstance(p, bytes)}
        return main_type not in (b"text", b"multipart") and b"name" in names
    except Exception:
        return False


def _fetch_item(data: Mapping[bytes, Any], prefix: bytes) -> Any:
    for key, value in data.items():
        if isinstance(key, bytes) and key.upper().startswith(prefix):
            return value
    return None


def decode_flags(flags: Iterable[Any] | None) -> frozenset[str]:
    """IMAP flag atoms (bytes) -> ``frozenset[str]``, without the per-session ``\\Recent``."""
    if isinstance(flags, bytes):  # a broken server's bare atom instead of a list
        flags = (flags,)
    elif not isinstance(flags, tuple | list | set | frozenset):
        flags = ()
    decoded = {f.decode("ascii", "replace") if isinstance(f, bytes) else str(f) for f in flags}
    decoded.discard("\\Recent")
    return frozenset(decoded)


def summary_from_fetch(
    account: str, folder: str, uid: int, data: Mapping[bytes, Any], uidvalidity: int
) -> MessageSummary:
    """Build the list row for one FETCH response (ENVELOPE, FLAGS, sizes...)."""
    envelope = data.get(b"ENVELOPE")
    date: datetime | None = None
    subject = message_id = in_reply_to = ""
    from_: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    if envelope is not None:
        date = envelope.date if isinstance(envelope.date, datetime) else None
        subject = decode_text(envelope.subject)
        from_ = decode_addresses(envelope.from_)
        to = decode_addresses(envelope.to)
        cc = decode_addresses(envelope.cc)
        message_id = _first_message_id(envelope.message_id)
        in_reply_to = _first_message_id(envelope.in_reply_to)
    if date is None and isinstance(data.get(b"INTERNALDATE"), datetime):
        date = data[b"INTERNALDATE"]
    size = data.get(b"RFC822.SIZE")
    return MessageSummary(
        account=account,
        folder=folder,
        uid=uid,
        flags=decode_flags(data.get(b"FLAGS")),
        date=date,
        from_=from_,
        to=to,
        cc=cc,
        subject=subject,
        size=size if isinstance(size, int) else 0,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=parse_references(_fetch_item(data, b"BODY[HEADER.FIELDS")),
        has_attachment=has_attachment(data.get(b"BODYSTRUCTURE")),
        uidvalidity=uidvalidity,
    )
