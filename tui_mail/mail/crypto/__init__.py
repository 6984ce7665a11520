"""OpenPGP reading: what a GnuPG run is asked and what its machine interface answered.

This package is pure (no I/O): :mod:`.reader` finds PGP/MIME and inline PGP in a
message and asks a :class:`GpgRunner` (the backend's ``GnuPG`` runs the real
binary in a subprocess, off the event loop) to verify or decrypt; :mod:`.status`
reads gpg's ``--status-fd`` lines into the status line shown above the body.
Nothing here parses gpg's human-readable output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class GpgResult:
    """One gpg run: its ``[GNUPG:]`` status lines (prefix removed), output and exit code."""

    status: tuple[str, ...] = ()
    output: bytes = b""
    returncode: int = 0
    problem: str = ""
    """Why gpg gave no answer ("gpg is not installed", "gpg timed out after 10 s"), or ""."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A public key as ``--with-colons`` lists it: primary fingerprint and user ids (unescaped)."""

    fingerprint: str
    user_ids: tuple[str, ...] = ()


class GpgRunner(Protocol):
    """What the reader needs from GnuPG; every call is bounded in time and never raises."""

    def verify_detached(self, data: bytes, signature: bytes) -> GpgResult:
        """``gpg --verify SIG -`` over ``data``."""
        ...

    def decrypt(self, data: bytes) -> GpgResult:
        """``gpg --decrypt``: an encrypted or a clearsigned message; the plain text is ``output``."""
        ...

    def key(self, key_id: str) -> KeyInfo | None:
        """The public key with this key id or fingerprint, or None."""
        ...
