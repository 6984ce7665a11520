"""Where an account's OAuth2 refresh token is kept between runs.

The OS keyring first (service ``tui-mail``, user ``<account>/oauth2``); where
there is no keyring backend (a headless machine), a mode-0600 JSON file under
the state directory, with a warning logged once per account. A new (rotated)
token replaces the old one at once: ``keyring.set_password`` replaces in
place, and the file is written to a temporary name and renamed over the old
one, so a crash leaves one whole token, old or new. Keyring calls may block
(a daemon, an unlock prompt): never call these on the UI event loop.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tui_mail.errors import ConfigError

Source = Literal["keyring", "file"]
KEYRING_SERVICE = "tui-mail"

log = logging.getLogger(__name__)
_warned: set[str] = set()
_warn_lock = threading.Lock()


def keyring_user(account: str) -> str:
    """The keyring username under which an account's refresh token is stored."""
    return f"{account}/oauth2"


@dataclass(frozen=True)
class StoredGrant:
    """A refresh token as stored, its scopes, and where it was found."""

    refresh_token: str = field(repr=False)
    scopes: tuple[str, ...]
    source: Source


class TokenStore:
    """Load and save one account's refresh token (see the module docstring)."""

    def __init__(self, account: str, file: Path | None = None) -> None:
        self.account = account
        self._file = file

    @property
    def file(self) -> Path:
        """The fallback file (its directory is made on first use)."""
        if self._file is None:
            from tui_mail.paths import oauth2_token_file

            self._file = oauth2_token_file(self.account)
        return self._file

    def load(self) -> StoredGrant | None:
        """The stored grant (keyring first, then the file), or None."""
        raw = _keyring_get(self.account)
        source: Source = "keyring"
        if raw is None:
            source = "file"
            try:
                raw = self.file.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise ConfigError(
                    str(self.file), "", f"cannot read the token file: {exc.strerror}"
                ) from None
        try:
            data = json.loads(raw)
            token = str(data["refresh_token"])
            scopes = tuple(str(s) for s in data.get("scopes", ()))
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("%s: the stored OAuth2 token is unreadable; sign in again", self.account)
            return None
        return StoredGrant(token, scopes, source)

    def save(self, refresh_token: str, scopes: tuple[str, ...]) -> Source:
        """Store ``refresh_token`` in place of any older one; where it went."""
        raw = json.dumps({"refresh_token": refresh_token, "scopes": list(scopes)})
        if _keyring_set(self.account, raw):
            self._remove_file()  # an older fallback copy must not outlive the rotation
            return "keyring"
        with _warn_lock:
            first = self.account not in _warned
            _warned.add(self.account)
        if first:
            log.warning(
                "%s: no keyring backend; the OAuth2 refresh token is kept in %s (mode 0600)",
                self.account,
                self.file,
            )
        from tui_mail.paths import write_private_file

        write_private_file(self.file, raw)
        return "file"

    def forget(self) -> None:
        """Remove the stored token, keyring entry and file (setup gave the account up)."""
        _keyring_delete(self.account)
        self._remove_file()

    def _remove_file(self) -> None:
        try:
            self.file.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("%s: cannot remove the old token file: %s", self.account, exc.strerror)


def _usable_keyring() -> bool:
    from tui_mail.secrets import keyring_status

    return keyring_status().available


def _keyring_get(account: str) -> str | None:
    if not _usable_keyring():
        return None
    try:
        import keyring
        from keyring.errors import KeyringError

        return keyring.get_password(KEYRING_SERVICE, keyring_user(account))
    except (ImportError, KeyringError) as exc:
        log.info("%s: keyring lookup failed: %s", account, type(exc).__name__)
        return None


def _keyring_set(account: str, raw: str) -> bool:
    if not _usable_keyring():
        return False
    try:
        import keyring
        from keyring.errors import KeyringError

        keyring.set_password(KEYRING_SERVICE, keyring_user(account), raw)
    except (ImportError, KeyringError) as exc:
        log.warning("%s: cannot store in the keyring (%s)", account, type(exc).__name__)
        return False
    return True


def _keyring_delete(account: str) -> None:
    if not _usable_keyring():
        return
    try:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            keyring.delete_password(KEYRING_SERVICE, keyring_user(account))
        except PasswordDeleteError:
            pass  # nothing was stored there
    except (ImportError, KeyringError) as exc:
        log.warning("%s: cannot remove from the keyring (%s)", account, type(exc).__name__)
