"""Self-signed certificates for the loopback TLS tests (Dovecot IMAPS, SMTP STARTTLS).

One certificate acts as its own CA: tests pass its PEM as ``ca_file`` so a
client that verifies certificates accepts the server, and one that uses the
system CA store does not.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class CertPair:
    """PEM files of a self-signed certificate and its private key."""

    cert_file: Path
    key_file: Path

    @property
    def ca_file(self) -> Path:
        """The certificate doubles as the CA a client must trust."""
        return self.cert_file

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context presenting this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only this certificate."""
        return ssl.create_default_context(cafile=str(self.cert_file))


def make_self_signed_cert(directory: Path, name: str = "server") -> CertPair:
    """Write ``<name>.pem`` and ``<name>.key`` valid for localhost and 127.0.0.1."""
    directory.mkdir(parents=True, exist_ok=True)
    pair = CertPair(directory / f"{name}.pem", directory / f"{name}.key")
    try:
        _write_with_cryptography(pair)
    except ImportError:
        _write_with_openssl(pair)
    pair.key_file.chmod(0o600)
    return pair


def _write_with_cryptography(pair: CertPair) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    san = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pair.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _write_with_openssl(pair: CertPair) -> None:
    # Fallback when the cryptography package is absent; the openssl CLI ships with Debian.
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(pair.key_file),
            "-out",
            str(pair.cert_file),
        ],
        check=True,
        capture_output=True,
    )
