"""Reading a server's certificate for setup: who it names, its SHA-256, whether it verifies.

The handshake first verifies against the system store; when that fails, a
second one with verification off reads the certificate anyway so the user can
decide to pin it (``cert_fingerprint``). STARTTLS/STLS speak just enough of
the protocol (greeting, upgrade) to reach the handshake.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable

from tui_mail.backend.api.setup import CertificateInfo
from tui_mail.backend.auth.tls import fingerprint_of
from tui_mail.errors import ConnectionLost

_MAX_LINE = 4096
_MAX_LINES = 50


def _read_line(sock: socket.socket) -> str:
    data = bytearray()
    while not data.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk or len(data) > _MAX_LINE:
            raise ConnectionLost("The server closed the connection before TLS.")
        data += chunk
    return data.decode("ascii", "replace").rstrip("\r\n")


def _expect(sock: socket.socket, done: str, ok: str) -> None:
    """Read lines until one starts with ``done``; it must start with ``ok``."""
    for _ in range(_MAX_LINES):
        line = _read_line(sock)
        if line.startswith(done):
            if not line.startswith(ok):
                raise ConnectionLost("The server refused to start TLS.", line[:200])
            return
    raise ConnectionLost("The server talked too long before TLS.")


def _upgrade(sock: socket.socket, protocol: str) -> None:
    """Speak ``protocol``'s greeting and STARTTLS/STLS until the handshake may start."""
    if protocol == "imap":
        _expect(sock, "* ", "* OK")
        sock.sendall(b"s1 STARTTLS\r\n")
        _expect(sock, "s1 ", "s1 OK")
    elif protocol == "pop3":
        _expect(sock, "", "+OK")
        sock.sendall(b"STLS\r\n")
        _expect(sock, "", "+OK")
    else:
        _expect(sock, "220 ", "220 ")
        sock.sendall(b"EHLO tui-mail\r\n")
        _expect(sock, "250 ", "250 ")
        sock.sendall(b"STARTTLS\r\n")
        _expect(sock, "220", "220")


#: Opens the TCP connection: ``connect(host, port, timeout)``; host-name guesses pass one
#: that resolves through discovery's own resolver (and tests, one that reaches 127.0.0.1).
Connect = Callable[[str, int, float], socket.socket]


def _tcp(host: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((host, port), timeout=timeout)


def _handshake(
    host: str,
    port: int,
    protocol: str | None,
    context: ssl.SSLContext,
    timeout: float,
    connect: Connect,
) -> ssl.SSLSocket:
    sock = connect(host, port, timeout)
    try:
        if protocol is not None:
            _upgrade(sock, protocol)
        return context.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise


def _names(der: bytes) -> tuple[str, str]:
    """Subject and issuer of a DER certificate, as RFC 4514 strings."""
    try:
        from cryptography import x509  # keyring's SecretStorage brings it on Linux
    except ImportError:  # pragma: no cover - then only the fingerprint is shown
        return "", ""
    cert = x509.load_der_x509_certificate(der)
    return cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()


def inspect_certificate(
    host: str,
    port: int,
    security: str,
    timeout: float = 5.0,
    *,
    protocol: str | None = None,
    connect: Connect = _tcp,
) -> CertificateInfo:
    """The certificate ``host:port`` shows; blocking (run it on a thread).

    ``security`` is "tls" (a direct handshake) or "starttls"; for STARTTLS the
    protocol is ``protocol`` or guessed from the port (110/995 POP3, 25/465/587
    SMTP, else IMAP). Raises ConnectionLost when no handshake happens.
    """
    if security not in ("tls", "starttls"):
        raise ConnectionLost(f"{host}:{port} uses no TLS, so it has no certificate.")
    proto: str | None = None
    if security == "starttls":
        proto = protocol or {110: "pop3", 995: "pop3", 25: "smtp", 465: "smtp", 587: "smtp"}.get(
            port, "imap"
        )
    error = ""
    try:
        with _handshake(host, port, proto, ssl.create_default_context(), timeout, connect) as tls:
            der = tls.getpeercert(binary_form=True) or b""
    except ssl.SSLCertVerificationError as exc:
        error = exc.verify_message or str(exc)
        loose = ssl.create_default_context()
        loose.check_hostname = False
        loose.verify_mode = ssl.CERT_NONE
        try:
            with _handshake(host, port, proto, loose, timeout, connect) as tls:
                der = tls.getpeercert(binary_form=True) or b""
        except (OSError, ssl.SSLError) as second:
            raise ConnectionLost(f"TLS to {host}:{port} failed.", str(second)) from second
    except (OSError, ssl.SSLError) as exc:
        raise ConnectionLost(f"TLS to {host}:{port} failed.", str(exc)) from exc
    subject, issuer = _names(der)
    return CertificateInfo(host, port, subject, issuer, fingerprint_of(der), not error, error)
