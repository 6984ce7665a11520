"""The sign-in flows and SASL against the OAuth2 test bed (issue 14 must-shows 2 and 4).

The test plays the user: its "browser" follows the authorize URL (the server
approves at once) to the client's real loopback listener, or hands the
address it ended on to the paste flow, or approves a device code.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.oauth2.sign_in_helpers import approve_from
from tui_mail.backend.auth.flows import Pkce, exchange_code
from tui_mail.backend.auth.http import OAuth2Error
from tui_mail.backend.auth.login import choose_flow, sign_in
from tui_mail.backend.auth.tokens import AccessToken, OAuth2Credential, TokenManager
from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import load_config
from tui_mail.errors import AuthError

pytestmark = pytest.mark.integration


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def redirect_of(url: str) -> str:
    """GET the authorize URL; the address the server sends the browser on to."""
    try:
        urllib.request.build_opener(_NoRedirect).open(url, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302, exc.read()
        return exc.headers["Location"]
    raise AssertionError("the authorize endpoint did not redirect")


class Browser:
    """Follows the authorize URL to the loopback listener; optionally forges a wrong state first."""

    def __init__(self, forge: bool = False) -> None:
        self.forge = forge
        self.statuses: list[int] = []
        self.opened: list[str] = []

    def __call__(self, url: str) -> None:
        self.opened.append(url)
        location = redirect_of(url)
        if self.forge:
            parts = urllib.parse.urlsplit(location)
            query = dict(urllib.parse.parse_qsl(parts.query))
            forged = parts._replace(
                query=urllib.parse.urlencode({**query, "state": "not-the-clients"})
            )
            self.statuses.append(self._get(urllib.parse.urlunsplit(forged)))
        self.statuses.append(self._get(location))

    @staticmethod
    def _get(url: str) -> int:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code


def account_of(bed, tmp_path, **kwargs):
    return load_config(bed.config_toml(tmp_path, **kwargs)).account()


def manager(bed, tmp_path, **kwargs) -> TokenManager:
    return TokenManager(account_of(bed, tmp_path, **kwargs))


def test_loopback_flow_end_to_end_pkce_verified_wrong_state_refused(
    oauth_bed, tmp_path, transcript
):
    tokens = manager(oauth_bed, tmp_path)
    browser = Browser(forge=True)
    done = sign_in(
        tokens.account, transcript.append, flow="loopback", open_browser=browser, tokens=tokens
    )
    assert done.flow == "loopback" and done.source == "file"
    assert browser.statuses == [400, 200]  # the forged state refused, the real one taken
    assert oauth_bed.auth.pkce_verified == 1
    url = browser.opened[0]
    assert "code_challenge_method=S256" in url and "state=" in url
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in url
    assert url in "\n".join(transcript)  # shown as well as opened
    session = ImapSession.open(tokens.account, OAuth2Credential(tokens, tokens.generation))
    try:
        assert session.authenticated
    finally:
        session.logout()


def test_a_code_without_its_verifier_is_refused(oauth_bed, tmp_path):
    tokens = manager(oauth_bed, tmp_path)
    config = tokens.endpoints
    pkce = Pkce.make()
    from tui_mail.backend.auth.flows import authorize_url

    redirect = "http://127.0.0.1:9/"
    location = redirect_of(authorize_url(config, redirect, "s", pkce))
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["code"]
    with pytest.raises(OAuth2Error) as info:
        exchange_code(config, code, redirect, Pkce.make())  # another verifier
    assert info.value.error == "invalid_grant"
    assert oauth_bed.auth.pkce_verified == 0


def test_paste_flow_end_to_end(oauth_bed, tmp_path, transcript):
    tokens = manager(oauth_bed, tmp_path)
    shown: list[str] = []

    def ask(prompt: str) -> str:
        url = re.search(r"(http://\S+/authorize\S+)", "\n".join(shown)).group(1)
        return redirect_of(url)  # what the user copies from the browser's address bar

    def show(text: str) -> None:
        shown.append(text)
        transcript.append(text)

    done = sign_in(tokens.account, show, ask, flow="paste", tokens=tokens)
    assert done.flow == "paste" and oauth_bed.auth.pkce_verified == 1
    assert tokens.token().value


def test_paste_with_a_wrong_state_is_refused(oauth_bed, tmp_path):
    tokens = manager(oauth_bed, tmp_path)
    with pytest.raises(OAuth2Error) as info:
        sign_in(
            tokens.account,
            lambda _t: None,
            lambda _p: "http://127.0.0.1:1/?code=x&state=forged",
            flow="paste",
            tokens=tokens,
        )
    assert info.value.error == "state_mismatch"


def test_device_flow_slows_down_when_told(oauth_bed, tmp_path, transcript):
    tokens = manager(oauth_bed, tmp_path)
    oauth_bed.auth.slow_down_polls = 1
    approve_now = approve_from(oauth_bed, transcript)

    def show(text: str) -> None:  # the user takes 2 s to type the code in
        threading.Timer(2.0, approve_now, (text,)).start()

    started = time.monotonic()
    sign_in(tokens.account, show, flow="device", tokens=tokens)
    # poll at 1 s: slow_down; the next waits 1 + 5 s (RFC 8628 section 3.5) and gets the token
    assert time.monotonic() - started >= 6.5
    assert oauth_bed.auth.polls == 2


def test_auto_picks_device_over_ssh_but_never_for_google(oauth_bed, tmp_path):
    config = manager(oauth_bed, tmp_path).endpoints
    assert choose_flow(config, None, {"SSH_CONNECTION": "1 2 3 4", "DISPLAY": ":0"}) == "device"
    assert choose_flow(config, None, {}) == "device"  # no display
    assert choose_flow(config, None, {"DISPLAY": ":0"}) == "loopback"
    from dataclasses import replace

    google = replace(config, provider="google", device_allowed=False)
    assert choose_flow(google, None, {"SSH_CONNECTION": "x"}) == "paste"
    with pytest.raises(OAuth2Error):
        choose_flow(google, "device", {})


def signed_in(bed, tmp_path, transcript, **kwargs) -> TokenManager:
    tokens = manager(bed, tmp_path, **kwargs)
    sign_in(tokens.account, approve_from(bed, transcript), flow="device", tokens=tokens)
    return tokens


def test_oauthbearer_error_challenge_refresh_once_and_retry(oauth_bed, tmp_path, transcript):
    tokens = signed_in(oauth_bed, tmp_path, transcript, imap_auth="oauthbearer")
    tokens._access = AccessToken("not-a-jwt", time.time() + 3600, ())  # the server will refuse it
    before = tokens.refreshes
    session = ImapSession.open(tokens.account, OAuth2Credential(tokens, tokens.generation))
    try:
        assert session.authenticated
    finally:
        session.logout()
    assert tokens.refreshes == before + 1


def test_oauthbearer_second_refusal_shows_the_json_status(oauth_bed, tmp_path, transcript):
    tokens = signed_in(oauth_bed, tmp_path, transcript, imap_auth="oauthbearer")
    tokens._access = AccessToken("not-a-jwt", time.time() + 3600, ())
    oauth_bed.auth.bad_access_tokens = True  # the refreshed token is refused too
    before = tokens.refreshes
    with pytest.raises(AuthError) as info:
        ImapSession.open(tokens.account, OAuth2Credential(tokens, tokens.generation))
    assert tokens.refreshes == before + 1  # one refresh, one retry, no loop
    assert '"status":' in info.value.details and "server status" in info.value.details
    transcript.append(str(info.value))


def test_the_secret_grep_finds_a_leak():
    from tests.oauth2.conftest import assert_no_secrets

    assert_no_secrets(["tok-123"], ["nothing here"])
    with pytest.raises(AssertionError):
        assert_no_secrets(["tok-123"], ["log line: Bearer tok-123"])
    with pytest.raises(AssertionError):
        assert_no_secrets(["tok-123"], ["AUTH XOAUTH2 dG9rLTEyMw=="])
