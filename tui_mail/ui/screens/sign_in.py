"""The sign-in dialog of an OAuth2 account that "needs sign-in" (the in-app ``tui-mail login``).

It says why (the provider's words), and on "Sign in" asks the service to run
the account's flow; the address to open (the loopback flow also opens the
browser, from a backend thread) or the device code arrive as
``SignInPrompted`` events and are shown as plain text. Nothing here blocks the
loop: the service runs the flow on its own thread and the dialog awaits its
Future. Cancel gives the sign-in up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui_mail.backend import MailService, SignInPrompted
from tui_mail.errors import MailError
from tui_mail.mail.sanitize import clean_line, clean_text
from tui_mail.ui.screens.dialogs import FormDialog, dialog_css


class SignInScreen(FormDialog[bool | None]):
    """Sign ``account`` in again; dismisses with True once signed in, None when cancelled."""

    DEFAULT_CSS = (
        dialog_css("SignInScreen")
        + """
    SignInScreen #sign-in-reason { color: $warning; margin-bottom: 1; }
    SignInScreen #sign-in-error { color: $error; }
    """
    )

    FIRST_FOCUS = "#sign-in-ok"

    def __init__(self, account: str, service: MailService, reason: str = "") -> None:
        super().__init__()
        self.account = account
        self.service = service
        self.reason = reason
        self.prompts: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Sign in to ", end="")
            title.append(clean_line(self.account, 200), style="bold")
            yield Static(title, classes="dialog-title")
            if self.reason:
                yield Static(Text(clean_line(self.reason, 500)), id="sign-in-reason")
            yield Static(Text("Sign in with your browser or a code."), id="sign-in-prompt")
            yield Static(Text(""), id="sign-in-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="sign-in-cancel")
                yield Button("Sign in", id="sign-in-ok", variant="primary", classes="dialog-ok")

    def submit(self) -> None:
        """Start the flow (again); the prompts and the outcome come back on the loop."""
        self.query_one("#sign-in-error", Static).update(Text(""))
        self.query_one("#sign-in-ok", Button).disabled = True
        self.run_worker(self._sign_in(), group="sign-in", exclusive=True, exit_on_error=False)

    async def _sign_in(self) -> None:
        try:
            await asyncio.wrap_future(self.service.sign_in(self.account))
        except MailError as exc:
            self.query_one("#sign-in-error", Static).update(Text(clean_line(str(exc), 500)))
            self.query_one("#sign-in-ok", Button).disabled = False
            return
        self.app.notify(f"Signed in to {self.account}", markup=False)
        self.dismiss(True)

    def show_prompt(self, text: str) -> None:
        """Show what the running flow says (an address, a code), as plain text."""
        self.prompts.append(text)
        shown = Text(clean_text("\n".join(self.prompts[-3:])))
        self.query_one("#sign-in-prompt", Static).update(shown)

    def dismiss(self, result: bool | None = None) -> Any:
        if result is None:
            self.service.cancel_sign_in(self.account)
        return super().dismiss(result)


def ask_sign_in(
    app: App[Any],
    service: MailService,
    account: str,
    reason: str,
    *,
    closed: Callable[[], None],
    run: Callable[[Awaitable[None]], object],
) -> None:
    """Offer the sign-in dialog (the same call shape as ``password.ask_password``)."""
    app.push_screen(SignInScreen(account, service, reason), lambda _result: closed())


def show_sign_in_prompt(app: App[Any], event: SignInPrompted) -> None:
    """Hand a ``SignInPrompted`` to the account's open sign-in dialog (if any)."""
    for screen in app.screen_stack:
        if isinstance(screen, SignInScreen) and screen.account == event.account:
            screen.show_prompt(event.text)
