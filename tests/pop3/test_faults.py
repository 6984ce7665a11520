"""Faults a real server won't give, from the scripted POP3 server (tests/servers/scripted_pop3.py).

Each test says what the server does wrong; the rule checked is always the same:
nothing is lost, nothing is stored twice, nothing is deleted from the server
that is not stored whole, and the server's words reach no screen unsanitised.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.servers.pop3_account import sample_message
from tests.servers.scripted_pop3 import Faults, Maildrop, ScriptedPop3Server
from tests.servers.tls import CertPair, make_self_signed_cert
from tui_mail.backend.auth.tokens import AccessToken, OAuth2Credential, TokenManager
from tui_mail.backend.cache.pop3_ledger import Pop3Ledger
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.pop3.fetcher import FetchPolicy, FetchResult, fetch_new
from tui_mail.backend.pop3.session import Oversized, Pop3Session
from tui_mail.config import AccountConfig
from tui_mail.errors import AuthError, ConnectionLost, TLSError
from tui_mail.oauth2_config import OAuth2Config
from tui_mail.pop3_config import Pop3Config

DELETE = FetchPolicy(leave_on_server=False)


@pytest.fixture
def drop() -> Maildrop:
    mail = Maildrop()
    for number in (1, 2, 3):
        mail.add(sample_message(number))
    return mail


@pytest.fixture
def server(drop: Maildrop) -> Iterator[ScriptedPop3Server]:
    with ScriptedPop3Server(drop) as running:
        yield running


def account(server: ScriptedPop3Server, security: str = "none", ca: Path | None = None):
    pop3 = Pop3Config(server.host, server.port, security, username="user", ca_file=ca)
    return AccountConfig("pop", "user@example.org", "", None, None, pop3=pop3)


def fetch(server: ScriptedPop3Server, tmp_path: Path, policy: FetchPolicy = DELETE) -> FetchResult:
    session = Pop3Session.open(account(server), "secret", timeout=10)
    cache = MailCache.open(tmp_path / "pop.sqlite3", account="pop")
    try:
        return fetch_new(session, Pop3Ledger(cache), "pop", policy)
    finally:
        cache.close()


def stored(tmp_path: Path) -> tuple[list[str], int]:
    """Subjects in the local INBOX (sorted) and how many bodies it holds."""
    cache = MailCache.open(tmp_path / "pop.sqlite3", account="pop")
    try:
        uids = cache.uids("INBOX")
        subjects = sorted(s.subject for uid in uids if (s := cache.summary("INBOX", uid)))
        return subjects, sum(cache.body("INBOX", uid) is not None for uid in uids)
    finally:
        cache.close()


ALL = [f"POP3 message {n}" for n in (1, 2, 3)]


def test_connection_reset_in_the_middle_of_retr(server: ScriptedPop3Server, tmp_path: Path) -> None:
    server.faults.reset_in_retr = 2
    with pytest.raises(ConnectionLost):
        fetch(server, tmp_path)
    assert len(server.drop.messages) == 3  # no QUIT, so no DELE took effect
    subjects, bodies = stored(tmp_path)
    assert subjects == ALL and bodies == 1  # headers of all three; message 3's body came first
    server.faults.reset_in_retr = 0
    again = fetch(server, tmp_path)
    assert again.new_uids == [] and again.bodies == 2 and again.deleted == 3
    assert stored(tmp_path) == (ALL, 3) and server.drop.messages == []


def test_a_server_that_gives_two_messages_one_uidl(server: ScriptedPop3Server, tmp_path: Path) -> None:
    server.faults.uidls = {2: "same", 3: "same"}
    result = fetch(server, tmp_path)
    assert any("more than one message" in problem for problem in result.problems)
    assert stored(tmp_path) == (ALL, 3)  # neither hid the other
    assert server.drop.messages == []  # each deleted only once stored


def test_a_server_that_changes_its_uidls_between_sessions(
    server: ScriptedPop3Server, tmp_path: Path
) -> None:
    keep = FetchPolicy()
    assert len(fetch(server, tmp_path, keep).new_uids) == 3
    server.faults.uidls = {1: "new-1", 2: "new-2", 3: "new-3"}  # same mail, new names
    assert fetch(server, tmp_path, keep).new_uids == []  # known by their headers
    assert stored(tmp_path) == (ALL, 3)


def test_a_server_without_capa_or_uidl_restarts_without_duplicates(
    server: ScriptedPop3Server, tmp_path: Path
) -> None:
    server.faults.no_capa = server.faults.no_uidl = True
    keep = FetchPolicy()
    assert len(fetch(server, tmp_path, keep).new_uids) == 3
    assert fetch(server, tmp_path, keep).new_uids == []
    assert stored(tmp_path) == (ALL, 3)


def test_garbage_lines_are_skipped_and_never_shown_raw(
    server: ScriptedPop3Server, tmp_path: Path
) -> None:
    server.faults.garbage_in_listings = True
    result = fetch(server, tmp_path)
    assert stored(tmp_path) == (ALL, 3) and result.deleted == 3
    assert result.problems and all("\x1b" not in p and "\x07" not in p for p in result.problems)


def test_garbage_instead_of_a_status_line(server: ScriptedPop3Server, tmp_path: Path) -> None:
    server.faults.stat_garbage = True
    with pytest.raises(ConnectionLost) as info:
        fetch(server, tmp_path)
    assert "\x1b" not in str(info.value) and len(server.drop.messages) == 3


def test_an_oversized_message_keeps_its_headers_and_stays_on_the_server(
    server: ScriptedPop3Server, tmp_path: Path
) -> None:
    server.faults.list_sizes = {2: 100 * 1024 * 1024}  # LIST says 100 MB
    result = fetch(server, tmp_path, FetchPolicy(leave_on_server=False, max_message_bytes=1 << 20))
    assert result.oversized == 1 and result.deleted == 2
    assert stored(tmp_path) == (ALL, 2)
    assert len(server.drop.messages) == 1  # the big one was never deleted
    assert b"RETR 2" not in server.drop.commands


def test_a_message_bigger_than_list_said_is_cut_off_and_skipped_next_time(
    server: ScriptedPop3Server, tmp_path: Path
) -> None:
    policy = FetchPolicy(leave_on_server=False, max_message_bytes=64 * 1024)
    server.faults.retr_padding = 200 * 1024  # every RETR sends 200 kB more than LIST said
    with pytest.raises(Oversized):
        fetch(server, tmp_path, policy)
    server.faults.retr_padding = 0
    again = fetch(server, tmp_path, policy)  # message 3 is never asked for again
    assert again.bodies == 2 and again.deleted == 2
    assert stored(tmp_path) == (ALL, 2) and len(server.drop.messages) == 1


def test_mailbox_in_use_is_not_a_wrong_password(server: ScriptedPop3Server) -> None:
    server.faults.pass_error = "[IN-USE] mailbox locked by another session"
    with pytest.raises(ConnectionLost) as info:
        Pop3Session.open(account(server), "secret", timeout=10)
    assert not isinstance(info.value, AuthError)
    server.faults.pass_error = "[AUTH] \x1b[31mno\x1b[0m"
    with pytest.raises(AuthError) as refused:
        Pop3Session.open(account(server), "secret", timeout=10)
    assert "\x1b" not in str(refused.value)


@pytest.fixture
def tls_pair(tmp_path: Path) -> CertPair:
    return make_self_signed_cert(tmp_path / "tls", "pop3")


def test_bytes_injected_after_stls_are_never_believed(
    drop: Maildrop, tls_pair: CertPair
) -> None:
    """Sent with the +OK, they sit in the plain-text reader, which is dropped: the session
    goes on in step (had they been read as CAPA's answer, "+OK" would be a capability).
    Arriving later, they would break the handshake: TLSError, and no password sent."""
    faults = Faults(stls=True, after_stls_ok=b"+OK injected\r\n")
    with ScriptedPop3Server(drop, faults, tls_context=tls_pair.server_context()) as server:
        try:
            session = Pop3Session.open(account(server, "starttls", tls_pair.ca_file), "secret")
        except TLSError:
            assert not any(c.startswith((b"USER", b"PASS", b"APOP")) for c in drop.commands)
            return
        assert session.encrypted and "+OK" not in session.capabilities
        assert session.has("UIDL") and session.stat().count == 3
        session.quit()


def test_stls_works_when_the_server_behaves(drop: Maildrop, tls_pair: CertPair) -> None:
    with ScriptedPop3Server(drop, Faults(stls=True), tls_context=tls_pair.server_context()) as server:
        session = Pop3Session.open(account(server, "starttls", tls_pair.ca_file), "secret")
        assert session.encrypted and session.mechanism == "USER/PASS"
        session.quit()


def test_starttls_to_a_server_without_stls_sends_no_password(drop: Maildrop) -> None:
    with ScriptedPop3Server(drop) as server:
        with pytest.raises(TLSError, match="does not offer STLS"):
            Pop3Session.open(account(server, "starttls"), "secret", timeout=10)
        assert not any(c.startswith((b"USER", b"PASS", b"APOP")) for c in drop.commands)


@pytest.mark.parametrize("challenges", [1, 10])
def test_a_server_that_keeps_challenging_an_oauth2_login(
    server: ScriptedPop3Server, challenges: int
) -> None:
    """Each JSON status gets the empty response; a fourth challenge cancels with ``*``:
    a refused login with the server's status, never a hang or a loop. A status that
    does not say the token was refused (400) asks for no refresh."""
    server.faults.sasl_challenges = challenges
    pop3 = replace(account(server).pop3, auth="xoauth2")
    oauth2 = OAuth2Config(
        "generic", "client", token_endpoint="http://127.0.0.1:1/token", scopes=("mail",)
    )
    config = AccountConfig("pop", "user@example.org", "", None, None, oauth2=oauth2, pop3=pop3)
    tokens = TokenManager(config)
    tokens._access = AccessToken("tok-secret", time.time() + 3600, (), issued_at=time.time())
    with pytest.raises(AuthError) as info:
        Pop3Session.open(config, OAuth2Credential(tokens, 0), timeout=10)
    answers = [c for c in server.drop.commands if c.startswith(b"SASL answer: ")]
    expected = [b"SASL answer: "] * min(challenges, 3) + [b"SASL answer: *"] * (challenges > 3)
    assert answers == expected
    assert '"status": "400"' in info.value.details
    assert tokens.refreshes == 0
