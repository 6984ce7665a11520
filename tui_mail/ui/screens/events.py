"""What the main screen remembers between backend events (DESIGN.md section 1).

The main screen matches each :class:`BackendEvent` itself (``MainScreen.apply_event``);
this module holds the state that outlives one event and decides what a change of
an account's connection state asks for, without touching a widget or the screen:
:class:`AccountStates` records each account's state and answers with an
:class:`StateChange` (ask for the password? ask again for what failed while the
account was down?). Plain Python, so it is tested without an app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui_mail.backend import (
    AccountState,
    AccountStateChanged,
    OutboxChanged,
    QueuedActionFailed,
)
from tui_mail.mail.sanitize import clean_line

_RECOVERED_FROM = (AccountState.AUTH_FAILED, AccountState.OFFLINE)


@dataclass(frozen=True)
class StateChange:
    """What the screen should do about one ``AccountStateChanged``."""

    ask_password: bool = False
    """The login was refused and no password dialog is open for the account yet."""
    retry: bool = False
    """The account is back online after being down: jobs asked for meanwhile failed."""


class AccountStates:
    """Each account's connection state, and which accounts wait for a password."""

    def __init__(self) -> None:
        self.states: dict[str, tuple[AccountState, str, float]] = {}
        """Account -> (state, reason, time of the next attempt while offline)."""
        self._asking_password: set[str] = set()
        self._down: set[str] = set()
        """Accounts that were offline or refused since they were last online."""

    def fields(self, account: str) -> dict[str, Any]:
        """The status bar fields for an account's connection state."""
        state, reason, retry_at = self.states.get(account, (AccountState.CONNECTING, "", 0.0))
        return {"state": state, "reason": reason, "retry_at": retry_at}

    def changed(self, event: AccountStateChanged) -> StateChange:
        """Record a new state; say whether to ask for the password or to ask again."""
        self.states[event.account] = (event.state, event.reason, event.retry_at)
        ask = event.state is AccountState.AUTH_FAILED and event.account not in self._asking_password
        if ask:
            self._asking_password.add(event.account)  # once per failure, not per event
        retry = False
        if event.state in _RECOVERED_FROM:
            self._down.add(event.account)
        elif event.state is AccountState.ONLINE and event.account in self._down:
            self._down.discard(event.account)
            retry = True
        return StateChange(ask_password=ask, retry=retry)

    def password_answered(self, account: str) -> None:
        """The password dialog of ``account`` closed: a later refusal asks again."""
        self._asking_password.discard(account)


def send_failure_text(event: OutboxChanged) -> str:
    """The toast for a failed send (the error is network text, so sanitised)."""
    return "Sending failed; the message stays in the outbox: " + clean_line(event.last_error, 200)


def action_failed_text(event: QueuedActionFailed) -> str:
    """The toast for a queued action the server could not do (names from the server: sanitised)."""
    return (
        f"Not done on the server: {clean_line(event.action, 120)} — {clean_line(event.reason, 120)}"
    )
