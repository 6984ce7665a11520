"""CommandConnection.reconnected_quietly: when a lost session needs no OFFLINE (issue 14 item 5).

No sockets: ``ImapSession.open`` is replaced by a fake and the clock is the
test's, to reach what the servers in ``tests/oauth2/test_token_expiry.py``
take a minute to show (a BYE 61 s after the last one is quiet again) and
failures no server gives on cue (the reconnect itself failing).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tui_mail.backend.account import connection as module
from tui_mail.backend.account.connection import QUIET_RECONNECT_EVERY, CommandConnection
from tui_mail.backend.auth.tokens import AccessToken, OAuth2Credential
from tui_mail.config import AccountConfig, parse_config
from tui_mail.errors import ConnectionLost

CONFIG = """
[accounts.work]
email = "alice@example.org"
[accounts.work.imap]
host = "imap.example.org"
auth = "{auth}"
"""
OAUTH2 = '[accounts.work.oauth2]\nprovider = "microsoft"\nclient_id = "abc"\n'
EXPIRED = ConnectionLost("connection lost", "command: SELECT => [UNAVAILABLE] accesstokenEXPIRED")


def account(auth: str = "xoauth2") -> AccountConfig:
    text = CONFIG.format(auth=auth) + (OAUTH2 if auth != "password" else "")
    return parse_config(text, Path("config.toml")).account()


class FakeTokens:
    """Stands in for TokenManager: counts the forced refreshes."""

    def __init__(self) -> None:
        self.rejected_tokens: list[AccessToken] = []

    def rejected(self, token: AccessToken) -> AccessToken:
        self.rejected_tokens.append(token)
        return AccessToken("new", time.time() + 3600, ())


class FakeSession:
    def __init__(self, token: AccessToken | None) -> None:
        self.login_token = token
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True


class Opener:
    """``ImapSession.open``: each call a new FakeSession, or the error it is told to raise."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail: Exception | None = None

    def __call__(self, account, password, **kwargs) -> FakeSession:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        token = AccessToken(f"t{self.calls}", time.time() + 3600, ())
        return FakeSession(token if isinstance(password, OAuth2Credential) else None)


@pytest.fixture
def opener(monkeypatch: pytest.MonkeyPatch) -> Opener:
    fake = Opener()
    monkeypatch.setattr(module.ImapSession, "open", fake)
    return fake


def connected(auth: str = "xoauth2") -> tuple[CommandConnection, FakeTokens, list[float]]:
    tokens = FakeTokens()
    now = [1000.0]
    credential = OAuth2Credential(tokens, 0) if auth != "password" else "secret"  # type: ignore[arg-type]
    conn = CommandConnection(account(auth), lambda _a: credential, 10.0, clock=lambda: now[0])
    conn.open()
    return conn, tokens, now


def test_an_expired_token_bye_reconnects_with_a_forced_refresh(opener: Opener) -> None:
    conn, tokens, _now = connected()
    old = conn.session
    assert conn.reconnected_quietly(EXPIRED, conn.quiet_reconnects)  # any letter case
    assert conn.session is not None and conn.session is not old and old.aborted
    assert tokens.rejected_tokens == [old.login_token]  # the token it logged in with
    assert opener.calls == 2 and conn.quiet_reconnects == 1 and conn.online.is_set()


def test_one_quiet_reconnect_per_60_s(opener: Opener) -> None:
    conn, _tokens, now = connected()
    assert conn.reconnected_quietly(EXPIRED, 0)
    now[0] += QUIET_RECONNECT_EVERY - 1
    assert not conn.reconnected_quietly(EXPIRED, 1)  # the worker goes OFFLINE now
    assert opener.calls == 2
    conn.open()  # the backoff's reconnect
    now[0] += 2
    assert conn.reconnected_quietly(EXPIRED, 1)


@pytest.mark.parametrize(
    ("auth", "lost"),
    [
        ("password", EXPIRED),  # only OAuth2 sessions die of a token
        ("xoauth2", ConnectionLost("connection lost", "socket error: EOF")),
        ("xoauth2", ConnectionLost("connection lost", "command: SELECT => [UNAVAILABLE] bye")),
    ],
)
def test_anything_else_is_a_real_loss(opener: Opener, auth: str, lost: ConnectionLost) -> None:
    conn, tokens, _now = connected(auth)
    assert not conn.reconnected_quietly(lost, 0)
    assert opener.calls == 1 and tokens.rejected_tokens == []


def test_a_failed_reconnect_leaves_no_session_for_the_offline_way(opener: Opener) -> None:
    conn, _tokens, _now = connected()
    opener.fail = ConnectionLost("cannot reach imap.example.org:993", "refused")
    assert not conn.reconnected_quietly(EXPIRED, 0)
    assert conn.session is None and not conn.online.is_set()


def test_a_sync_whose_session_was_replaced_under_it_needs_no_offline(opener: Opener) -> None:
    """A quick job run between a sync's batches met the BYE; the sync then fails on the old session."""
    conn, _tokens, _now = connected()
    before = conn.quiet_reconnects  # the sync starts
    assert conn.reconnected_quietly(EXPIRED, conn.quiet_reconnects)  # the nested job
    lost_on_old = ConnectionLost("cannot reach imap.example.org:993", "Bad file descriptor")
    assert conn.reconnected_quietly(lost_on_old, before)
    assert opener.calls == 2  # no second reconnect
