"""A POP3 account that signs in with OAuth2 (issue 16 item 1: ``auth = "xoauth2"`` on [pop3]).

All real parts: Dovecot's POP3 with the oauth2 passdb (it checks the JWTs with
the authorization server's key), the authlib authorization server, aiosmtpd.
The test plays the user and approves the device code it is shown. The bed's
fixture greps every log, captured output and transcript for the tokens after
each test.
"""

from __future__ import annotations

import time

import pytest

from tests.oauth2.dialog_helpers import approve_in_dialog, sign_in_dialog
from tests.oauth2.sign_in_helpers import approve_from, check, device_login
from tests.pop3.app_helpers import app_on, opened, subjects
from tests.ui.helpers import settle, wait_until
from tui_mail.backend import AccountState
from tui_mail.backend.auth.login import sign_in
from tui_mail.backend.auth.tokens import AccessToken, OAuth2Credential, TokenManager
from tui_mail.backend.pop3.session import Pop3Session
from tui_mail.config import load_config
from tui_mail.errors import AuthError, TLSError
from tui_mail.ui.screens.sign_in import SignInScreen

pytestmark = pytest.mark.integration


def test_check_over_stls_with_xoauth2_after_a_device_login(
    pop3_oauth_bed, oauth_env, tmp_path, transcript
):
    bed = pop3_oauth_bed
    config = bed.config_toml(tmp_path, security="starttls")
    rc, out, err = device_login(bed, config, oauth_env, transcript)
    assert rc == 0, out + err
    rc, out, err = check(config, oauth_env, transcript)
    assert rc == 0, out + err
    assert f"POP3 127.0.0.1:{bed.dovecot.pop3_port} (starttls)" in out
    assert "by STLS" in out and "SASL XOAUTH2 OAUTHBEARER" in out
    assert "OAuth2: XOAUTH2 with provider generic" in out
    assert "refresh token from the token file (no keyring)" in out
    assert "access token valid until" in out and "scopes: mail" in out
    assert f"logged in as {bed.user} with SASL XOAUTH2" in out
    assert "3 messages, " in out
    assert f"AUTH XOAUTH2 as {bed.user} accepted" in out  # SMTP inherits auth and the token
    assert "All checks passed" in out


def signed_in(bed, tmp_path, transcript, **kwargs) -> TokenManager:
    """A token manager of the bed's account after a device sign-in."""
    account = load_config(bed.config_toml(tmp_path, **kwargs)).account()
    tokens = TokenManager(account)
    sign_in(account, approve_from(bed, transcript), flow="device", tokens=tokens)
    return tokens


def credential(tokens: TokenManager) -> OAuth2Credential:
    return OAuth2Credential(tokens, tokens.generation)


@pytest.mark.parametrize(("auth", "security"), [("xoauth2", "tls"), ("oauthbearer", "starttls")])
def test_a_refused_token_is_refreshed_once_and_retried(
    pop3_oauth_bed, tmp_path, transcript, auth, security
):
    tokens = signed_in(pop3_oauth_bed, tmp_path, transcript, auth=auth, security=security)
    tokens._access = AccessToken("not-a-jwt", time.time() + 3600, ())  # the server refuses it
    before = tokens.refreshes
    session = Pop3Session.open(tokens.account, credential(tokens))
    try:
        assert session.encrypted and session.mechanism == f"SASL {auth.upper()}"
        assert session.login_token is not None and session.login_token.value != "not-a-jwt"
        assert session.stat().count == 3
    finally:
        session.quit()
    assert tokens.refreshes == before + 1


def test_a_second_refusal_shows_the_servers_status_after_one_refresh(
    pop3_oauth_bed, tmp_path, transcript
):
    tokens = signed_in(pop3_oauth_bed, tmp_path, transcript)
    tokens._access = AccessToken("not-a-jwt", time.time() + 3600, ())
    pop3_oauth_bed.auth.bad_access_tokens = True  # the refreshed token is refused too
    before = tokens.refreshes
    with pytest.raises(AuthError) as info:
        Pop3Session.open(tokens.account, credential(tokens))
    assert tokens.refreshes == before + 1  # one refresh, one retry, no loop
    assert "SASL XOAUTH2" in info.value.summary
    assert '"status":' in info.value.details and "server status" in info.value.details
    transcript.append(str(info.value))


def test_a_server_without_the_mechanism_is_a_clear_error(pop3_oauth_bed, pop3_dovecot, tmp_path):
    """The password-only Dovecot offers SASL PLAIN LOGIN: no token is even asked for."""
    path = pop3_oauth_bed.config_toml(tmp_path, security="none")
    text = path.read_text().replace(
        f"port = {pop3_oauth_bed.dovecot.pop3_port}", f"port = {pop3_dovecot.pop3_port}"
    )
    path.write_text(text)
    tokens = TokenManager(load_config(path).account())
    with pytest.raises(AuthError) as info:
        Pop3Session.open(tokens.account, credential(tokens))
    assert "does not offer SASL XOAUTH2" in info.value.summary
    assert "PLAIN" in info.value.details
    assert tokens.refreshes == 0 and not pop3_oauth_bed.auth.issued


def test_no_token_in_clear_to_a_remote_host(pop3_oauth_bed, tmp_path, monkeypatch):
    """Plain text is allowed on loopback only; a remote host never gets the token, even
    with ``allow_insecure`` (the check comes before a token is asked for)."""
    path = pop3_oauth_bed.config_toml(tmp_path, security="none")
    path.write_text(path.read_text().replace('display_name = "POP OAuth"', "allow_insecure = true"))
    tokens = TokenManager(load_config(path).account())
    monkeypatch.setattr("tui_mail.backend.pop3.session.is_loopback_host", lambda _host: False)
    with pytest.raises(TLSError, match="refusing to send an access token unencrypted"):
        Pop3Session.open(tokens.account, credential(tokens))
    assert not pop3_oauth_bed.auth.issued


@pytest.mark.access_lifetime(4)
async def test_the_app_signs_in_fetches_over_xoauth2_then_a_revoked_grant_needs_sign_in(
    pop3_oauth_bed, tmp_path, transcript
):
    bed = pop3_oauth_bed
    app = app_on(bed.config_toml(tmp_path, flow="device"), tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        # Nothing stored yet: "needs sign-in" and the sign-in dialog, never a password prompt.
        dialog = await sign_in_dialog(pilot, app)
        await approve_in_dialog(pilot, app, dialog, bed, transcript)

        # Signed in: INBOX fetched over POP3 with XOAUTH2, newest first.
        screen = await opened(pilot, app, 3)
        assert subjects(screen) == [f"POP3 message {n}" for n in (3, 2, 1)]
        status = screen.status
        await wait_until(pilot, lambda: status.line.state is AccountState.ONLINE)

        # Past half the token's 4 s: $ refreshes it and fetches the new message.
        issued = len(bed.auth.issued)
        await pilot.pause(2.5)
        bed.mailbox.deliver()
        await pilot.press("dollar_sign")
        await wait_until(pilot, lambda: len(screen.message_list.rows) == 4, 20)
        assert subjects(screen)[0] == "POP3 message 4"
        assert len(bed.auth.issued) > issued  # a refresh: new access and refresh tokens

        # The grant is revoked: the next fetch says "needs sign-in"; the mail stays, no crash.
        bed.auth.revoke_all()
        await pilot.pause(2.5)
        bed.mailbox.deliver()
        await pilot.press("dollar_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen), 20)
        again = app.screen
        assert isinstance(again, SignInScreen)
        assert "needs sign-in" in again.reason and "invalid_grant" in again.reason
        transcript.append(again.reason)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, SignInScreen))
        await settle(pilot, app)
        assert status.line.state is AccountState.AUTH_FAILED
        assert "needs sign-in" in str(status.render())
        transcript.append(str(status.render()))
        assert len(screen.message_list.rows) == 4 and subjects(screen)[0] == "POP3 message 4"
