"""PGP/MIME output (RFC 3156): a built message -> multipart/signed or multipart/encrypted bytes.

Pure: the signature and the ciphertext come from a :class:`Protector` (the
backend's ``GnuPG``). The message's ``Content-*`` headers and body become the
protected entity, byte for byte as ``mail.compose`` wrote them (CRLF, every
part 7-bit: quoted-printable text, base64 attachments, as RFC 3156 §3 asks);
the other headers stay outside. Signed and encrypted is one OpenPGP message
signed and encrypted at once (RFC 3156 §6.2), the form gpg and every client read.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Protocol

from tui_mail.errors import SendError
from tui_mail.mail.crypto import GpgResult
from tui_mail.mail.crypto.status import fields

#: OpenPGP hash algorithm ids (RFC 4880 §9.4) -> RFC 3156 ``micalg`` names.
_MICALG = {
    "2": "pgp-sha1",
    "8": "pgp-sha256",
    "9": "pgp-sha384",
    "10": "pgp-sha512",
    "11": "pgp-sha224",
}
_FIELD = re.compile(rb"(?m)^[^ \t\r\n][^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*")
_INNER = re.compile(rb"(?i)content-")
PGP_MODES = ("", "sign", "encrypt", "sign+encrypt")


class Protector(Protocol):
    """What writing needs from GnuPG (bounded in time, never raises)."""

    def sign_detached(self, data: bytes, key: str) -> GpgResult:
        """An armored detached signature of ``data`` by ``key``."""
        ...

    def encrypt(self, data: bytes, recipients: Sequence[str], sign_key: str = "") -> GpgResult:
        """Armored ciphertext of ``data`` for ``recipients`` (signed by ``sign_key`` when given)."""
        ...


def split_entity(message: bytes) -> tuple[bytes, bytes]:
    """(the outer header fields, the entity: ``Content-*`` fields, a blank line, the body)."""
    head, sep, body = message.partition(b"\r\n\r\n")
    if not sep:
        raise SendError("The message could not be protected", "no header block", step="compose")
    outer: list[bytes] = []
    inner: list[bytes] = []
    for match in _FIELD.finditer(head + b"\r\n"):
        (inner if _INNER.match(match.group(0)) else outer).append(match.group(0))
    return b"".join(outer), b"".join(inner) + b"\r\n" + body


def protect(
    message: bytes, mode: str, gpg: Protector, *, sign_key: str, recipients: Sequence[str]
) -> bytes:
    """``message`` signed, encrypted, or both (``mode`` one of ``PGP_MODES``; "" keeps it).

    Raises ``SendError(step="compose")`` naming every recipient gpg has no usable
    key for, or gpg's failure, so nothing unprotected is ever queued.
    """
    if not mode:
        return message
    outer, entity = split_entity(message)
    boundary = "pgp-" + secrets.token_hex(12)
    if mode == "sign":
        result = gpg.sign_detached(entity, sign_key)
        created = fields(result).get("SIG_CREATED")
        if not created or not result.output:
            raise _failure("sign", result)
        micalg = _MICALG.get(created[2] if len(created) > 2 else "", "pgp-sha256")
        content_type = (
            f'multipart/signed; micalg={micalg}; protocol="application/pgp-signature";'
            f'\r\n boundary="{boundary}"'
        )
        body = (
            b"This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
            # The CRLF before the next delimiter belongs to it (RFC 3156 §5), so
            # the verifier reads exactly ``entity``, the bytes signed.
            + f"--{boundary}\r\n".encode()
            + entity
            + f"\r\n--{boundary}\r\n".encode()
            + b'Content-Type: application/pgp-signature; name="signature.asc"\r\n'
            + b"Content-Description: OpenPGP digital signature\r\n\r\n"
            + result.output.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            + f"\r\n--{boundary}--\r\n".encode()
        )
    else:
        result = gpg.encrypt(entity, recipients, sign_key if mode == "sign+encrypt" else "")
        refused = [args[1] for args in _all(result, "INV_RECP") if len(args) > 1]
        if refused:
            raise SendError(
                "No usable OpenPGP key for: " + ", ".join(refused),
                "import or trust their keys, or send without encryption",
                step="compose",
            )
        if "END_ENCRYPTION" not in fields(result) or not result.output:
            raise _failure("encrypt", result)
        content_type = (
            f'multipart/encrypted; protocol="application/pgp-encrypted";\r\n boundary="{boundary}"'
        )
        body = (
            b"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
            + f"--{boundary}\r\n".encode()
            + b"Content-Type: application/pgp-encrypted\r\n"
            + b"Content-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n"
            + f"--{boundary}\r\n".encode()
            + b'Content-Type: application/octet-stream; name="encrypted.asc"\r\n'
            + b"Content-Description: OpenPGP encrypted message\r\n"
            + b'Content-Disposition: inline; filename="encrypted.asc"\r\n\r\n'
            + result.output.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            + f"\r\n--{boundary}--\r\n".encode()
        )
    return outer + b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body


def _all(result: GpgResult, keyword: str) -> list[list[str]]:
    return [line.split(" ")[1:] for line in result.status if line.split(" ", 1)[0] == keyword]


def _failure(what: str, result: GpgResult) -> SendError:
    reason = result.problem or next(
        (
            line
            for line in result.status
            if line.split(" ", 1)[0] in ("FAILURE", "ERROR", "INV_SGNR", "NO_SGNKEY")
        ),
        f"gpg exited with {result.returncode}",
    )
    return SendError(f"Could not {what} the message", reason, step="compose")
