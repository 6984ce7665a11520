"""The setup screen's steps after the form: trust certificates, ask the password, save.

Each step runs in the screen's worker; everything that blocks (a TLS
handshake, the keyring, the file write) goes to a thread. :func:`save` is the
only step that leaves anything behind, and it runs last: the password goes
into the keyring, then the config is written, and a failed write takes the
password back out, so an aborted setup never leaves half of itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from textual.app import App

from tui_mail.backend import CertificateInfo
from tui_mail.config_writer import ServerEntry, write_config
from tui_mail.errors import MailError
from tui_mail.secrets import Protocol as MailProtocol
from tui_mail.secrets import forget_password, keyring_status, store_password
from tui_mail.ui.setup.dialogs import (
    PasswordChoice,
    SetupPasswordScreen,
    TrustCertificateScreen,
)


class Inspect(Protocol):
    """``inspect_certificate``'s shape: host, port, security, and the protocol for STARTTLS."""

    def __call__(
        self, host: str, port: int, security: str, *, protocol: str | None = None
    ) -> CertificateInfo: ...


Status = Callable[[str, bool], None]
"""``status(text, problem)``: what the screen's status line says."""


async def trust_certificates(
    app: App[Any], inspect: Inspect, entries: list[ServerEntry], status: Status
) -> list[str] | None:
    """A pin per entry ("" where the certificate verifies); None when the user refused one."""
    pins: list[str] = []
    for entry in entries:
        if entry.security == "none":
            pins.append("")
            continue
        status(f"Checking the certificate of {entry.host}:{entry.port}...", False)
        try:
            # The protocol, not the port, says how to reach STARTTLS (a test server's port is random).
            info = await asyncio.to_thread(
                inspect, entry.host, entry.port, entry.security, protocol=entry.protocol
            )
        except (MailError, OSError) as exc:  # the live test says it again, step by step
            status(f"{entry.host}: {exc}", True)
            pins.append("")
            continue
        if info.verified or not info.fingerprint:
            pins.append("")
            continue
        if not await app.push_screen_wait(TrustCertificateScreen(info)):
            status(f"The certificate of {entry.host} was not trusted: nothing was saved.", True)
            return None
        pins.append(info.fingerprint)
    return pins


async def ask_password(app: App[Any], email: str, hint: str) -> PasswordChoice | None:
    """The password (for the keyring) or a password command; None when the user gave up."""
    found = await asyncio.to_thread(keyring_status)  # probing a keyring daemon may block
    screen = SetupPasswordScreen(email, hint, keyring_available=found.available)
    result: PasswordChoice | None = await app.push_screen_wait(screen)
    return result


async def save(
    path: Path, name: str, protocol: MailProtocol, choice: PasswordChoice, text: str
) -> str:
    """Store the password, then write the config; "" when done, else what went wrong."""
    if choice.password:
        try:
            await asyncio.to_thread(store_password, name, protocol, choice.password)
        except MailError as exc:
            return str(exc)
    try:
        await asyncio.to_thread(write_config, path, text)
    except OSError as exc:
        if choice.password:
            await asyncio.to_thread(forget_password, name, protocol)
        return f"{path}: {exc.strerror or exc}"
    return ""
