"""A throw-away GnuPG world for the crypto tests, and PGP messages made by gpg itself.

:func:`make_gpg_world` builds keyrings in a temporary folder with
``--quick-gen-key`` (ed25519 to sign, a cv25519 subkey to encrypt: seconds, not
minutes): ``me`` is the reader's ``$GNUPGHOME`` (Alice, whose secret key it
holds; Carol, whose key needs a passphrase; Dave's *public* key only), and
``other`` holds Bob (never known to ``me``), Dave's secret key and Alice's
public key (so strangers can write to her). The MIME
around the signatures and ciphertexts is assembled here byte for byte (CRLF),
as RFC 3156 describes; every signature and ciphertext comes from ``gpg``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ALICE = "Alice Example <alice@example.org>"
BOB = "Bob Stranger <bob@example.net>"
CAROL = "Carol Careful <carol@example.org>"
DAVE = "Dave Elsewhere <dave@example.com>"
PASSPHRASE = "correct horse"


def gpg(home: Path, *args: str, data: bytes = b"", passphrase: str = "") -> bytes:
    """Run gpg in ``home`` (batch, loopback pinentry); its stdout; raise on failure."""
    command = [
        "gpg",
        "--batch",
        "--no-tty",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        passphrase,
        "--trust-model",
        "always",
        *args,
    ]
    done = subprocess.run(
        command,
        input=data,
        capture_output=True,
        timeout=60,
        env={**os.environ, "GNUPGHOME": str(home)},
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"gpg {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def new_key(home: Path, user_id: str, passphrase: str = "") -> str:
    """Generate a signing key with an encryption subkey; its fingerprint."""
    gpg(home, "--quick-gen-key", user_id, "ed25519", "sign", "never", passphrase=passphrase)
    listing = gpg(home, "--with-colons", "--list-keys", user_id).decode()
    fingerprint = next(
        line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")
    )
    gpg(home, "--quick-add-key", fingerprint, "cv25519", "encr", "never", passphrase=passphrase)
    return fingerprint


@dataclass
class GpgWorld:
    """The keyrings and fingerprints the tests use."""

    me: Path
    other: Path
    alice: str
    bob: str
    carol: str
    dave: str

    def stop_agents(self) -> None:
        """Stop the gpg-agents the keyrings started."""
        for home in (self.me, self.other):
            subprocess.run(
                ["gpgconf", "--kill", "all"],
                env={**os.environ, "GNUPGHOME": str(home)},
                capture_output=True,
                timeout=30,
                check=False,
            )


def make_gpg_world(folder: Path) -> GpgWorld:
    """Create both keyrings under ``folder`` (see the module docstring)."""
    me, other = folder / "me", folder / "other"
    for home in (me, other):
        home.mkdir(mode=0o700)
    alice = new_key(me, ALICE)
    carol = new_key(me, CAROL, PASSPHRASE)
    bob = new_key(other, BOB)
    dave = new_key(other, DAVE)
    gpg(me, "--import", data=gpg(other, "--export", "--armor", dave))
    gpg(other, "--import", data=gpg(me, "--export", "--armor", alice))
    return GpgWorld(me, other, alice, bob, carol, dave)


def crlf(text: str) -> bytes:
    """``text`` with CRLF line ends, as sent."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def headers(sender: str, subject: str, content_type: str) -> str:
    """The top header block of a test message."""
    return (
        f"From: {sender}\nTo: {ALICE}\nSubject: {subject}\n"
        "Date: Fri, 04 Dec 2026 21:00:00 +0000\nMessage-ID: <t@example.org>\n"
        f"MIME-Version: 1.0\nContent-Type: {content_type}\n\n"
    )


def text_entity(body: str, charset: str = "utf-8") -> bytes:
    """A text/plain MIME entity (headers and body, CRLF)."""
    return crlf(
        f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: 8bit\n\n{body}\n"
    )


def signed_mime(home: Path, signer: str, entity: bytes, boundary: str = "sig-b0undary") -> bytes:
    """The body of a multipart/signed over ``entity`` (exact bytes), signature by gpg."""
    signature = gpg(home, "--detach-sign", "--armor", "--local-user", signer, data=entity)
    return (
        crlf(f"This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n--{boundary}\n")
        + entity
        + crlf(f'\n--{boundary}\nContent-Type: application/pgp-signature; name="signature.asc"\n\n')
        + signature
        + crlf(f"\n--{boundary}--\n")
    )


def signed_message(
    home: Path, signer: str, sender: str, body: str, subject: str = "Signed"
) -> bytes:
    """A complete PGP/MIME signed message."""
    boundary = "sig-b0undary"
    kind = f'multipart/signed; micalg=pgp-sha512; protocol="application/pgp-signature"; boundary="{boundary}"'
    return crlf(headers(sender, subject, kind)) + signed_mime(
        home, signer, text_entity(body), boundary
    )


def encrypted_message(
    home: Path,
    recipients: list[str],
    entity: bytes,
    sender: str = ALICE,
    sign_with: str = "",
    subject: str = "Encrypted",
) -> bytes:
    """A complete PGP/MIME encrypted message (``sign_with``: signed and encrypted in one)."""
    args = ["--encrypt", "--armor", *(a for r in recipients for a in ("--recipient", r))]
    if sign_with:
        args += ["--sign", "--local-user", sign_with]
    ciphertext = gpg(home, *args, data=entity)
    boundary = "enc-b0undary"
    kind = f'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="{boundary}"'
    return (
        crlf(
            headers(sender, subject, kind) + f"--{boundary}\n"
            "Content-Type: application/pgp-encrypted\n\nVersion: 1\n\n"
            f'--{boundary}\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'
        )
        + ciphertext
        + crlf(f"\n--{boundary}--\n")
    )


def clearsigned_message(
    home: Path, signer: str, sender: str, body: str, before: str = "", after: str = ""
) -> bytes:
    """A text/plain message holding an inline clearsigned block (text around it unsigned)."""
    block = gpg(home, "--clearsign", "--local-user", signer, data=body.encode()).decode()
    return crlf(
        headers(sender, "Clearsigned", "text/plain; charset=utf-8") + before + block + after
    )
