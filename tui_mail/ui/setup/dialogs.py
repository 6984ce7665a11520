"""The setup screen's two questions: trust this certificate? and the password.

Both are modal dialogs on the shared :class:`FormDialog` (Enter submits, Escape
dismisses with ``None``). The certificate's subject and issuer come from the
server, so they are shown sanitised, as plain ``Text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui_mail.backend import CertificateInfo
from tui_mail.mail.sanitize import clean_line
from tui_mail.ui.screens.dialogs import FormDialog, dialog_css


class TrustCertificateScreen(FormDialog[bool]):
    """Show a certificate that did not verify; dismisses True when the user trusts it."""

    DEFAULT_CSS = (
        dialog_css("TrustCertificateScreen")
        + """
    TrustCertificateScreen > Vertical { width: 96; }
    TrustCertificateScreen #cert-error { color: $warning; margin-bottom: 1; }
    TrustCertificateScreen #cert-details { margin-bottom: 1; }
    """
    )

    FIRST_FOCUS = "#cert-trust"

    def __init__(self, info: CertificateInfo) -> None:
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        info = self.info
        with Vertical():
            title = Text("The certificate of ", end="")
            title.append(f"{clean_line(info.host, 253)}:{info.port}", style="bold")
            title.append(" is not trusted")
            yield Static(title, classes="dialog-title")
            yield Static(Text(clean_line(info.error or "it does not verify", 500)), id="cert-error")
            details = Text()
            for name, value in (
                ("Subject", info.subject),
                ("Issuer", info.issuer),
                ("SHA-256", info.fingerprint.removeprefix("sha256:")),
            ):
                details.append(f"{name:<9}", style="bold")
                details.append(clean_line(value, 400) + "\n")
            details.append(
                "Trust it only if this is your own server and the fingerprint is the one it "
                "shows. Only exactly this certificate will be accepted (it is pinned in the "
                "config as cert_fingerprint)."
            )
            yield Static(details, id="cert-details")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Do not trust", id="cert-refuse")
                yield Button(
                    "Trust this certificate",
                    id="cert-trust",
                    variant="warning",
                    classes="dialog-ok",
                )

    def submit(self) -> None:
        self.dismiss(True)


@dataclass(frozen=True)
class PasswordChoice:
    """Where the password comes from: typed (kept in the keyring) or a command."""

    password: str = field(default="", repr=False)  # never in a repr, a log or a traceback
    command: str = ""


class SetupPasswordScreen(FormDialog[PasswordChoice | None]):
    """Ask for the account's password, or a command that prints it.

    ``hint`` is the provider's note (e.g. that an app password is needed);
    without a keyring backend only the command can be kept.
    """

    DEFAULT_CSS = (
        dialog_css("SetupPasswordScreen")
        + """
    SetupPasswordScreen > Vertical { width: 84; }
    SetupPasswordScreen .setup-hint { color: $text-muted; margin-bottom: 1; }
    SetupPasswordScreen #setup-password-problem { color: $warning; }
    """
    )

    FIRST_FOCUS = "#setup-password"

    def __init__(self, email: str, hint: str, *, keyring_available: bool) -> None:
        super().__init__()
        self.email = email
        self.hint = hint
        self.keyring_available = keyring_available

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Password for ", end="")
            title.append(clean_line(self.email, 320), style="bold")
            yield Static(title, classes="dialog-title")
            if self.hint:
                yield Static(Text(clean_line(self.hint, 500)), classes="setup-hint")
            where = (
                "It is stored in your keyring."
                if self.keyring_available
                else "No keyring on this system: give a password command instead."
            )
            yield Static(Text(where), classes="setup-hint")
            yield Input(
                password=True,
                placeholder="password",
                id="setup-password",
                disabled=not self.keyring_available,
            )
            yield Static(Text("or a command that prints it:"))
            yield Input(placeholder="e.g. pass show mail/jo", id="setup-password-command")
            yield Static(Text(""), id="setup-password-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="setup-password-cancel")
                yield Button("OK", variant="primary", classes="dialog-ok")

    def on_mount(self) -> None:
        first = "#setup-password" if self.keyring_available else "#setup-password-command"
        self.query_one(first, Input).focus()

    def submit(self) -> None:
        password = self.query_one("#setup-password", Input).value
        command = self.query_one("#setup-password-command", Input).value.strip()
        if password and command:
            self._problem("Type a password or a command, not both.")
        elif password:
            self.dismiss(PasswordChoice(password=password))
        elif command:
            self.dismiss(PasswordChoice(command=command))
        else:
            self._problem("Type the password first.")

    def _problem(self, text: str) -> None:
        self.query_one("#setup-password-problem", Static).update(Text(text))
