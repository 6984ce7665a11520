"""GnuPG as a subprocess: the one place that runs ``gpg`` (the user's own, and ``$GNUPGHOME``).

:class:`GnuPG` implements ``mail.crypto.GpgRunner``. Every run is ``--batch``
with loopback pinentry, so a key that needs a passphrase answers at once with
``NEED_PASSPHRASE`` instead of a pinentry waiting on a terminal the app owns;
every run has a timeout and an output cap (``--max-output``: a compressed
message can inflate a thousandfold); no run may fetch keys from the network.
Only the machine interface is read: ``--status-fd`` lines and ``--with-colons``
listings. Calls block for tens of milliseconds: make them off the event loop.
Decrypted text goes back in memory only, never to a file.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tui_mail.mail.crypto import GpgResult, KeyInfo
from tui_mail.mail.crypto.status import colon_field

#: Seconds one gpg run may take (key lookups, verification, decryption).
GPG_TIMEOUT = 10.0
#: Most bytes gpg may write for one run.
MAX_OUTPUT = 64 * 1024 * 1024
_STATUS_PREFIX = "[GNUPG:] "
_KEY_ID = re.compile(r"[0-9A-Fa-f]{8,40}")
_COMMON = (
    "--batch",
    "--no-tty",
    "--status-fd",
    "2",
    "--pinentry-mode",
    "loopback",
    "--no-auto-key-retrieve",
    "--auto-key-locate",
    "local",
    "--display-charset",
    "utf-8",
)


class GnuPG:
    """Runs the ``gpg`` binary; ``home`` overrides ``$GNUPGHOME`` (None: gpg's own default)."""

    def __init__(
        self,
        binary: str = "gpg",
        *,
        home: str | os.PathLike[str] | None = None,
        timeout: float = GPG_TIMEOUT,
    ) -> None:
        self.binary = binary
        self.home = os.fspath(home) if home is not None else None
        self.timeout = timeout

    def verify_detached(self, data: bytes, signature: bytes) -> GpgResult:
        """``gpg --verify SIG -``: the signature goes through a private temporary file."""
        with tempfile.TemporaryDirectory(prefix="tui-mail-gpg-") as folder:
            sig = Path(folder) / "signature.asc"
            sig.write_bytes(signature[:MAX_OUTPUT])
            return self._run(["--verify", "--", str(sig), "-"], data)

    def decrypt(self, data: bytes) -> GpgResult:
        """``gpg --decrypt``: the plain text (or the clearsigned text) comes back as ``output``."""
        return self._run(["--max-output", str(MAX_OUTPUT), "--decrypt"], data)

    def sign_detached(self, data: bytes, key: str) -> GpgResult:
        """``gpg --detach-sign --armor --local-user KEY`` over ``data``."""
        return self._run(["--detach-sign", "--armor", "--local-user", key, "--"], data)

    def encrypt(self, data: bytes, recipients: Sequence[str], sign_key: str = "") -> GpgResult:
        """``gpg --encrypt --armor`` to every recipient (``INV_RECP`` names the unusable ones).

        With ``sign_key`` the data is signed and encrypted in one OpenPGP message.
        """
        args = ["--encrypt", "--armor"]
        for recipient in recipients:
            args += ["--recipient", recipient]
        if sign_key:
            args += ["--sign", "--local-user", sign_key]
        return self._run([*args, "--"], data)

    def key(self, key_id: str) -> KeyInfo | None:
        """The public key ``key_id`` names, from ``--with-colons --list-keys``; None if unknown."""
        if not _KEY_ID.fullmatch(key_id):
            return None
        result = self._run(["--with-colons", "--fixed-list-mode", "--list-keys", "--", key_id], b"")
        if result.returncode != 0:
            return None
        fingerprint, user_ids = "", []
        for line in result.output.decode("utf-8", "replace").splitlines():
            record = line.split(":")
            if record[0] == "pub" and fingerprint:
                break  # only the first key listed
            if record[0] == "fpr" and not fingerprint and len(record) > 9:
                fingerprint = record[9]
            elif record[0] == "uid" and len(record) > 9:
                user_ids.append(colon_field(record[9]))
        return KeyInfo(fingerprint, tuple(user_ids)) if fingerprint else None

    def _run(self, args: Sequence[str], data: bytes) -> GpgResult:
        env = dict(os.environ)
        if self.home is not None:
            env["GNUPGHOME"] = self.home
        try:
            done = subprocess.run(
                [self.binary, *_COMMON, *args],
                input=data,
                capture_output=True,
                timeout=self.timeout,
                env=env,
                check=False,
            )
        except FileNotFoundError:
            return GpgResult(returncode=-1, problem=f"{self.binary} is not installed")
        except subprocess.TimeoutExpired:
            return GpgResult(returncode=-1, problem=f"gpg timed out after {self.timeout:g} s")
        except OSError as exc:
            return GpgResult(returncode=-1, problem=f"gpg could not run ({exc.strerror or exc})")
        status = tuple(
            line[len(_STATUS_PREFIX) :]
            for line in done.stderr.decode("utf-8", "replace").splitlines()
            if line.startswith(_STATUS_PREFIX)
        )
        return GpgResult(status=status, output=done.stdout, returncode=done.returncode)
