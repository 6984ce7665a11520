"""The app's backend on an OAuth2 account (issue 14 must-show 3, without the dialog's screen).

Sign-in through ``MailServiceImpl.sign_in`` (what the dialog calls), a session
that outlives its access token and keeps syncing and sending with no prompt,
then a revoked grant: "needs sign-in", a message that waits in the outbox, and
a new sign-in after which it is sent with nothing lost.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.integration.backend_helpers import kill_dovecot_sessions, running_service
from tui_mail.backend import ListFolders, SyncFolder
from tui_mail.backend.api import AccountState, AccountStateChanged, SignInPrompted
from tui_mail.config import load_config
from tui_mail.errors import AuthError
from tui_mail.models import Address, Draft

pytestmark = [pytest.mark.integration, pytest.mark.slow]
LIFETIME = 6


def states(log) -> list[tuple[AccountState, str]]:
    return [(e.state, e.reason) for e in log.of(AccountStateChanged)]


def draft(bed, subject: str) -> Draft:
    return Draft(
        account="work",
        from_=Address("OAuth User", f"{bed.user}@example.org"),
        to=[Address("Bob", "bob@example.org")],
        subject=subject,
        body="Hello.",
    )


@pytest.mark.access_lifetime(LIFETIME)
def test_sign_in_outlive_the_token_then_revoked_and_signed_in_again(
    oauth_bed, tmp_path, transcript
):
    config = load_config(oauth_bed.config_toml(tmp_path))

    def sign_in(service, log) -> None:
        """What the dialog does, with the test as the user approving the code it shows."""
        seen = len(log.of(SignInPrompted))
        future = service.sign_in("work", flow="device")
        assert log.wait_for(lambda: len(log.of(SignInPrompted)) > seen, 15)
        text = log.of(SignInPrompted)[seen].text
        transcript.append(text)
        oauth_bed.auth.approve(re.search(r"enter the code (\S+)", text).group(1))
        future.result(30)

    with running_service(config, tmp_path) as (service, log):
        # Nothing stored yet: the account says it needs sign-in, and the dialog's call signs in.
        with pytest.raises(AuthError) as info:
            service.submit(ListFolders("work")).result(30)
        assert "needs sign-in" in str(info.value)
        assert states(log)[-1][0] is AccountState.AUTH_FAILED
        assert "needs sign-in" in states(log)[-1][1]
        sign_in(service, log)
        assert log.wait_for(lambda: states(log)[-1][0] is AccountState.ONLINE, 15)
        service.submit(ListFolders("work")).result(30)
        service.submit(SyncFolder("work", "INBOX")).result(30)
        signed_in_at = len(states(log))

        # The access token expires; connections drop; everything goes on without a prompt.
        time.sleep(LIFETIME + 0.5)
        assert kill_dovecot_sessions(oauth_bed.dovecot) >= 1
        service.submit(SyncFolder("work", "INBOX")).result(60)
        outcome = service.send(draft(oauth_bed, "after expiry")).result(60)
        assert outcome.delivered_now and len(oauth_bed.smtp.messages) == 1
        assert all(s is not AccountState.AUTH_FAILED for s, _ in states(log)[signed_in_at:])

        # The grant is revoked: needs sign-in, the message waits, nothing is lost.
        oauth_bed.auth.revoke_all()
        time.sleep(LIFETIME + 0.5)
        with pytest.raises(Exception) as info:
            service.send(draft(oauth_bed, "waits for sign-in")).result(60)
        assert "needs sign-in" in str(info.value)
        assert len(service.send_queue().entries()) == 1
        kill_dovecot_sessions(oauth_bed.dovecot)
        with pytest.raises(AuthError):
            service.submit(SyncFolder("work", "INBOX")).result(60)
        assert log.wait_for(
            lambda: (
                states(log)[-1][0] is AccountState.AUTH_FAILED
                and "needs sign-in" in states(log)[-1][1]
            ),
            30,
        ), states(log)[-3:]
        transcript.extend(r for _, r in states(log))

        sign_in(service, log)
        assert log.wait_for(lambda: states(log)[-1][0] is AccountState.ONLINE, 15)
        assert oauth_bed.smtp.wait_for_messages(2, 30)[-1].data.find(b"waits for sign-in") > 0
        assert log.wait_for(lambda: service.send_queue().entries() == [], 15)
        service.submit(SyncFolder("work", "INBOX")).result(30)
