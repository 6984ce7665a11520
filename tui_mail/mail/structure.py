"""Walking a parsed MIME tree: which parts are shown, which are attachments.

Rules (the same walk serves ``parse_message`` and ``attachment_bytes``, so
attachment indexes always agree):

* ``multipart/alternative`` shows its first ``text/plain`` child, else its
  richest (last) other child; ``multipart/related`` shows its first child;
  other multiparts show every inline text child in order.
* A leaf is an attachment when its disposition is ``attachment``, when it has
  a file name, or when it is not text; an attached ``message/rfc822`` is one
  attachment (its inside is shown only when the message has no text of its own).
* Nesting deeper than ``max_depth`` and parts past ``max_parts`` are not
  walked; a problem note says so. One undecodable part never hides the others.
"""

from __future__ import annotations

import binascii
import re
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from io import BytesIO

from tui_mail.mail import headers as hdr
from tui_mail.mail.html import MAX_HTML_CHARS, html_to_text
from tui_mail.models import Attachment, Link

#: Longest body text kept (characters), so wrapping and display stay fast.
MAX_TEXT_CHARS = 1024 * 1024
#: Shown like text although not ``text/*``.
_TEXTUAL_MESSAGE_TYPES = frozenset(
    {"message/delivery-status", "message/disposition-notification", "message/feedback-report",
     "message/global-delivery-status", "message/global-disposition-notification"}
)
_VALID_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$")
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n"
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_SEPARATOR = "\n\n" + "-" * 20 + "\n\n"


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
            view[name] = hdr.raw_header_text(value, 16 * 1024)
    return view


def charset_of(part: Message) -> str | None:
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


class Walk:
    """One walk over a message tree, collecting the body text and the attachments."""

    def __init__(self, *, max_parts: int, max_depth: int) -> None:
        self.max_parts = max_parts
        self.max_depth = max_depth
        self.pieces: list[str] = []
        self.html = ""
        self.from_html = False
        self.links: list[Link] = []
        self.attachments: list[Attachment] = []
        self.attachment_parts: list[Message] = []
        self.problems: list[str] = []
        self._parts_seen = 0
        self._embedded: list[Message] = []

    def run(self, message: Message) -> None:
        """Walk ``message``; if it has no text of its own, show its first attached message."""
        self._visit(message, 0, shown=True, listing=True)
        if not self.pieces and self._embedded:
            inner = raw_payload(self._embedded[0])
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                self._visit(inner[0], 1, shown=True, listing=False)

    def text(self) -> str:
        """The shown text parts joined, capped at ``MAX_TEXT_CHARS``."""
        text = _SEPARATOR.join(piece.strip("\r\n") for piece in self.pieces if piece.strip())
        if len(text) > MAX_TEXT_CHARS:
            self.problems.append(f"text too long: only the first {MAX_TEXT_CHARS // 1024} KB shown")
            text = text[:MAX_TEXT_CHARS]
        return text

    def _visit(self, part: Message, depth: int, *, shown: bool, listing: bool) -> None:
        self._parts_seen += 1
        if self._parts_seen > self.max_parts:
            self._note(f"more than {self.max_parts} parts: the rest are not shown")
            return
        kind = content_type(part)
        payload = raw_payload(part)
        if kind == "message/rfc822" and isinstance(payload, list):
            if listing:
                self._add_attachment(part, kind, depth)
                self._embedded.append(part)
            return
        if kind in _TEXTUAL_MESSAGE_TYPES and isinstance(payload, list):
            if shown:  # the stdlib parses these reports into header blocks
                self.pieces.append(_header_blocks_text(payload))
            return
        if isinstance(payload, list):
            if depth >= self.max_depth:
                self._note(f"parts nested deeper than {self.max_depth} levels are not shown")
                return
            chosen = _chosen_child(kind, payload) if shown else None
            for child in payload:
                if isinstance(child, Message):
                    show = shown and (chosen is None or child is chosen)
                    self._visit(child, depth + 1, shown=show, listing=listing)
            return
        self._leaf(part, kind, depth, shown=shown, listing=listing)

    def _leaf(self, part: Message, kind: str, depth: int, *, shown: bool, listing: bool) -> None:
        if kind.startswith("multipart/"):
            if not raw_payload(part):
                return  # cut off at the depth limit (already noted) or empty
            self._note(f"part {self._parts_seen} ({kind}) has no usable boundary; shown as text")
            kind = "text/plain"
        disposition, filename = disposition_and_filename(part)
        textual = kind.startswith("text/") or kind in _TEXTUAL_MESSAGE_TYPES
        if disposition == "attachment" or filename or not textual:
            if listing:
                self._add_attachment(part, kind, depth, disposition, filename)
            return
        if not shown:
            return
        data, problem = decoded_payload(part)
        if problem:
            self._note(f"part {self._parts_seen} ({kind}): {problem}")
        text, charset_problem = hdr.decode_bytes(data, charset_of(part))
        if charset_problem:
            self._note(f"part {self._parts_seen}: {charset_problem}")
        if kind == "text/html":
            self._add_html(text)
        else:
            self.pieces.append(text)

    def _add_html(self, html: str) -> None:
        converted, links = html_to_text(html)
        offset = len(self.links)
        self.links.extend(
            Link(number=link.number + offset, url=link.url, text=link.text,
                 deceptive=link.deceptive)
            for link in links
        )
        self.pieces.append(converted)
        if not self.from_html:
            self.html = html[:MAX_HTML_CHARS]
        self.from_html = True

    def _add_attachment(
        self, part: Message, kind: str, depth: int, disposition: str = "", filename: str = ""
    ) -> None:
        if kind == "message/rfc822":
            disposition, filename = disposition_and_filename(part)
            size = len(embedded_message_bytes(part))
        else:
            data, problem = decoded_payload(part)
            size = len(data)
            if problem:
                self._note(f"attachment {filename or len(self.attachments) + 1}: {problem}")
        content_id = hdr.one_line(hdr.raw_header_text(raw_header(part, "content-id") or "", 1000))
        self.attachments.append(
            Attachment(index=len(self.attachments), filename=filename, content_type=kind,
                       size=size, content_id=content_id.strip("<>"),
                       inline=disposition == "inline")
        )
        self.attachment_parts.append(part)

    def _note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)


def _header_blocks_text(blocks: list) -> str:
    """A delivery-status style report (blocks of fields) as text, one field per line."""
    lines: list[str] = []
    for block in blocks[:100]:
        if isinstance(block, Message):
            lines.extend(f"{name}: {hdr.decode_words(value, 4096)}" for name, value in block.raw_items())
            lines.append("")
    return "\n".join(lines)


def _chosen_child(kind: str, children: list) -> Message | None:
    """The child a multipart shows, or None when every inline child is shown."""
    parts = [c for c in children if isinstance(c, Message)]
    if not parts:
        return None
    if kind == "multipart/alternative":
        for child in parts:
            if content_type(child) == "text/plain" and not disposition_and_filename(child)[1]:
                return child
        return parts[-1]
    if kind in ("multipart/related", "multipart/signed", "multipart/encrypted"):
        return parts[0]
    return None
