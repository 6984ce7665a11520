"""Pop3Session against Dovecot's POP3: plain, STLS and POP3S; CAPA, logins, listing, TOP, RETR."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers.pop3_account import Pop3Account
from tui_mail.backend.pop3.session import Pop3Session
from tui_mail.config import AccountConfig, load_config
from tui_mail.errors import AuthError, TLSError

pytestmark = pytest.mark.integration


def account_of(server: Pop3Account, tmp_path: Path, **options: object) -> AccountConfig:
    return load_config(server.config_toml(tmp_path, **options)).account()  # type: ignore[arg-type]


def test_plain_loopback_logs_in_with_apop(pop3_server: Pop3Account, tmp_path: Path) -> None:
    session = Pop3Session.open(account_of(pop3_server, tmp_path), pop3_server.password)
    try:
        assert not session.encrypted
        assert session.mechanism == "APOP"  # in plain text the password itself never goes out
        assert session.stat().count == 3
    finally:
        session.quit()


def test_stls_asks_capa_again_and_logs_in_with_sasl_plain(
    pop3_server: Pop3Account, tmp_path: Path
) -> None:
    account = account_of(pop3_server, tmp_path, security="starttls")
    session = Pop3Session.open(account, pop3_server.password)
    try:
        assert session.encrypted and session.timestamp is None
        assert not session.has("STLS")  # the capabilities are the ones said over TLS
        assert session.has("UIDL") and session.has("TOP")
        assert session.mechanism == "SASL PLAIN"
        tls = session.tls_socket()
        assert tls is not None and type(tls).__name__ == "SSLSocket"
    finally:
        session.quit()


def test_pop3s_port(pop3_server: Pop3Account, tmp_path: Path) -> None:
    session = Pop3Session.open(account_of(pop3_server, tmp_path, security="tls"), pop3_server.password)
    try:
        assert session.encrypted and session.mechanism == "SASL PLAIN"
        listed, problems = session.listing()
        assert [item.number for item in listed] == [1, 2, 3] and problems == []
        assert all(item.uidl and item.size > 0 for item in listed)
        headers = session.top_headers(1)
        assert b"Subject: POP3 message 1\r\n" in headers and b"Body of message" not in headers
        raw = session.retrieve(1)
        assert raw.startswith(headers.rstrip(b"\r\n")) and b"Body of message 1." in raw
    finally:
        session.quit()


def test_unverified_certificate_is_refused_without_fallback(
    pop3_server: Pop3Account, tmp_path: Path
) -> None:
    path = pop3_server.config_toml(tmp_path, security="starttls")
    path.write_text("\n".join(x for x in path.read_text().splitlines() if "ca_file" not in x))
    with pytest.raises(TLSError, match="did not verify"):
        Pop3Session.open(load_config(path).account(), pop3_server.password)


@pytest.mark.parametrize("security", ["none", "starttls"])
def test_wrong_password_is_an_auth_error(
    pop3_server: Pop3Account, tmp_path: Path, security: str
) -> None:
    with pytest.raises(AuthError, match="refused the login"):
        Pop3Session.open(account_of(pop3_server, tmp_path, security=security), "wrong")


def test_a_password_with_a_line_break_is_never_sent(
    pop3_server: Pop3Account, tmp_path: Path
) -> None:
    account = account_of(pop3_server, tmp_path, security="tls")
    with pytest.raises(Exception, match="line break"):
        Pop3Session.open(account, "pw\r\nDELE 1")
