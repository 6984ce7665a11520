"""The IDLE connection is renewed before its access token expires (issue 14 item 5).

On the real bed (Dovecot's oauth2 passdb, the authlib server) with tokens
living 10 s, so due for refresh at half-life: the IDLE watcher must log in
again with a new token before the one it logged in with expires (Microsoft
would end the session then), with no OFFLINE and no lost connection, and mail
delivered afterwards must still be announced.
"""

from __future__ import annotations

import os
import re
import time
import uuid

import pytest

from tests.integration.backend_helpers import FAST, make_message, running_service
from tui_mail.backend import MessagesAdded, SyncFolder
from tui_mail.backend.api import AccountState, AccountStateChanged
from tui_mail.backend.auth.login import sign_in
from tui_mail.backend.auth.tokens import tokens_for
from tui_mail.config import load_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]
LIFETIME = 10


def deliver(bed, subject: str) -> None:
    """Drop a message into the user's Maildir, as a delivery agent does (tmp/, then new/)."""
    maildir = bed.dovecot.homes / bed.user / "Maildir"
    name = f"{int(time.time())}.M{uuid.uuid4().hex[:8]}P1.tui-mail-test"
    (maildir / "tmp" / name).write_bytes(make_message(1, subject))
    bed.dovecot.chown_maildir(bed.user)
    os.rename(maildir / "tmp" / name, maildir / "new" / name)


@pytest.mark.access_lifetime(LIFETIME)
def test_idle_connection_renewed_before_its_token_expires_and_mail_still_arrives(
    oauth_bed, tmp_path, transcript, caplog
):
    config = load_config(oauth_bed.config_toml(tmp_path))
    account = config.account("work")

    def show(text: str) -> None:
        transcript.append(text)
        found = re.search(r"enter the code (\S+)", text)
        if found:
            oauth_bed.auth.approve(found.group(1))

    sign_in(account, show, flow="device", tokens=tokens_for(account))
    with running_service(config, tmp_path, FAST) as (service, log):
        service.submit(SyncFolder("work", "INBOX")).result(30)
        watcher = service.watchers["work"]
        assert log.wait_for(lambda: watcher.watching.is_set() and watcher.uses_idle, 15)
        first = watcher._session
        old = first.login_token
        assert old is not None

        def renewed():
            session = watcher._session
            if session is None or session is first or session.login_token is None:
                return None
            return session

        assert log.wait_for(lambda: renewed() is not None, LIFETIME + 5), "never renewed"
        seen_at = time.time()
        new = renewed().login_token
        assert seen_at < old.expires_at, "renewed after the old token expired"
        assert new.value != old.value and new.expires_at > old.expires_at
        margin = old.expires_at - seen_at

        subject = f"after renewal {uuid.uuid4().hex[:6]}"
        deliver(oauth_bed, subject)
        started = time.monotonic()
        assert log.wait_for(
            lambda: any(
                s.subject == f"{subject} 1" for e in log.of(MessagesAdded) for s in e.summaries
            ),
            15,
        ), "mail delivered after the renewal was not announced"
        announced_in = time.monotonic() - started
        states = [e.state for e in log.of(AccountStateChanged)]
        logged = caplog.text  # before stop(), whose abort ends IDLE with an EOF
    assert AccountState.OFFLINE not in states
    assert "IDLE connection lost" not in logged
    assert "IDLE connection renewed before its access token expired" in logged
    print(
        f"\n[IDLE renewal] new login {margin:.2f} s before the old token's expiry "
        f"(lifetime {LIFETIME} s); mail after it announced in {announced_in:.2f} s; "
        f"states: {[s.value for s in states]}"
    )
