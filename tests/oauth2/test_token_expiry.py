"""Microsoft's ``* BYE ... AccessTokenExpired`` mid-session: a quiet reconnect (issue 14 item 5).

The IMAP side is ``expiring_imap.ExpiringImapServer``, a FAKE server (Dovecot
never ends a live session at its token's expiry); the tokens come from the
bed's real authorization server, which serves the refresh. Each test checks
with the service's events that the account never showed OFFLINE (or, for the
second BYE within 60 s, that it did, once), that the new AUTHENTICATE used a
token refreshed after the BYE, and that the user's command got its answer.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.integration.backend_helpers import FAST, running_service
from tests.oauth2.expiring_imap import ExpiringImapServer, digest
from tests.security.scripted_imap import Message
from tui_mail.backend import FetchBody, SyncFolder
from tui_mail.backend.api import AccountState, AccountStateChanged
from tui_mail.backend.auth.login import sign_in
from tui_mail.backend.auth.tokens import TokenManager, tokens_for
from tui_mail.config import Config, load_config

pytestmark = pytest.mark.integration
MESSAGES = [Message(uid, f"Subject: m{uid}\r\n\r\nbody {uid}\r\n".encode()) for uid in (1, 2, 3)]


def expiring_config(bed, tmp_path: Path, imap: ExpiringImapServer) -> Config:
    """The bed's config with IMAP on the expiring server instead of Dovecot."""
    path = bed.config_toml(tmp_path)
    text = path.read_text()
    path.write_text(text.replace(f"port = {bed.dovecot.imap_port}\n", f"port = {imap.port}\n"))
    return load_config(path)


def signed_in(bed, config: Config, transcript: list[str]) -> TokenManager:
    """A device sign-in with the test approving the shown code: the service's TokenManager."""
    account = config.account("work")
    tokens = tokens_for(account)

    def show(text: str) -> None:
        transcript.append(text)
        found = re.search(r"enter the code (\S+)", text)
        if found:
            bed.auth.approve(found.group(1))

    sign_in(account, show, flow="device", tokens=tokens)
    return tokens


def states(log) -> list[tuple[AccountState, str]]:
    return [(e.state, e.reason) for e in log.of(AccountStateChanged)]


def test_bye_access_token_expired_reconnects_quietly_with_a_refreshed_token(
    oauth_bed, tmp_path, transcript
):
    with ExpiringImapServer(oauth_bed.auth, oauth_bed.user, MESSAGES) as imap:
        config = expiring_config(oauth_bed, tmp_path, imap)
        tokens = signed_in(oauth_bed, config, transcript)
        imap.bye_on = {("SELECT", 2)}  # the second sync's SELECT meets the BYE
        with running_service(config, tmp_path, replace(FAST, idle=False)) as (service, log):
            assert service.submit(SyncFolder("work", "INBOX")).result(30).total == 3
            issued_before = {digest(t) for t in oauth_bed.auth.issued}
            refreshes = tokens.refreshes
            started = time.monotonic()
            again = service.submit(SyncFolder("work", "INBOX")).result(30)
            answered_in = time.monotonic() - started
            body = service.submit(FetchBody("work", "INBOX", 2)).result(30)
            seen = states(log)
        assert again.total == 3 and b"body 2" in body  # the user's commands got their answers
        assert [s for s, _ in seen] == [AccountState.CONNECTING, AccountState.ONLINE], seen
        assert len(imap.byes) == 1
        old, new = imap.logins
        assert old.accepted and new.accepted
        assert new.at > imap.byes[0] and new.connection == old.connection + 1
        # Forced: the old token was valid for an hour more, yet a new one was fetched.
        assert new.token != old.token and tokens.refreshes == refreshes + 1
        assert new.token not in issued_before
        assert new.token in {digest(t) for t in oauth_bed.auth.issued}
        transcript.extend(reason for _, reason in seen)
        print(
            f"\n[quiet reconnect] BYE -> new AUTHENTICATE OK: {new.at - imap.byes[0]:.3f} s; "
            f"the interrupted sync answered {answered_in:.3f} s after it was asked; OFFLINE: never"
        )


def test_a_second_bye_within_60_s_goes_offline_and_the_job_still_answers(
    oauth_bed, tmp_path, transcript
):
    with ExpiringImapServer(oauth_bed.auth, oauth_bed.user, MESSAGES) as imap:
        config = expiring_config(oauth_bed, tmp_path, imap)
        tokens = signed_in(oauth_bed, config, transcript)
        imap.bye_on = {("SELECT", 2), ("SELECT", 3)}  # the retried sync meets a second one
        with running_service(config, tmp_path, replace(FAST, idle=False)) as (service, log):
            service.submit(SyncFolder("work", "INBOX")).result(30)
            refreshes = tokens.refreshes
            again = service.submit(SyncFolder("work", "INBOX")).result(30)
            seen = states(log)
        assert again.total == 3  # read-only: run again once the backoff's reconnect is up
        offline = [reason for state, reason in seen if state is AccountState.OFFLINE]
        assert len(offline) == 1 and "AccessTokenExpired" in offline[0], seen
        assert seen[-1][0] is AccountState.ONLINE
        assert len(imap.byes) == 2 and len(imap.logins) == 3
        assert all(login.accepted for login in imap.logins)
        assert tokens.refreshes == refreshes + 1  # one forced refresh, not one per BYE
        transcript.extend(reason for _, reason in seen)


def test_an_unasked_bye_between_commands_is_heard_on_the_next_one(
    oauth_bed, tmp_path, transcript
):
    """The BYE comes on its own while the connection waits (as at a token's real expiry)."""
    with ExpiringImapServer(oauth_bed.auth, oauth_bed.user, MESSAGES) as imap:
        config = expiring_config(oauth_bed, tmp_path, imap)
        signed_in(oauth_bed, config, transcript)
        with running_service(config, tmp_path, replace(FAST, idle=False)) as (service, log):
            service.submit(SyncFolder("work", "INBOX")).result(30)
            imap.hang_up_all()
            time.sleep(0.3)  # the BYE and the FIN are in the client's socket before it speaks
            body = service.submit(FetchBody("work", "INBOX", 3)).result(30)
            seen = states(log)
        assert b"body 3" in body
        assert [s for s, _ in seen] == [AccountState.CONNECTING, AccountState.ONLINE], seen
        assert len(imap.logins) == 2 and imap.logins[1].accepted
