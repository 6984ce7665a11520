"""The refresh-token store, the access-token manager and the SASL exchange (issue 14, items 4-5).

No sockets: the token endpoint is replaced by a function that plays the provider.
"""

from __future__ import annotations

import json
import logging
import stat
import threading
import time
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from tui_mail.backend.auth import store as store_module
from tui_mail.backend.auth import tokens as tokens_module
from tui_mail.backend.auth.http import OAuth2Error, SignInNeeded
from tui_mail.backend.auth.sasl import SaslExchange, authenticate
from tui_mail.backend.auth.store import TokenStore
from tui_mail.backend.auth.tokens import AccessToken, OAuth2Credential, TokenManager
from tui_mail.config import parse_config
from tui_mail.errors import AuthError

CONFIG = """
[accounts.work]
email = "alice@example.org"
[accounts.work.imap]
host = "imap.example.org"
auth = "xoauth2"
[accounts.work.oauth2]
provider = "microsoft"
client_id = "client-1"
"""


def account():
    return parse_config(CONFIG, Path("c.toml")).account()


@pytest.fixture
def null_keyring():
    from keyring.backends.null import Keyring

    previous = keyring.get_keyring()
    keyring.set_keyring(Keyring())
    store_module._warned.clear()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    ring = PlaintextKeyring()
    monkeypatch.setattr(PlaintextKeyring, "file_path", str(tmp_path / "keyring.cfg"), raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


class Provider:
    """Plays a token endpoint: rotates refresh tokens, can answer invalid_grant."""

    def __init__(self, first_refresh: str = "rt-0") -> None:
        self.valid_refresh = first_refresh
        self.calls: list[dict[str, str]] = []
        self.count = 0
        self.revoked = False

    def __call__(self, url: str, fields: dict[str, str], timeout: float = 30.0) -> dict:
        self.calls.append(dict(fields))
        if self.revoked or fields["refresh_token"] != self.valid_refresh:
            raise SignInNeeded("invalid_grant", "AADSTS70008: the refresh token has expired")
        self.count += 1
        self.valid_refresh = f"rt-{self.count}"
        return {
            "access_token": f"at-{self.count}",
            "expires_in": 3600,
            "refresh_token": self.valid_refresh,
            "scope": "IMAP.AccessAsUser.All SMTP.Send",
        }


def test_file_fallback_is_0600_warns_once_and_rotation_replaces(tmp_path, null_keyring, caplog):
    store = TokenStore("work", tmp_path / "oauth2" / "work.json")
    caplog.set_level(logging.WARNING)
    assert store.save("refresh-A", ("s1",)) == "file"
    assert store.save("refresh-B", ("s1",)) == "file"
    warnings = [r for r in caplog.records if "no keyring backend" in r.getMessage()]
    assert len(warnings) == 1
    assert "refresh-" not in caplog.text
    mode = stat.S_IMODE(store.file.stat().st_mode)
    assert mode == 0o600
    loaded = store.load()
    assert loaded is not None and loaded.refresh_token == "refresh-B" and loaded.source == "file"
    assert "refresh-B" not in repr(loaded)
    assert [p.name for p in store.file.parent.iterdir()] == ["work.json"]  # no temp file left


def test_keyring_first_service_and_user(tmp_path, file_keyring):
    store = TokenStore("work", tmp_path / "work.json")
    assert store.save("refresh-K", ("s",)) == "keyring"
    raw = keyring.get_password("tui-mail", "work/oauth2")
    assert raw is not None and json.loads(raw)["refresh_token"] == "refresh-K"
    loaded = store.load()
    assert loaded is not None and loaded.source == "keyring"
    assert not store.file.exists()


def manager(tmp_path, provider: Provider, clock=time.time) -> TokenManager:
    store = TokenStore("work", tmp_path / "work.json")
    store.save(provider.valid_refresh, ())
    return TokenManager(account(), store, clock=clock)


def test_refresh_at_exp_minus_300_stores_the_rotated_token(tmp_path, null_keyring, monkeypatch):
    provider = Provider()
    monkeypatch.setattr(tokens_module, "post_form", provider)
    now = [1000.0]
    tokens = manager(tmp_path, provider, clock=lambda: now[0])
    first = tokens.token()
    assert first.value == "at-1" and first.expires_at == 4600.0
    assert tokens.store.load().refresh_token == "rt-1"  # rotated token stored at once
    now[0] = 4600.0 - 301
    assert tokens.token() is first  # still more than 300 s left
    now[0] = 4600.0 - 299
    second = tokens.token()
    assert second.value == "at-2" and provider.calls[-1]["refresh_token"] == "rt-1"
    assert provider.calls[-1]["client_id"] == "client-1"


def test_one_refresh_for_many_threads(tmp_path, null_keyring, monkeypatch):
    provider = Provider()
    gate = threading.Barrier(8)

    def slow(url, fields, timeout=30.0):
        time.sleep(0.05)
        return provider(url, fields)

    monkeypatch.setattr(tokens_module, "post_form", slow)
    tokens = manager(tmp_path, provider)
    seen: list[str] = []

    def take():
        gate.wait()
        seen.append(tokens.token().value)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == ["at-1"] * 8 and provider.count == 1


def test_invalid_grant_needs_sign_in_and_keeps_the_old_token(tmp_path, null_keyring, monkeypatch):
    provider = Provider()
    provider.revoked = True
    monkeypatch.setattr(tokens_module, "post_form", provider)
    tokens = manager(tmp_path, provider)
    with pytest.raises(SignInNeeded) as info:
        tokens.token()
    assert "AADSTS70008" in str(info.value) and "needs sign-in" in info.value.details
    assert tokens.sign_in_reason
    with pytest.raises(SignInNeeded):
        tokens.token()
    assert len(provider.calls) == 1  # the dead token is not tried again
    assert tokens.store.load().refresh_token == "rt-0"  # kept until a new sign-in works
    generation = tokens.generation
    tokens.signed_in({"access_token": "at-new", "refresh_token": "rt-new"}, ("s",))
    assert tokens.generation == generation + 1 and not tokens.sign_in_reason
    assert tokens.token().value == "at-new"
    assert tokens.store.load().refresh_token == "rt-new"


def test_a_sign_in_by_another_process_is_picked_up(tmp_path, null_keyring, monkeypatch):
    provider = Provider()
    provider.revoked = True
    monkeypatch.setattr(tokens_module, "post_form", provider)
    tokens = manager(tmp_path, provider)
    with pytest.raises(SignInNeeded):
        tokens.token()
    provider.revoked = False
    provider.valid_refresh = "rt-other"
    tokens.store.save("rt-other", ())  # as `tui-mail login` in another process would
    before = tokens.generation
    assert tokens.token().value == "at-1"
    assert tokens.generation == before + 1


def token(value: str) -> AccessToken:
    return AccessToken(value, time.time() + 3600, ())


def test_xoauth2_and_oauthbearer_initial_responses():
    x = SaslExchange("xoauth2", "alice@example.org", token("T0K"), "imap.example.org", 993)
    assert x() == "user=alice@example.org\x01auth=Bearer T0K\x01\x01"
    b = SaslExchange("oauthbearer", "a,b=c", token("T0K"), "imap.example.org", 993)
    assert (
        b(b"") == "n,a=a=2Cb=3Dc,\x01host=imap.example.org\x01port=993\x01auth=Bearer T0K\x01\x01"
    )
    assert "T0K" not in repr(x) and "T0K" not in repr(b)


def test_error_challenge_answered_and_kept():
    x = SaslExchange("xoauth2", "u", token("T"), "h", 1)
    x(None)
    assert x(b'{"status":"401","schemes":"bearer"}') == ""
    assert x.status == {"status": "401", "schemes": "bearer"} and x.token_refused
    b = SaslExchange("oauthbearer", "u", token("T"), "h", 1)
    b(b"")
    assert b(b'{"status":"invalid_scope"}') == "\x01"
    assert not b.token_refused


class FakeTokens:
    def __init__(self):
        self.current = token("old")
        self.refreshed = 0

    def token(self):
        return self.current

    def rejected(self, seen):
        self.refreshed += 1
        self.current = token(f"new-{self.refreshed}")
        return self.current


def run(server_says):
    fake = FakeTokens()
    sent: list[str] = []

    def attempt(exchange: SaslExchange):
        sent.append(exchange())
        status = server_says(len(sent))
        if status is not None:
            exchange(json.dumps(status).encode())
            raise AuthError("the server refused the login", "NO AUTHENTICATE failed")

    credential = OAuth2Credential(fake, 0)  # type: ignore[arg-type]
    return fake, sent, credential, attempt


def test_invalid_token_refreshes_once_and_retries_once():
    fake, sent, credential, attempt = run(lambda n: {"status": "invalid_token"} if n == 1 else None)
    authenticate(attempt, credential, "xoauth2", "u", "h", 1)
    assert fake.refreshed == 1 and len(sent) == 2 and "Bearer new-1" in sent[1]


def test_a_second_refusal_is_not_retried_and_shows_the_status():
    fake, sent, credential, attempt = run(lambda n: {"status": "invalid_token", "scope": "s"})
    with pytest.raises(AuthError) as info:
        authenticate(attempt, credential, "oauthbearer", "u", "h", 1)
    assert fake.refreshed == 1 and len(sent) == 2
    assert '"status": "invalid_token"' in info.value.details
    assert "new-1" not in str(info.value) and "old" not in info.value.details


def test_other_status_is_not_retried():
    fake, sent, credential, attempt = run(lambda n: {"status": "insufficient_scope"})
    with pytest.raises(AuthError):
        authenticate(attempt, credential, "xoauth2", "u", "h", 1)
    assert fake.refreshed == 0 and len(sent) == 1


def test_oauth2_error_names_error_and_description():
    error = OAuth2Error("access_denied", "AADSTS65004: User declined to consent")
    assert "access_denied" in str(error) and "AADSTS65004" in str(error)
