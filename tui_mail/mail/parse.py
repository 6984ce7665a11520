"""bytes -> MessageBody, defensively: limits everywhere, and it never raises.

The path: cap the top header block (:func:`cap_headers`), parse with
``BytesParser(policy=compat32)`` (then ``policy.default``, and our own
depth-limited parser when the stdlib recurses too deep), then walk the tree
(:mod:`tui_mail.mail.structure`, part by part through :mod:`tui_mail.mail.parts`) with limits on depth and part count. Header
values are read raw and decoded by :mod:`tui_mail.mail.headers`, never through
the stdlib's header objects, which raise on crafted input and are slow on
huge address lists.
"""

from __future__ import annotations

import re
from email import policy
from email.message import Message
from email.parser import BytesParser

from tui_mail.errors import NotFound
from tui_mail.mail import headers as hdr
from tui_mail.mail.crypto import GpgRunner
from tui_mail.mail.crypto.reader import PgpReader
from tui_mail.mail.parts import charset_of, decoded_payload, embedded_message_bytes, raw_header
from tui_mail.mail.structure import Walk
from tui_mail.models import Address, MessageBody

MAX_PARTS = 500
MAX_DEPTH = 50
#: Cap on the top header block; structural headers beyond it are still kept.
MAX_HEADER_BYTES = 256 * 1024
#: Cap on one header field (folded lines included).
MAX_HEADER_FIELD = hdr.MAX_HEADER_CHARS
#: Cap on Content-Type and Content-Disposition fields, in every part.
MAX_CONTENT_FIELD = 8 * 1024
#: Most headers listed in ``MessageBody.headers``.
MAX_LISTED_HEADERS = 500
#: More container parts than this and the stdlib parser is skipped (it recurses per level).
_CONTAINER_SCAN_LIMIT = 200
#: Bigger messages skip the stdlib parser too: its line-by-line Python loop takes
#: about 2 s for a 20 MB attachment; our splitter uses C-speed regex searches.
_BIG_MESSAGE = 8 * 1024 * 1024
#: More lines that look like boundaries than this and the stdlib parser is skipped:
#: it builds every part (100,000 parts take 2 s), our splitter stops at ``MAX_PARTS``.
_DELIMITER_SCAN_LIMIT = 5 * MAX_PARTS

_HEADER_BLOCK = re.compile(rb"(?:[!-9;-~]+[ \t]*:[^\n]*(?:\n|\Z)|[ \t][^\n]*(?:\n|\Z))*")
_HEADER_FIELD = re.compile(rb"[!-9;-~]+[ \t]*:[^\n]*(?:\n|\Z)(?:[ \t][^\n]*(?:\n|\Z))*")
_CONTENT_FIELD = re.compile(rb"(?i)content-(?:type|disposition)[ \t]*:")
_CONTENT_FIELD_AFTER_NEWLINE = re.compile(rb"(?i)\ncontent-(?:type|disposition)[ \t]*:")
_FIELD_END = re.compile(rb"\n(?![ \t])")
_STRUCTURAL = re.compile(rb"(?i)(?:content-|mime-version)")
_CONTAINER = re.compile(rb"(?i)content-type:\s*(?:multipart/|message/rfc822)")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def parse_message(
    raw: bytes,
    *,
    max_parts: int = MAX_PARTS,
    max_depth: int = MAX_DEPTH,
    max_header_bytes: int = MAX_HEADER_BYTES,
    gpg: GpgRunner | None = None,
    prefer_html: bool = False,
) -> MessageBody:
    """Parse an RFC 5322 message into a :class:`MessageBody`; never raises.

    Whatever goes wrong (bad encodings, charsets, structure, limits hit) is
    described in ``problems``; if parsing fails outright, the raw text is
    returned as the body with a note. With ``gpg``, signatures are verified and
    encrypted parts decrypted (``security`` says how): call it off the event loop.
    ``prefer_html``: a multipart/alternative shows its HTML part as text, not its
    plain one (the preview's "HTML as text" toggle, for a poor plain part).
    """
    try:
        return _parse(raw, max_parts, max_depth, max_header_bytes, gpg, prefer_html)
    except Exception as exc:  # the promise is "never raises": show what we can
        return _raw_fallback(raw, f"could not parse the message ({type(exc).__name__})")


def attachment_bytes(raw: bytes, index: int, *, max_parts: int = MAX_PARTS,
                     max_depth: int = MAX_DEPTH, gpg: GpgRunner | None = None) -> bytes:
    """Return the decoded content of attachment ``index`` (0-based, as in ``MessageBody``).

    Pass the same ``gpg`` as to :func:`parse_message` (attachments inside an
    encrypted part are only found by decrypting it again). Raises
    ``tui_mail.errors.NotFound`` when there is no such attachment.
    """
    problems: list[str] = []
    message = parse_tree(prepare(raw, MAX_HEADER_BYTES, problems), max_depth, problems)
    if message is None:
        raise NotFound("No such attachment", f"the message could not be parsed (#{index + 1})")
    walk = _walk(raw, max_parts, max_depth, gpg, problems)
    walk.run(message)
    if not 0 <= index < len(walk.attachment_parts):
        raise NotFound("No such attachment", f"attachment #{index + 1}")
    part = walk.attachment_parts[index]
    if walk.attachments[index].content_type == "message/rfc822":
        return embedded_message_bytes(part)
    return decoded_payload(part)[0]


def prepare(raw: bytes, max_header_bytes: int, problems: list[str]) -> bytes:
    """Every cut made before the stdlib parser sees ``raw`` (shared by both entry points)."""
    return cap_headers(cap_content_fields(raw, problems), max_header_bytes, problems)


def cap_content_fields(raw: bytes, problems: list[str]) -> bytes:
    """Cut every ``Content-Type``/``Content-Disposition`` field, in any part, to 8 KB.

    The stdlib's parameter splitting is quadratic in the number of ``;`` and
    runs inside the parser for every multipart boundary (measured: 0.17 s per
    read of a 64 KB field); real fields are well under 2 KB.
    """
    pieces: list[bytes] = []
    last = cut = 0
    starts = [0] if _CONTENT_FIELD.match(raw) else []
    # A literal "\n" prefix keeps this search at C speed (about 20 ms for 28 MB).
    starts += (found.start() + 1 for found in _CONTENT_FIELD_AFTER_NEWLINE.finditer(raw))
    for start in starts:
        if start < last:
            continue
        end_match = _FIELD_END.search(raw, start)
        end = end_match.start() + 1 if end_match else len(raw)
        if end - start <= MAX_CONTENT_FIELD:
            continue
        pieces += [raw[last : start + MAX_CONTENT_FIELD].rstrip(b"\r\n"), b"\r\n"]
        last = end
        cut += 1
    if not cut:
        return raw
    problems.append(f"{cut} oversized Content-Type/Disposition field(s) cut to {MAX_CONTENT_FIELD // 1024} KB")
    return b"".join(pieces) + raw[last:]


def cap_headers(raw: bytes, max_header_bytes: int, problems: list[str]) -> bytes:
    """Cut oversized header fields and header blocks before the stdlib sees them.

    Each field is cut to ``MAX_HEADER_FIELD`` bytes; once the block passes
    ``max_header_bytes``, only ``Content-*`` and ``MIME-Version`` fields are
    kept, so the structure still parses. Each cut is noted in ``problems``.
    """
    block = _HEADER_BLOCK.match(raw)
    end = block.end() if block else 0
    if end <= max_header_bytes and raw.count(b"\n", 0, end) < 10_000 and all(
        len(field.group(0)) <= MAX_HEADER_FIELD for field in _HEADER_FIELD.finditer(raw, 0, end)
    ):
        return raw
    kept: list[bytes] = []
    total = cut_fields = dropped = 0
    for field in _HEADER_FIELD.finditer(raw, 0, end):
        data = field.group(0)
        if len(data) > MAX_HEADER_FIELD:
            data = data[:MAX_HEADER_FIELD].rstrip(b"\r\n") + b"\n"
            cut_fields += 1
        if total + len(data) > max_header_bytes and not _STRUCTURAL.match(data):
            dropped += 1
            continue
        kept.append(data)
        total += len(data)
    if cut_fields:
        problems.append(f"{cut_fields} oversized header field(s) cut to {MAX_HEADER_FIELD // 1024} KB")
    if dropped:
        problems.append(f"{dropped} header field(s) beyond {max_header_bytes // 1024} KB dropped")
    return b"".join(kept) + raw[end:]


def parse_tree(data: bytes, max_depth: int, problems: list[str]) -> Message | None:
    """Parse bytes into a message tree: stdlib default policy, then compat32, then shallow."""
    if len(data) > _BIG_MESSAGE or data.count(b"\n--") > _DELIMITER_SCAN_LIMIT:
        return shallow_parse(data, 0, max_depth, problems)
    if _count_containers(data) > _CONTAINER_SCAN_LIMIT:
        problems.append("deeply nested or very many parts: parsed with a limited parser")
        return shallow_parse(data, 0, max_depth, problems)
    # compat32 first, on purpose: under policy.default the parser reads every part's
    # Content-Type through the header registry, whose defect bookkeeping is quadratic
    # (measured: a 60 KB Content-Type of ";" takes 80 s, compat32 1 ms). This module
    # never uses header objects, so policy.default adds nothing but that risk.
    for parse_policy in (policy.compat32, policy.default):
        try:
            return BytesParser(policy=parse_policy).parsebytes(data)
        except RecursionError:
            problems.append("structure nested too deeply: parsed with a limited parser")
            return shallow_parse(data, 0, max_depth, problems)
        except Exception as exc:
            problems.append(f"parser error ({type(exc).__name__}); trying a simpler parser")
    return None


def shallow_parse(data: bytes, depth: int, max_depth: int, problems: list[str]) -> Message:
    """Parse ``data`` one level at a time, splitting multiparts ourselves, down to ``max_depth``.

    Only header blocks go through the stdlib parser; bodies are cut out with
    regex searches, so time is linear in size times depth (at most ``max_depth``).
    """
    block = _HEADER_BLOCK.match(data)
    head_end = block.end() if block else 0
    blank = re.compile(rb"\r?\n").match(data, head_end)
    body_start = blank.end() if blank else head_end
    message = BytesParser(policy=policy.compat32).parsebytes(data[:head_end], headersonly=True)
    body = data[body_start:]
    message.set_payload(body.decode("ascii", "surrogateescape"))
    content_type = (raw_header(message, "content-type") or "").lower()
    is_multipart = content_type.lstrip().startswith("multipart/")
    is_embedded = content_type.lstrip().startswith("message/rfc822")
    if not (is_multipart or is_embedded):
        return message
    if depth >= max_depth:
        problems.append(f"parts nested deeper than {max_depth} levels are not shown")
        message.set_payload("")
        return message
    if is_embedded:
        message.set_payload([shallow_parse(body, depth + 1, max_depth, problems)])
        return message
    boundary = _boundary(raw_header(message, "content-type") or "")
    if boundary:
        chunks = _split_multipart(body, boundary)
        message.set_payload([shallow_parse(c, depth + 1, max_depth, problems) for c in chunks])
    return message


def _boundary(content_type: str) -> str:
    match = re.search(r'(?i)boundary\s*=\s*(?:"([^"]*)"|([^\s;]+))', content_type)
    return (match.group(1) or match.group(2)) if match else ""


def _split_multipart(body: bytes, boundary: str) -> list[bytes]:
    """The parts between ``--boundary`` lines, up to the closing ``--boundary--``.

    Uses ``bytes.find`` (C speed) for the delimiter and checks that each hit
    starts a line and ends it, as RFC 2046 requires.
    """
    delimiter = b"--" + boundary.encode("utf-8", "surrogateescape")
    chunks: list[bytes] = []
    start: int | None = None
    pos = body.find(delimiter)
    while pos >= 0:
        after = pos + len(delimiter)
        closing = body.startswith(b"--", after)
        line_end = body.find(b"\n", after)
        line_end = len(body) if line_end < 0 else line_end + 1
        at_line_start = pos == 0 or body[pos - 1 : pos] == b"\n"
        rest_of_line = body[after + (2 if closing else 0) : line_end].strip(b" \t\r\n")
        if at_line_start and not rest_of_line:
            if start is not None:
                chunks.append(body[start:pos].removesuffix(b"\n").removesuffix(b"\r"))
            if closing or len(chunks) >= MAX_PARTS:
                return chunks
            start = line_end
        pos = body.find(delimiter, after)
    if start is not None:
        chunks.append(body[start:])
    return chunks


def _count_containers(data: bytes) -> int:
    count = 0
    for _ in _CONTAINER.finditer(data):
        count += 1
        if count > _CONTAINER_SCAN_LIMIT:
            break
    return count


def _walk(raw: bytes, max_parts: int, max_depth: int, gpg: GpgRunner | None,
          problems: list[str], prefer_html: bool = False) -> Walk:
    """A walk over ``raw``; with ``gpg`` it opens PGP parts, parsing what they hold the same way."""
    def parse_entity(data: bytes) -> Message | None:
        return parse_tree(prepare(data, MAX_HEADER_BYTES, problems), max_depth, problems)

    crypto = PgpReader(gpg) if gpg is not None else None
    return Walk(max_parts=max_parts, max_depth=max_depth, crypto=crypto, raw=raw,
                parse_entity=parse_entity, prefer_html=prefer_html)


def _parse(raw: bytes, max_parts: int, max_depth: int, max_header_bytes: int,
           gpg: GpgRunner | None = None, prefer_html: bool = False) -> MessageBody:
    problems: list[str] = []
    if raw.startswith(_OLE_MAGIC):
        return MessageBody(
            problems=("this is an Outlook .msg file, not an RFC 5322 message",), size=len(raw)
        )
    message = parse_tree(prepare(raw, max_header_bytes, problems), max_depth, problems)
    if message is None:
        return _raw_fallback(raw, "; ".join(problems) or "could not parse the message")
    walk = _walk(raw, max_parts, max_depth, gpg, problems, prefer_html)
    walk.run(message)
    problems.extend(walk.problems)
    return _envelope(message, walk, problems, len(raw))


def _envelope(message: Message, walk: Walk, problems: list[str], size: int) -> MessageBody:
    """Fill the header fields of the MessageBody from the top-level message."""
    fields: list[tuple[str, str]] = []
    first: dict[str, str] = {}
    hint = charset_of(message)
    for name, value in list(message.raw_items())[:MAX_LISTED_HEADERS]:
        key = name.lower()
        first.setdefault(key, value)
        fields.append((name, hdr.decode_words(value, hint=hint)))

    def addresses(key: str) -> tuple[Address, ...]:
        found, dropped = hdr.parse_addresses(first.get(key, ""), hint=hint)
        if dropped:
            problems.append(f"{key}: only the first {hdr.MAX_ADDRESSES} addresses kept")
        return found

    date_text = hdr.raw_header_text(first.get("date", ""), 256).strip()
    date = hdr.parse_date(date_text)
    if date_text and date is None:
        problems.append(f"unreadable date: {date_text[:80]}")
    return MessageBody(
        headers=tuple(fields),
        subject=hdr.decode_words(first.get("subject", ""), hint=hint),
        from_=addresses("from"),
        to=addresses("to"),
        cc=addresses("cc"),
        reply_to=addresses("reply-to"),
        date=date,
        date_text=date_text,
        message_id=hdr.one_line(hdr.raw_header_text(first.get("message-id", ""), 1000)),
        in_reply_to=" ".join(hdr.message_ids(first.get("in-reply-to", ""))),
        references=hdr.message_ids(first.get("references", "")),
        text=walk.text(),
        from_html=walk.from_html,
        html=walk.html,
        attachments=tuple(walk.attachments),
        links=tuple(walk.links),
        problems=tuple(dict.fromkeys(problems)),
        size=size,
        security=tuple(walk.security),
    )


def _raw_fallback(raw: bytes, problem: str) -> MessageBody:
    """The last resort: the raw bytes as text, with a note."""
    text = raw[: 1024 * 1024].decode("utf-8", "replace")
    return MessageBody(text=text, problems=(problem,), size=len(raw))
