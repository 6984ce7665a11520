"""One MIME part at a time: raw headers, content type, parameters, payload bytes.

Every accessor here reads the raw strings the parser stored and never goes
through the stdlib's header objects (they raise on crafted values) or
``get_payload()`` (it re-decodes 8-bit text with whatever charset the sender
names). None of them raises on bad input; problems come back as notes.
"""

from __future__ import annotations

import binascii
import re
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from io import BytesIO

from tui_mail.mail import headers as hdr

_VALID_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$")
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n"
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
#: Longest Content-Type/-Disposition read for parameters: the stdlib's parameter
#: splitter is quadratic in the number of ";", and real ones are well under 2 KB.
_MAX_PARAMS_CHARS = 8 * 1024


def raw_header(part: Message, name: str) -> str | None:
    """The first raw (undecoded, unparsed) value of header ``name``, or None."""
    name = name.lower()
    for key, value in part.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def content_type(part: Message) -> str:
    """The part's lower-case ``type/subtype``; the default type when missing or invalid."""
    raw = raw_header(part, "content-type")
    if raw is None:
        return part.get_default_type()
    value = hdr.raw_header_text(raw, 1024).split(";", 1)[0].strip().lower()
    return value if _VALID_TYPE.match(value) else "text/plain"


def _params_view(part: Message) -> Message:
    """A compat32 Message holding only the part's raw Content-Type and -Disposition.

    compat32 parses parameters (RFC 2231 continuations included) from plain
    strings, without the header objects that raise on crafted values.
    """
    view = Message(policy=compat32)
    for name in ("content-type", "content-disposition"):
        value = raw_header(part, name)
        if value is not None:
            view[name] = hdr.raw_header_text(value, _MAX_PARAMS_CHARS)
    return view


def charset_of(part: Message) -> str | None:
    """The part's ``charset`` parameter as written (RFC 2231 decoded), or None; never raises."""
    try:
        value = _params_view(part).get_param("charset")
    except Exception:
        return None
    return value if isinstance(value, str) else None


def disposition_and_filename(part: Message) -> tuple[str, str]:
    """(``attachment``/``inline``/"", decoded file name or "") of a part; never raises."""
    view = _params_view(part)
    try:
        disposition = (view.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    try:
        name = view.get_filename() or view.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 value the stdlib did not collapse
        name = hdr.decode_bytes(str(name[2]).encode("latin-1", "replace"), name[0])[0]
    return disposition, hdr.decode_words(str(name), 4096)


def raw_payload(part: Message) -> str | list[Message]:
    """The payload exactly as parsed: a list of parts, or the body as a (surrogate-escaped) str.

    ``get_payload()`` is avoided on purpose: for 8-bit bodies it re-decodes the
    text with the declared charset (lossy, and any codec the sender names) and
    reads headers through the policy's header objects, which raise on crafted
    values. ``_payload`` has held exactly this since Python 3.2.
    """
    payload = getattr(part, "_payload", None)
    return payload if isinstance(payload, list) else str(payload or "")


def decoded_payload(part: Message) -> tuple[bytes, str]:
    """The part's content with its transfer encoding undone, and a problem note or ""."""
    payload = raw_payload(part)
    if isinstance(payload, list):
        return b"", ""
    data = payload.encode("utf-8", "surrogateescape")
    encoding = hdr.raw_header_text(raw_header(part, "content-transfer-encoding") or "", 100)
    encoding = encoding.strip().lower()
    if encoding == "base64":
        return _decode_base64(data)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data), ""  # lenient: invalid escapes are kept as they are
    if encoding in {"x-uuencode", "uuencode", "x-uue", "uue"}:
        try:
            decoded = part.get_payload(decode=True)
        except Exception:
            decoded = None
        if isinstance(decoded, bytes):
            return decoded, ""
        return data, "undecodable uuencode; shown as received"
    return data, ""


def _decode_base64(data: bytes) -> tuple[bytes, str]:
    """Decode base64 leniently: junk skipped, a broken tail dropped, and noted."""
    has_junk = bool(data.translate(None, _BASE64_ALPHABET))
    if not has_junk:
        try:
            return binascii.a2b_base64(data), ""  # the fast path: valid input
        except binascii.Error:
            pass
    problem = "invalid base64; showing what decodes" if has_junk else ""
    clean = _NOT_BASE64.sub(b"", data)
    usable = len(clean) - len(clean) % 4
    tail = clean[usable:]
    if len(tail) == 1:
        problem = "invalid base64; showing what decodes"
        tail = b""
    try:
        return binascii.a2b_base64(clean[:usable] + tail + b"=" * (-len(tail) % 4)), problem
    except binascii.Error:
        return b"", "invalid base64; nothing decodes"


def embedded_message_bytes(part: Message) -> bytes:
    """The bytes of an attached ``message/rfc822`` (re-generated, unfolded)."""
    payload = raw_payload(part)
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        buffer = BytesIO()
        try:
            BytesGenerator(buffer, mangle_from_=False, policy=compat32).flatten(payload[0])
            return buffer.getvalue()
        except Exception:
            return buffer.getvalue()
    return decoded_payload(part)[0]


def flowed_params(part: Message) -> tuple[bool, bool]:
    """(``format=flowed``, ``delsp=yes``) from the part's Content-Type; never raises."""
    view = _params_view(part)
    try:
        flowed = str(view.get_param("format") or "").lower() == "flowed"
        delsp = str(view.get_param("delsp") or "").lower() == "yes"
    except Exception:
        return False, False
    return flowed, delsp


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join the soft-broken lines of ``format=flowed`` text (RFC 3676).

    A line ending in a space continues on the next line of the same quote
    depth; space-stuffing is undone; the ``-- `` signature separator is kept.
    Quoted paragraphs keep one ``> `` prefix per depth.
    """
    out: list[str] = []
    pending: str | None = None
    pending_depth = 0
    for line in text.replace("\r\n", "\n").split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing (or the space after the quote marks)
        if pending is not None and depth != pending_depth:
            out.append(_quoted(pending, pending_depth))
            pending = None
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        pending = content if pending is None else pending + content
        pending_depth = depth
        if not soft:
            out.append(_quoted(pending, depth))
            pending = None
    if pending is not None:
        out.append(_quoted(pending, pending_depth))
    return "\n".join(out)


def _quoted(content: str, depth: int) -> str:
    return (">" * depth + " " + content) if depth else content
