"""Finding PGP/MIME (RFC 3156) and inline PGP in a message, and asking gpg about it.

:class:`PgpReader` is the hook ``mail.structure.Walk`` calls when it meets a
``multipart/signed``, a ``multipart/encrypted`` or a text part holding an
armored block. It is pure: the :class:`~tui_mail.mail.crypto.GpgRunner` it is
given does the I/O, and every call is counted so a hostile message (10,000
signed parts, encryption nested 100 deep) costs a few gpg runs at most.

A signature is checked over the exact bytes of the first part as they were
transmitted, cut from the raw message between its boundary lines and made
CRLF-canonical; those same bytes (not the parser's tree) are what the walk then
shows, so what is shown as signed is exactly what was verified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

from tui_mail.mail import headers as hdr
from tui_mail.mail.crypto import GpgRunner, KeyInfo
from tui_mail.mail.crypto.status import decryption_status, has_signature, signature_status
from tui_mail.mail.parts import content_type, decoded_payload, raw_header, raw_payload
from tui_mail.models import SecurityStatus

#: Most gpg runs for one message: enough for signed+encrypted twice over.
MAX_GPG_CALLS = 8
_PARAMS = re.compile(r'(?i)(?:^|;)\s*(boundary|protocol)\s*=\s*(?:"([^"]*)"|([^\s;]+))')
_INLINE_START = re.compile(rb"(?m)^-----BEGIN PGP (SIGNED )?MESSAGE-----[ \t]*\r?$")
_INLINE_END = {
    True: re.compile(rb"(?m)^-----END PGP SIGNATURE-----[ \t]*\r?$"),
    False: re.compile(rb"(?m)^-----END PGP MESSAGE-----[ \t]*\r?$"),
}
_LONE_LF = re.compile(rb"(?<!\r)\n")


@dataclass(slots=True)
class Opened:
    """What a signed or encrypted part holds: its status lines and the entity to show."""

    statuses: list[SecurityStatus] = field(default_factory=list)
    entity: bytes | None = None
    """The MIME entity (headers and body) to parse and show, or None to show nothing of it."""
    signed: bool = False
    """Whether ``entity`` is covered by a signature (good or not)."""


@dataclass(slots=True)
class InlineSegment:
    """A piece of a text part: outside the armored block, or what gpg made of it."""

    data: bytes
    signed: bool = False
    outside: bool = True


class PgpReader:
    """Verifies and decrypts the PGP parts of one message with a :class:`GpgRunner`."""

    def __init__(self, runner: GpgRunner, *, max_calls: int = MAX_GPG_CALLS) -> None:
        self.runner = runner
        self.calls_left = max_calls
        self.senders: frozenset[str] = frozenset()
        self._keys: dict[str, KeyInfo | None] = {}

    def begin(self, message: Message) -> None:
        """Note the From addresses of the top-level message (a good signature should match one)."""
        found, _ = hdr.parse_addresses(raw_header(message, "from") or "")
        self.senders = frozenset(a.email.lower() for a in found if a.email)

    def handles(self, part: Message, kind: str) -> bool:
        """True for PGP/MIME ``multipart/signed`` and ``multipart/encrypted`` parts."""
        if kind not in ("multipart/signed", "multipart/encrypted"):
            return False
        return _param(part, "protocol").lower() in (
            "application/pgp-signature",
            "application/pgp-encrypted",
        )

    def open(self, part: Message, kind: str, layer: bytes) -> Opened:
        """Verify (``layer``: the raw bytes the part was parsed from) or decrypt ``part``."""
        if not self._spend():
            return Opened(
                [SecurityStatus("warning", "Not checked: too many signed or encrypted parts")]
            )
        if kind == "multipart/signed":
            return self._verify(part, layer)
        return self._decrypt(part)

    def inline(self, data: bytes) -> tuple[list[InlineSegment], list[SecurityStatus]] | None:
        """Split a text part at its first armored PGP block and open the block; None if it has none."""
        start = _INLINE_START.search(data)
        if start is None:
            return None
        clearsigned = bool(start.group(1))
        end = _INLINE_END[clearsigned].search(data, start.end())
        if end is None or not self._spend():
            return None
        block = data[start.start() : end.end()]
        result = self.runner.decrypt(block)
        statuses = []
        if not clearsigned:
            statuses.append(decryption_status(result, self._key))
        signed = has_signature(result)
        if signed or clearsigned:
            statuses.append(signature_status(result, self.senders, self._key))
        inner = InlineSegment(result.output, signed=signed or clearsigned, outside=False)
        if not result.output:
            inner = (
                InlineSegment(block, outside=False)
                if clearsigned
                else InlineSegment(b"", outside=False)
            )
        pieces = [InlineSegment(data[: start.start()]), inner, InlineSegment(data[end.end() :])]
        return [p for p in pieces if p.data.strip()], statuses

    # ------------------------------------------------------------------ internals

    def _spend(self) -> bool:
        if self.calls_left <= 0:
            return False
        self.calls_left -= 1
        return True

    def _key(self, key_id: str) -> KeyInfo | None:
        if key_id not in self._keys:
            self._keys[key_id] = self.runner.key(key_id) if len(self._keys) < 16 else None
        return self._keys[key_id]

    def _verify(self, part: Message, layer: bytes) -> Opened:
        children = [c for c in _children(part)]
        signed_bytes = signed_part_bytes(layer, _param(part, "boundary"))
        if len(children) < 2 or signed_bytes is None:
            return Opened(
                [SecurityStatus("bad", "BAD signature: the signed part could not be found")]
            )
        signature, _ = decoded_payload(children[1])
        result = self.runner.verify_detached(signed_bytes, signature)
        return Opened(
            [signature_status(result, self.senders, self._key)], signed_bytes, signed=True
        )

    def _decrypt(self, part: Message) -> Opened:
        children = _children(part)
        if len(children) < 2:
            return Opened([SecurityStatus("bad", "Cannot decrypt: the encrypted part is missing")])
        ciphertext, _ = decoded_payload(children[1])
        result = self.runner.decrypt(ciphertext)
        opened = Opened([decryption_status(result, self._key)])
        if "DECRYPTION_OKAY" not in {line.partition(" ")[0] for line in result.status}:
            return opened
        opened.entity = result.output
        if has_signature(result):  # signed and encrypted in one OpenPGP message
            opened.statuses.append(signature_status(result, self.senders, self._key))
            opened.signed = True
        return opened


def signed_part_bytes(layer: bytes, boundary: str) -> bytes | None:
    """The first part of a ``multipart/signed`` exactly as sent, CRLF-canonical (RFC 3156 §5).

    The part runs from the line after the first ``--boundary`` line to the line
    break before the next one (that line break belongs to the delimiter).
    Boundaries are unique within a message (RFC 2046), so the first match is
    this part's; when the walk shows a verified part it shows these bytes.
    """
    if not boundary or len(boundary) > 200:
        return None
    delimiter = re.escape(b"--" + boundary.encode("utf-8", "surrogateescape"))
    first = re.compile(rb"(?:^|\n)" + delimiter + rb"[ \t]*\r?\n").search(layer)
    if first is None:
        return None
    after = re.compile(rb"\r?\n" + delimiter).search(layer, first.end())
    if after is None:
        return None
    return _LONE_LF.sub(b"\r\n", layer[first.end() : after.start()])


def _children(part: Message) -> list[Message]:
    payload = raw_payload(part)
    return [c for c in payload if isinstance(c, Message)] if isinstance(payload, list) else []


def _param(part: Message, name: str) -> str:
    """A Content-Type parameter read from the raw header (no stdlib header objects)."""
    value = hdr.raw_header_text(raw_header(part, "content-type") or "", 8 * 1024)
    for match in _PARAMS.finditer(value):
        if match.group(1).lower() == name:
            return match.group(2) if match.group(2) is not None else match.group(3)
    return ""


def is_control_part(parent_kind: str, part: Message) -> bool:
    """The signature of a ``multipart/signed`` or the version part of a ``multipart/encrypted``."""
    kind = content_type(part)
    return (parent_kind, kind) in {
        ("multipart/signed", "application/pgp-signature"),
        ("multipart/encrypted", "application/pgp-encrypted"),
    }
