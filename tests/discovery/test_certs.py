"""inspect_certificate on the test bed's real servers: Dovecot (IMAPS, IMAP STARTTLS, POP3 STLS/POP3S)
and aiosmtpd (SMTP STARTTLS), each with a self-signed certificate made by tests/servers/tls.py."""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path

import pytest

from tests.servers.dovecot import DovecotServer
from tui_mail.backend import inspect_certificate
from tui_mail.errors import ConnectionLost


def _fingerprint(pem: Path) -> str:
    return "sha256:" + hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem.read_text())).hexdigest()


@pytest.mark.parametrize(
    ("port_name", "security", "protocol"),
    [
        ("imaps_port", "tls", None),
        ("imap_port", "starttls", "imap"),
        ("pop3s_port", "tls", None),
        ("pop3_port", "starttls", "pop3"),
    ],
)
def test_dovecot_certificate_read_unverified_with_its_fingerprint(
    pop3_dovecot: DovecotServer, port_name: str, security: str, protocol: str | None
) -> None:
    port = getattr(pop3_dovecot, port_name)
    info = inspect_certificate(pop3_dovecot.host, port, security, protocol=protocol)
    assert info.fingerprint == _fingerprint(pop3_dovecot.ca_file)
    assert info.fingerprint.startswith("sha256:") and len(info.fingerprint) == 7 + 64
    assert not info.verified and info.error  # self-signed: not in the system store
    assert info.subject and info.issuer == info.subject
    assert (info.host, info.port) == (pop3_dovecot.host, port)


def test_smtp_starttls_certificate(smtp_server, test_cert) -> None:  # type: ignore[no-untyped-def]
    info = inspect_certificate(smtp_server.host, smtp_server.port, "starttls", protocol="smtp")
    assert info.fingerprint == _fingerprint(Path(test_cert.cert_file))
    assert not info.verified


def test_no_tls_and_a_closed_port_are_clear_errors(pop3_dovecot: DovecotServer) -> None:
    with pytest.raises(ConnectionLost, match="no TLS"):
        inspect_certificate("127.0.0.1", pop3_dovecot.imap_port, "none")
    with pytest.raises(ConnectionLost, match="failed"):
        inspect_certificate("127.0.0.1", 9, "tls", timeout=2)
