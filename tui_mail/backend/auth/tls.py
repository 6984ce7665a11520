"""TLS client contexts for IMAP, POP3 and SMTP: CA verification, or one pinned certificate.

:func:`make_ssl_context` is the one place every connection gets its context.
Without a pin it verifies the chain and the host name against the system CAs
plus the account's ``ca_file``. With ``cert_fingerprint = "sha256:<hex>"``
(what setup writes when the user trusts a self-signed certificate) the chain
is not checked against any CA; instead the handshake itself fails unless the
server's DER certificate hashes to the pin. The check runs inside the socket's
``do_handshake`` (``SSLContext.sslsocket_class``, a public hook), so imaplib,
poplib and smtplib, which each call ``context.wrap_socket``, cannot reach a
login on a changed certificate: no password goes to the wrong server.
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
from pathlib import Path


def fingerprint_of(der: bytes) -> str:
    """``"sha256:"`` and the lowercase hex SHA-256 of a DER certificate."""
    return "sha256:" + hashlib.sha256(der).hexdigest()


class CertificateChanged(ssl.SSLCertVerificationError):
    """The server's certificate is not the pinned one: both fingerprints in the message.

    A subclass of ``SSLCertVerificationError`` so every protocol's error
    translation already treats it as an untrusted certificate (permanent, not
    retried quickly), with this message as the reason.
    """

    def __init__(self, expected: str, actual: str) -> None:
        message = f"certificate changed: expected {expected}, server sent {actual}"
        super().__init__(message)
        self.expected = expected
        self.actual = actual
        self.verify_message = message
        self.verify_code = 0

    def __str__(self) -> str:
        return self.verify_message


class PinnedSSLSocket(ssl.SSLSocket):
    """An SSLSocket whose handshake fails unless the peer's certificate matches ``pin``."""

    pin = ""

    def do_handshake(self, block: bool = False) -> None:
        """The TLS handshake, then the pin check (before a byte of the protocol is sent)."""
        super().do_handshake(block)
        der = self.getpeercert(binary_form=True) or b""
        actual = fingerprint_of(der)
        if not hmac.compare_digest(actual.encode(), self.pin.encode()):
            raise CertificateChanged(self.pin, actual)


def make_ssl_context(ca_file: Path | str | None = None, pin: str = "") -> ssl.SSLContext:
    """A client context: verifying (system CAs plus ``ca_file``), or pinned to ``pin``.

    With ``pin`` (``sha256:<hex>``) the CAs and ``ca_file`` are not consulted:
    the pin names exactly the certificate the user trusted.
    """
    context = ssl.create_default_context()
    if pin:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        # One class per pin: the socket class is how the handshake learns what to expect.
        context.sslsocket_class = type("PinnedSSLSocket", (PinnedSSLSocket,), {"pin": pin})
    elif ca_file:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def pin_note(pin: str) -> str:
    """The ``tui-mail check`` line for a connection that passed its pin."""
    return f"certificate is the pinned one ({pin}; cert_fingerprint, not checked against CAs)"
