"""Setup's OAuth2 step: sign the new account in before anything is written.

The dialog looks like the app's sign-in dialog (``SignInScreen``) and runs the
account's flow through the backend's ``sign_in_new_account`` on a thread; what
the flow says (the address to open, the device code) arrives through
``call_from_thread`` and is shown sanitised, as plain ``Text``. The paste flow
asks for the address the browser ended on: the dialog then shows an input and
the flow's thread waits for it. Cancel or Escape stops the flow; the backend
removes whatever it stored for the account, so nothing is left behind.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui_mail.backend import sign_in_new_account
from tui_mail.config import Config
from tui_mail.errors import MailError
from tui_mail.mail.sanitize import clean_line, clean_text
from tui_mail.ui.screens.dialogs import FormDialog, dialog_css


class SetupSignInScreen(FormDialog[bool | None]):
    """Sign ``account`` of ``config`` in; dismisses True once its token is stored, else None."""

    DEFAULT_CSS = (
        dialog_css("SetupSignInScreen")
        + """
    SetupSignInScreen > Vertical { width: 100; }
    SetupSignInScreen #setup-sign-in-error { color: $error; }
    SetupSignInScreen #setup-sign-in-paste { display: none; }
    SetupSignInScreen #setup-sign-in-paste.shown { display: block; }
    """
    )

    FIRST_FOCUS = "#setup-sign-in-cancel"

    def __init__(self, config: Config, account: str, email: str) -> None:
        super().__init__()
        self.config = config
        self.account = account
        self.email = email
        self.prompts: list[str] = []
        self.cancel = threading.Event()
        self._pasted: queue.Queue[str] = queue.Queue()

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Sign in to ", end="")
            title.append(clean_line(self.email, 320), style="bold")
            yield Static(title, classes="dialog-title")
            yield Static(Text("Starting the sign-in..."), id="setup-sign-in-prompt")
            yield Input(placeholder="the address the browser ended on", id="setup-sign-in-paste")
            yield Static(Text(""), id="setup-sign-in-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="setup-sign-in-cancel")
                yield Button("OK", variant="primary", classes="dialog-ok")

    def on_mount(self) -> None:
        super().on_mount()
        self.run_flow()

    @work(thread=True, exit_on_error=False, group="setup-sign-in")
    def run_flow(self) -> None:
        """The flow, off the loop; its outcome comes back with ``call_from_thread``."""
        try:
            sign_in_new_account(
                self.config, self.account, self._show, self._ask, cancel=self.cancel
            )
        except MailError as exc:
            if not self.cancel.is_set():
                self._from_thread(self._failed, str(exc))
            return
        self._from_thread(self.dismiss, True)

    def _from_thread(self, call: object, *args: object) -> None:
        try:
            self.app.call_from_thread(call, *args)  # type: ignore[arg-type]
        except RuntimeError:  # the app is gone: nobody to tell
            pass

    def _show(self, text: str) -> None:
        self._from_thread(self.show_prompt, text)

    def _ask(self, prompt: str) -> str:
        self._from_thread(self._want_paste)
        return self._pasted.get()

    def show_prompt(self, text: str) -> None:
        """Show what the flow says (an address, a code), as plain text."""
        self.prompts.append(text)
        shown = Text(clean_text("\n".join(self.prompts[-3:])))
        self.query_one("#setup-sign-in-prompt", Static).update(shown)

    def _want_paste(self) -> None:
        paste = self.query_one("#setup-sign-in-paste", Input)
        paste.add_class("shown")
        paste.focus()

    def _failed(self, text: str) -> None:
        self.query_one("#setup-sign-in-error", Static).update(
            Text(f"Sign-in failed: {clean_line(text, 500)}. Nothing was saved.")
        )

    def submit(self) -> None:
        """Enter / OK: hand the pasted address to the paste flow (other flows need none)."""
        paste = self.query_one("#setup-sign-in-paste", Input)
        if paste.has_class("shown") and paste.value.strip():
            paste.remove_class("shown")
            self._pasted.put(paste.value.strip())

    def dismiss(self, result: bool | None = None) -> Any:
        if result is None:
            self.cancel.set()
            self._pasted.put("")  # a waiting paste flow ends (refused: no code)
        return super().dismiss(result)
