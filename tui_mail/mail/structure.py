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
* With a ``crypto`` reader (``mail.crypto.reader``), a PGP/MIME signed part
  shows the exact bytes that were verified, an encrypted one what it decrypts
  to, and an armored block in a text part what gpg made of it; their status
  lines collect in ``security``. When some text is signed, the text outside
  the signed parts is marked unsigned. Signatures and the PGP/MIME version and
  ciphertext parts are never listed as attachments (with or without a reader).
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message

from tui_mail.mail import headers as hdr
from tui_mail.mail.crypto.reader import PgpReader, is_control_part
from tui_mail.mail.html import MAX_HTML_CHARS, html_to_text
from tui_mail.mail.parts import (
    charset_of,
    content_type,
    decoded_payload,
    disposition_and_filename,
    embedded_message_bytes,
    flowed_params,
    raw_header,
    raw_payload,
    unflow,
)
from tui_mail.models import Attachment, Link, SecurityStatus

#: Longest body text kept (characters), so wrapping and display stay fast.
MAX_TEXT_CHARS = 1024 * 1024
#: Shown like text although not ``text/*``.
_TEXTUAL_MESSAGE_TYPES = frozenset(
    {"message/delivery-status", "message/disposition-notification", "message/feedback-report",
     "message/global-delivery-status", "message/global-disposition-notification"}
)
_SEPARATOR = "\n\n" + "-" * 20 + "\n\n"
#: The line above text that is not covered by the message's signature.
UNSIGNED_MARK = "[unsigned text: not covered by the signature]"
_PGP_MULTIPARTS = ("multipart/signed", "multipart/encrypted")


class Walk:
    """One walk over a message tree, collecting the body text and the attachments."""

    def __init__(
        self,
        *,
        max_parts: int,
        max_depth: int,
        crypto: PgpReader | None = None,
        raw: bytes = b"",
        parse_entity: Callable[[bytes], Message | None] | None = None,
        prefer_html: bool = False,
    ) -> None:
        self.max_parts = max_parts
        self.prefer_html = prefer_html
        """A multipart/alternative shows its HTML child (the user asked: the plain one is poor)."""
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
        self._html_budget = MAX_HTML_CHARS
        self.security: list[SecurityStatus] = []
        self.crypto = crypto
        self._parse_entity = parse_entity
        self._layers = [raw]
        """The raw bytes each part was parsed from: the message, then each decrypted entity."""
        self._signed_depth = 0
        self._signed_pieces: list[bool] = []

    def run(self, message: Message) -> None:
        """Walk ``message``; if it has no text of its own, show its first attached message."""
        if self.crypto is not None:
            self.crypto.begin(message)
        self._visit(message, 0, shown=True, listing=True)
        if not self.pieces and self._embedded:
            inner = raw_payload(self._embedded[0])
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                self._visit(inner[0], 1, shown=True, listing=False)

    def text(self) -> str:
        """The shown text parts joined, capped at ``MAX_TEXT_CHARS``."""
        marked = any(self._signed_pieces) and not all(self._signed_pieces)
        text = _SEPARATOR.join(
            (UNSIGNED_MARK + "\n" if marked and not signed else "") + piece.strip("\r\n")
            for piece, signed in zip(self.pieces, self._signed_pieces, strict=True)
            if piece.strip()
        )
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
                self._add_piece(_header_blocks_text(payload))
            return
        if isinstance(payload, list) and shown and self.crypto and self.crypto.handles(part, kind):
            self._open(part, kind, depth, listing=listing)
            return
        if isinstance(payload, list):
            if depth >= self.max_depth:
                self._note(f"parts nested deeper than {self.max_depth} levels are not shown")
                return
            chosen = _chosen_child(kind, payload, self.prefer_html) if shown else None
            for child in payload:
                if isinstance(child, Message) and not _pgp_machinery(kind, child):
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
        if kind == "text/plain" and self.crypto is not None and b"-----BEGIN PGP" in data:
            if self._inline(data, charset_of(part)):
                return
        if kind == "text/html":
            self._add_html(text)
            return
        flowed, delsp = flowed_params(part)
        self._add_piece(unflow(text, delsp=delsp) if flowed else text)

    def _add_html(self, html: str) -> None:
        # One budget for all HTML parts, so 500 inline HTML parts cost what one big one does.
        if self._html_budget <= 0:
            self._note("more HTML parts than can be converted: the rest are not shown")
            return
        converted, links = html_to_text(html, max_bytes=self._html_budget)
        self._html_budget -= len(html)
        offset = len(self.links)
        self.links.extend(
            Link(number=link.number + offset, url=link.url, text=link.text,
                 deceptive=link.deceptive)
            for link in links
        )
        self._add_piece(converted)
        if not self.from_html:
            self.html = html[:MAX_HTML_CHARS]
        self.from_html = True

    def _add_attachment(
        self, part: Message, kind: str, depth: int, disposition: str = "", filename: str = ""
    ) -> None:
        if kind == "message/rfc822":
            disposition, filename = disposition_and_filename(part)
            filename = filename or _subject_file_name(part)
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

    def _add_piece(self, text: str, *, signed: bool = False) -> None:
        self.pieces.append(text)
        self._signed_pieces.append(signed or self._signed_depth > 0)

    def _open(self, part: Message, kind: str, depth: int, *, listing: bool) -> None:
        """Show a PGP/MIME part as what was verified or decrypted (see the module docstring)."""
        assert self.crypto is not None
        opened = self.crypto.open(part, kind, self._layers[-1])
        self.security.extend(opened.statuses)
        if opened.entity is None:
            return
        inner = self._parse_entity(opened.entity) if self._parse_entity else None
        if inner is None:
            self._note(f"part {self._parts_seen} ({kind}): its content could not be parsed")
            return
        self._layers.append(opened.entity)
        self._signed_depth += opened.signed
        try:
            self._visit(inner, depth + 1, shown=True, listing=listing)
        finally:
            self._signed_depth -= opened.signed
            self._layers.pop()

    def _inline(self, data: bytes, charset: str | None) -> bool:
        """Show a text part holding an armored PGP block; False when it holds none."""
        assert self.crypto is not None
        opened = self.crypto.inline(data)
        if opened is None:
            return False
        segments, statuses = opened
        self.security.extend(statuses)
        for segment in segments:
            text, _ = hdr.decode_bytes(segment.data, charset)
            self._add_piece(text, signed=segment.signed)
        return True

    def _note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)


def _subject_file_name(part: Message) -> str:
    """``<subject>.eml`` for an attached message that has no file name ("" without a subject)."""
    inner = raw_payload(part)
    if not (isinstance(inner, list) and inner and isinstance(inner[0], Message)):
        return ""
    subject = hdr.one_line(hdr.decode_words(raw_header(inner[0], "subject") or "", 1000))
    return f"{subject[:100]}.eml" if subject else ""


def _header_blocks_text(blocks: list) -> str:
    """A delivery-status style report (blocks of fields) as text, one field per line."""
    lines: list[str] = []
    for block in blocks[:100]:
        if isinstance(block, Message):
            lines.extend(f"{name}: {hdr.decode_words(value, 4096)}" for name, value in block.raw_items())
            lines.append("")
    return "\n".join(lines)


def _pgp_machinery(kind: str, child: Message) -> bool:
    """A part of PGP/MIME's own (a signature, the version part, the ciphertext): never an attachment."""
    if kind not in _PGP_MULTIPARTS:
        return False
    return is_control_part(kind, child) or (
        kind == "multipart/encrypted" and content_type(child) == "application/octet-stream"
    )


def _chosen_child(kind: str, children: list, prefer_html: bool = False) -> Message | None:
    """The child a multipart shows, or None when every inline child is shown."""
    parts = [c for c in children if isinstance(c, Message)]
    if not parts:
        return None
    if kind == "multipart/alternative" and prefer_html:
        for child in reversed(parts):  # the richest last (RFC 2046); HTML, or HTML with images
            if content_type(child) in ("text/html", "multipart/related"):
                return child
    if kind == "multipart/alternative":
        for child in parts:
            if content_type(child) == "text/plain" and not disposition_and_filename(child)[1]:
                return child
        return parts[-1]
    if kind in ("multipart/related", "multipart/signed", "multipart/encrypted"):
        return parts[0]
    return None
