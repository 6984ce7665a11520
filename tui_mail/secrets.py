"""Where passwords come from, in order (never logged, never shown).

For each account and protocol: ``password_command`` (run through the shell,
first line of stdout, 30 s timeout, its stderr in the error on failure), then
``password_env``, then the OS keyring (service ``tui-mail``, user
``<account>/imap``, ``<account>/pop3`` or ``<account>/smtp``; smtp falls back to
the account's incoming server), else
``None``: the UI asks. Every function here may block (a command, a keyring
daemon), so callers run them off the UI event loop.
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from typing import Literal

from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.errors import AuthError, ConfigError
from tui_mail.pop3_config import Pop3Config

Protocol = Literal["imap", "pop3", "smtp"]
KEYRING_SERVICE = "tui-mail"
COMMAND_TIMEOUT = 30.0

log = logging.getLogger(__name__)


def keyring_user(account: str, protocol: Protocol) -> str:
    """The keyring username under which a password is stored."""
    return f"{account}/{protocol}"


def _server(account: AccountConfig, protocol: Protocol) -> ServerConfig | Pop3Config:
    if protocol == "smtp" and account.smtp is not None:
        return account.smtp
    return account.incoming


def _incoming_protocol(account: AccountConfig) -> Protocol:
    return "pop3" if account.pop3 is not None else "imap"


def run_password_command(command: str, timeout: float = COMMAND_TIMEOUT) -> str:
    """Run ``command`` through the shell and return the first line of its stdout.

    Raises AuthError naming the command's failure (its stderr), never the secret.
    """
    try:
        done = subprocess.run(
            command,
            shell=True,
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise AuthError("password_command timed out", f"after {timeout:.0f} s: {command}") from None
    except OSError as exc:
        raise AuthError("password_command could not run", str(exc)) from None
    stderr = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        raise AuthError(
            f"password_command failed (exit {done.returncode})",
            stderr.splitlines()[-1] if stderr else command,
        )
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    if not lines or not lines[0]:
        raise AuthError("password_command printed nothing", stderr or command)
    return lines[0]


@dataclass(frozen=True)
class KeyringStatus:
    """Whether a usable keyring backend exists (probing it may block)."""

    available: bool
    note: str = ""


def keyring_status() -> KeyringStatus:
    """Check for a usable keyring backend; a headless machine usually has none."""
    try:
        import keyring
        from keyring.backends import fail, null
    except Exception as exc:  # an optional backend failing to import must not stop the app
        return KeyringStatus(False, f"keyring unavailable: {exc}")
    backend = keyring.get_keyring()
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return KeyringStatus(False, "no keyring backend on this machine; use password_command")
    return KeyringStatus(True)


def _from_keyring(account: str, protocol: Protocol) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError, NoKeyringError
    except Exception as exc:  # keyring is optional at runtime; fall through to the prompt
        log.info("keyring not importable: %s", exc)
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_user(account, protocol))
    except NoKeyringError:
        log.info("no keyring backend; the password will be asked for")
    except KeyringError as exc:
        log.info("keyring lookup failed: %s", exc)
    return None


def get_password(account: AccountConfig, protocol: Protocol) -> str | None:
    """The password for ``account``'s ``protocol`` server, or None when the UI must ask.

    Raises AuthError when a configured source fails (command error, unset
    variable): the user must see why, not a prompt that hides it.
    """
    server = _server(account, protocol)
    if server.password_command:
        return run_password_command(server.password_command)
    if server.password_env:
        value = os.environ.get(server.password_env)
        if value is None:
            raise AuthError(
                "password not found", f"environment variable {server.password_env} is not set"
            )
        return value
    found = _from_keyring(account.name, protocol)
    if found is None and protocol == "smtp":
        found = _from_keyring(account.name, _incoming_protocol(account))
    return found


def store_password(account: str, protocol: Protocol, password: str) -> None:
    """Save a password in the keyring; ConfigError when there is no backend."""
    try:
        import keyring
        from keyring.errors import KeyringError

        keyring.set_password(KEYRING_SERVICE, keyring_user(account, protocol), password)
    except (ImportError, KeyringError) as exc:
        raise ConfigError(
            "keyring", f"{account}/{protocol}", f"cannot store the password: {exc}"
        ) from None


def forget_password(account: str, protocol: Protocol) -> None:
    """Remove a stored password from the keyring (setup undoing its own store); quiet if absent."""
    try:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        keyring.delete_password(KEYRING_SERVICE, keyring_user(account, protocol))
    except PasswordDeleteError:
        return
    except (ImportError, KeyringError) as exc:
        log.warning("could not remove the keyring entry %s: %s", keyring_user(account, protocol), exc)
