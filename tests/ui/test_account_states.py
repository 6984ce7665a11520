"""AccountStates: what a change of an account's connection state asks the screen for."""

from __future__ import annotations

from tui_mail.backend import AccountState, AccountStateChanged
from tui_mail.ui.screens.events import AccountStates, StateChange


def _changed(states: AccountStates, state: AccountState, reason: str = "") -> StateChange:
    return states.changed(AccountStateChanged("work", state, reason))


def test_a_refusal_asks_for_the_password_once_until_the_dialog_closes() -> None:
    states = AccountStates()
    assert _changed(states, AccountState.AUTH_FAILED, "bad").ask_password
    assert not _changed(states, AccountState.AUTH_FAILED, "bad").ask_password
    states.password_answered("work")
    assert _changed(states, AccountState.AUTH_FAILED, "bad").ask_password
    assert states.fields("work") == {
        "state": AccountState.AUTH_FAILED,
        "reason": "bad",
        "retry_at": 0.0,
    }


def test_back_online_after_being_down_asks_again_once() -> None:
    states = AccountStates()
    assert not _changed(states, AccountState.ONLINE).retry  # first connection: nothing failed
    _changed(states, AccountState.OFFLINE, "refused")
    assert _changed(states, AccountState.ONLINE).retry
    assert not _changed(states, AccountState.ONLINE).retry


def test_an_unknown_account_is_connecting() -> None:
    assert AccountStates().fields("other") == {
        "state": AccountState.CONNECTING,
        "reason": "",
        "retry_at": 0.0,
    }
