"""The first-run screen: from an email address to a tested account in the config.

Email + Enter looks the settings up (discovery on a thread, bounded by its own
3 s deadline) and shows at once what it proposes, every field editable:
the incoming server (IMAP or POP3) and SMTP, and the sign-in. The user adds a
display name, then Enter (or "Test and save") runs the steps of
:meth:`SetupScreen.test_and_save`: certificates that do not verify are shown
and may be trusted (pinned), the password is asked for (or, for OAuth2, the
account signs in: ``ui/setup/oauth.py``), the live test runs, and only when
all passed are the password stored and the config written (0600, atomically).
Escape at any step dismisses with ``None``; the password is stored only in
the last step, and an OAuth2 token stored by the sign-in is removed again
when the setup does not end with the config written.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Log, Select, Static
from textual.worker import Worker, WorkerState

from tui_mail.backend import (
    AccountProposal,
    discover_account,
    forget_new_account,
    inspect_certificate,
)
from tui_mail.config import Config
from tui_mail.config_writer import (
    NewAccount,
    OAuth2Entry,
    account_name_for,
    existing_accounts,
    prepare,
)
from tui_mail.errors import MailError
from tui_mail.mail.sanitize import clean_line
from tui_mail.secrets import Protocol
from tui_mail.ui.setup.check import live_test
from tui_mail.ui.setup.dialogs import PasswordChoice
from tui_mail.ui.setup.fields import FieldError, FieldHeadings, ServerFields
from tui_mail.ui.setup.oauth import SetupSignInScreen
from tui_mail.ui.setup.steps import Inspect, ask_password, save, trust_certificates

log = logging.getLogger(__name__)

Discover = Callable[[str], AccountProposal]

SIGN_IN = (
    ("Password", "password"),
    ("App password", "app-password"),
    ("OAuth2 with Google", "google"),
    ("OAuth2 with Microsoft", "microsoft"),
)
OAUTH2 = ("google", "microsoft", "generic")


class SetupScreen(Screen[Path | None]):
    """``SetupScreen(config_path, discover=..., inspect=...)``: dismisses with the written path.

    ``discover`` and ``inspect`` default to the backend's (tests give them a
    local resolver and autoconfig server). ``generic_oauth2`` (tests: the local
    authorization server) adds a "generic" OAuth2 sign-in whose ``[oauth2]``
    table gets these keys (endpoints, scopes). The config at ``config_path`` may
    exist: the account is added to it, its comments kept.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]

    DEFAULT_CSS = """
    SetupScreen { padding: 1 2; }
    SetupScreen .setup-title { text-style: bold; margin-bottom: 1; }
    SetupScreen .setup-row { height: 3; }
    SetupScreen .setup-row Label { width: 16; padding: 1 1 0 0; }
    SetupScreen #email { width: 60; }
    SetupScreen #setup-status { height: auto; margin: 0 0 1 16; color: $text-muted; }
    SetupScreen #setup-status.problem { color: $warning; }
    SetupScreen .setup-heading { text-style: bold; margin-top: 1; }
    SetupScreen #setup-proposal { height: auto; display: none; }
    SetupScreen #setup-proposal.shown { display: block; }
    SetupScreen #signin { width: 30; }
    SetupScreen #signin-hint { width: 1fr; padding: 1 0 0 1; color: $text-muted; }
    SetupScreen #oauth-row { display: none; }
    SetupScreen #oauth-row.shown { display: block; }
    SetupScreen #oauth-row Input { width: 1fr; }
    SetupScreen #display-name { width: 60; }
    SetupScreen .setup-buttons { height: 3; margin-top: 1; }
    SetupScreen .setup-buttons Button { margin-right: 2; }
    SetupScreen #setup-log { height: 12; border: round $panel; display: none; }
    SetupScreen #setup-log.shown { display: block; }
    """

    def __init__(
        self,
        config_path: Path,
        *,
        discover: Discover | None = None,
        inspect: Inspect | None = None,
        generic_oauth2: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__()
        self.generic_oauth2 = dict(generic_oauth2 or {})
        self.sign_in_choices = SIGN_IN + ((("OAuth2", "generic"),) if generic_oauth2 else ())
        self._signed_in = ""
        """The account signed in (its token stored) but not yet saved: forgotten on Escape."""
        self.config_path = config_path
        self.discover: Discover = discover or discover_account
        self.inspect: Inspect = inspect or inspect_certificate
        self.proposal: AccountProposal | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("tui-mail: set up a mail account", classes="setup-title")
            with Horizontal(classes="setup-row"):
                yield Label("Email address")
                yield Input(placeholder="you@example.org", id="email")
            yield Static(
                Text("Type your address and press Enter: tui-mail looks up the settings."),
                id="setup-status",
            )
            with Vertical(id="setup-proposal"):
                yield Static("Incoming mail", classes="setup-heading")
                yield FieldHeadings()
                yield ServerFields("incoming")
                yield Static(
                    "Sending (SMTP; leave the host empty to only read)", classes="setup-heading"
                )
                yield ServerFields("smtp")
                with Horizontal(classes="setup-row"):
                    yield Label("Sign-in")
                    yield Select(self.sign_in_choices, value="password", allow_blank=False, id="signin")
                    yield Static("", id="signin-hint")
                with Horizontal(classes="setup-row", id="oauth-row"):
                    yield Label("OAuth2 app")
                    yield Input(placeholder="client id of your registered app", id="client-id")
                    yield Input(placeholder="client secret (Google)", id="client-secret")
                with Horizontal(classes="setup-row"):
                    yield Label("Your name")
                    yield Input(placeholder="shown in From:", id="display-name")
                with Horizontal(classes="setup-buttons"):
                    yield Button("Test and save", id="setup-go", variant="primary")
                    yield Button("Cancel", id="setup-cancel")
            yield Log(id="setup-log", highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#email", Input).focus()

    # ------------------------------------------------------------------ events

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "email":
            self.look_up(event.value.strip())
        elif self.query_one("#setup-proposal").has_class("shown") and not self.busy:
            self.test_and_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "setup-go":
            if not self.busy:  # a second Enter must not start a second test beside the first
                self.test_and_save()
        else:
            self.action_cancel()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "signin":
            oauth = event.value in OAUTH2
            self.query_one("#oauth-row").set_class(oauth, "shown")
            self._sign_in_hint()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A step that failed unexpectedly is logged (no locals) and said in one line."""
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            error = worker.error
            log.error("setup step %s failed", worker.name, exc_info=error)
            self._status(f"Setup stopped: {type(error).__name__}: {error}", problem=True)

    def action_cancel(self) -> None:
        """Escape: leave without writing anything (a running step is cancelled)."""
        self.workers.cancel_all()
        if self._signed_in:  # signed in, not saved: the token goes (the keyring may block)
            threading.Thread(target=forget_new_account, args=(self._signed_in,)).start()
            self._signed_in = ""
        self.dismiss(None)

    # ------------------------------------------------------------------ discovery

    @work(exclusive=True, group="setup-discover", exit_on_error=False)
    async def look_up(self, email: str) -> None:
        """Ask discovery for ``email``'s settings (on a thread) and show the proposal."""
        if "@" not in email:
            self._status("Type a whole address, like jo@example.org.", problem=True)
            return
        self._status(f"Looking up the settings for {email}...")
        try:
            proposal = await asyncio.to_thread(self.discover, email)
        except (MailError, ValueError, OSError) as exc:
            self.proposal = None
            self._status(f"{exc} Type the servers below by hand.", problem=True)
            self._show_proposal(focus="#incoming-host")
            return
        self.proposal = proposal
        self.query_one("#incoming", ServerFields).load(proposal.incoming)
        if proposal.smtp is not None:
            self.query_one("#smtp", ServerFields).load(proposal.smtp)
        signin = proposal.oauth2_provider or (
            "app-password" if "app password" in proposal.password_hint.lower() else "password"
        )
        self.query_one("#signin", Select).value = signin
        if proposal.display_name_hint and not self.query_one("#display-name", Input).value:
            self.query_one("#display-name", Input).value = clean_line(
                proposal.display_name_hint, 200
            )
        notes = " ".join(clean_line(n, 300) for n in proposal.notes)
        self._status(f"Found ({clean_line(proposal.incoming.source, 200)}). {notes}".strip())
        self._sign_in_hint()
        self._show_proposal(focus="#display-name")

    def _show_proposal(self, *, focus: str) -> None:
        self.query_one("#setup-proposal").add_class("shown")
        self.query_one(focus).focus()

    def _sign_in_hint(self) -> None:
        choice = self.query_one("#signin", Select).value
        hint = self.proposal.password_hint if self.proposal else ""
        if choice in OAUTH2:
            hint = "You sign in (browser or code) before the live test; nothing is saved until it passes."
        self.query_one("#signin-hint", Static).update(Text(clean_line(hint, 300)))

    # ------------------------------------------------------------------ test and save

    @work(exclusive=True, group="setup-save", exit_on_error=False)
    async def test_and_save(self) -> None:
        """Certificates, password, live test; then store the password and write the config."""
        self.busy = True
        try:
            await self._test_and_save()
        finally:
            self.busy = False

    async def _test_and_save(self) -> None:
        try:
            incoming = self.query_one("#incoming", ServerFields)
            smtp = self.query_one("#smtp", ServerFields)
            email = self.query_one("#email", Input).value.strip()
            if "@" not in email:
                raise FieldError("email", "Type a whole address, like jo@example.org.")
            signin = str(self.query_one("#signin", Select).value)
            auth = self._auth(signin)
            oauth2 = self._oauth2(signin)
            entries = [incoming.read(auth=auth)]
            if self.query_one("#smtp-host", Input).value.strip():
                entries.append(smtp.read(auth=auth))
        except FieldError as problem:
            self._status(str(problem), problem=True)
            self.query_one(f"#{problem.field_id}").focus()
            return
        pins = await trust_certificates(self.app, self.inspect, entries, self._problem)
        if pins is None:
            return
        choice = PasswordChoice()
        if oauth2 is None:
            asked = await ask_password(
                self.app, email, self.proposal.password_hint if self.proposal else ""
            )
            if asked is None:
                self._status("No password given: nothing was saved.", problem=True)
                return
            choice = asked
        name = account_name_for(email, existing_accounts(self.config_path))
        entries = [
            replace(e, password_command=choice.command, cert_fingerprint=pin)
            for e, pin in zip(entries, pins, strict=True)
        ]
        account = NewAccount(
            name=name,
            email=email,
            display_name=self.query_one("#display-name", Input).value.strip(),
            incoming=entries[0],
            smtp=entries[1] if len(entries) > 1 else None,
            oauth2=oauth2,
        )
        try:
            text, config = await asyncio.to_thread(prepare, account, self.config_path)
        except MailError as exc:
            self._status(str(exc), problem=True)
            return
        if oauth2 is not None:
            self._status("Signing in...")
            signed_in = await self.app.push_screen_wait(SetupSignInScreen(config, name, email))
            if not signed_in:
                self._status("Not signed in: nothing was saved.", problem=True)
                return
            self._signed_in = name
        if not await self._live_test(config, name, choice):
            await self._give_up_sign_in()
            return
        protocol: Protocol = "pop3" if entries[0].protocol == "pop3" else "imap"
        failed = await save(self.config_path, name, protocol, choice, text)
        if failed:
            await self._give_up_sign_in()
            self._status(failed, problem=True)
        else:
            self._signed_in = ""
            self.dismiss(self.config_path)

    async def _give_up_sign_in(self) -> None:
        """A sign-in whose account is not saved: its token is removed (a new test signs in again)."""
        if self._signed_in:
            await asyncio.to_thread(forget_new_account, self._signed_in)
            self._signed_in = ""

    def _auth(self, signin: str) -> str:
        if signin not in OAUTH2:
            return "password"
        proposed = self.proposal.incoming.auth if self.proposal else "password"
        return proposed if proposed != "password" else "xoauth2"

    def _oauth2(self, signin: str) -> OAuth2Entry | None:
        if signin not in OAUTH2:
            return None
        client_id = self.query_one("#client-id", Input).value.strip()
        if not client_id:
            raise FieldError(
                "client-id", "OAuth2 needs the client id of the app you registered (see README)."
            )
        secret = self.query_one("#client-secret", Input).value.strip()
        extra = self.generic_oauth2 if signin == "generic" else {}
        return OAuth2Entry(signin, client_id, secret, dict(extra))

    async def _live_test(self, config: Config, name: str, choice: PasswordChoice) -> bool:
        log = self.query_one("#setup-log", Log)
        log.clear()
        log.add_class("shown")
        self._status("Testing the connection...")

        def show(line: str) -> None:
            try:
                self.app.call_from_thread(log.write_line, line)
            except RuntimeError:  # the app is gone (Escape, then quit): nobody to show it to
                pass

        failures = await asyncio.to_thread(live_test, config, name, choice.password or None, show)
        if failures:
            self._status(
                f"{failures} problem(s): fix the settings and press Enter to test again.",
                problem=True,
            )
            return False
        return True

    def _problem(self, text: str, problem: bool) -> None:
        self._status(text, problem=problem)

    def _status(self, text: str, *, problem: bool = False) -> None:
        status = self.query_one("#setup-status", Static)
        status.update(Text(clean_line(text, 600)))
        status.set_class(problem, "problem")
