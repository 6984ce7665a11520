"""The password prompt, shown when an account has no password or the server refused it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Static

from tui_mail.backend import MailService
from tui_mail.mail.sanitize import clean_line
from tui_mail.ui.screens.dialogs import FormDialog, dialog_css

NO_KEYRING_HINT = (
    "No keyring is available on this system, so the password is kept for this "
    "session only. To avoid typing it each time, set password_command in the "
    'account\'s config, e.g. password_command = "pass show mail/work".'
)


class PasswordScreen(FormDialog[tuple[str, bool] | None]):
    """Ask for an account's password.

    ``PasswordScreen(account, *, server_message="", keyring_available=True)``:
    ``server_message`` is what the server said when it refused the last login
    (shown sanitised); ``keyring_available`` is decided by the caller (probing
    the keyring blocks, so it happens off the loop): when False the "store in
    keyring" box is disabled and a hint explains ``password_command``.

    Dismisses with ``(password, remember)`` on Enter or OK (an empty password
    is refused with a note), ``None`` on Escape or Cancel.
    """

    DEFAULT_CSS = (
        dialog_css("PasswordScreen")
        + """
    PasswordScreen #password-refused { color: $error; margin-bottom: 1; }
    PasswordScreen #password-hint { color: $text-muted; margin-top: 1; }
    PasswordScreen #password-empty { color: $warning; }
    """
    )

    FIRST_FOCUS = "#password-input"

    def __init__(
        self, account: str, *, server_message: str = "", keyring_available: bool = True
    ) -> None:
        super().__init__()
        self.account = account
        self.server_message = server_message
        self.keyring_available = keyring_available

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Password for ", end="")
            title.append(clean_line(self.account, 200), style="bold")
            yield Static(title, classes="dialog-title")
            if self.server_message:
                refused = Text("The server refused the login: ", end="")
                refused.append(clean_line(self.server_message, 500))
                yield Static(refused, id="password-refused")
            yield Input(password=True, placeholder="password", id="password-input")
            yield Static(Text(""), id="password-empty")
            yield Checkbox(
                "Store in keyring",
                value=False,
                id="password-remember",
                disabled=not self.keyring_available,
            )
            if not self.keyring_available:
                yield Static(Text(NO_KEYRING_HINT), id="password-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="password-cancel")
                yield Button("OK", id="password-ok", variant="primary", classes="dialog-ok")

    def submit(self) -> None:
        """Dismiss with ``(password, remember)``; an empty password is refused with a note."""
        password = self.query_one("#password-input", Input).value
        if not password:
            self.query_one("#password-empty", Static).update(Text("Type a password first."))
            return
        remember = self.keyring_available and self.query_one("#password-remember", Checkbox).value
        self.dismiss((password, remember))


def ask_password(
    app: App[Any],
    service: MailService,
    account: str,
    reason: str,
    *,
    closed: Callable[[], None],
    run: Callable[[Awaitable[None]], object],
) -> None:
    """Ask for ``account``'s password, then hand it to the service off the loop.

    ``closed()`` is called when the dialog goes (answered or not); ``run(job)`` runs
    the ``set_password`` call (it may probe the keyring, which blocks) in a worker.
    """

    def answered(result: tuple[str, bool] | None) -> None:
        closed()
        if result is not None:
            password, remember = result
            run(asyncio.to_thread(service.set_password, account, password, remember))

    app.push_screen(PasswordScreen(account, server_message=reason), answered)
