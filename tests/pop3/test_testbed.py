"""The POP3 test bed itself: Dovecot's POP3 answers on the plain port (with STLS) and POP3S."""

from __future__ import annotations

import poplib

import pytest

from tests.servers.dovecot import POP3_BINARY
from tests.servers.pop3_account import Pop3Account

pytestmark = pytest.mark.integration


def test_pop3_binary_is_installed() -> None:
    assert POP3_BINARY.exists(), "install dovecot-pop3d (scripts/test.sh does)"


def test_plain_port_offers_stls_and_serves_the_mail(pop3_server: Pop3Account) -> None:
    client = poplib.POP3(pop3_server.host, pop3_server.port, timeout=10)
    try:
        assert "STLS" in client.capa()
        client.stls(pop3_server.tls_context())
        assert "STLS" not in client.capa()  # once is all
        client.user(pop3_server.username)
        client.pass_(pop3_server.password)
        assert client.stat()[0] == 3
    finally:
        client.quit()


def test_pop3s_port_and_apop(pop3_server: Pop3Account) -> None:
    client = poplib.POP3_SSL(
        pop3_server.host, pop3_server.tls_port, context=pop3_server.tls_context(), timeout=10
    )
    try:
        assert b"<" in client.getwelcome()  # the APOP timestamp
        client.apop(pop3_server.username, pop3_server.password)
        assert len(client.uidl()[1]) == 3
    finally:
        client.quit()


@pytest.mark.pop3_mail(0)
def test_delivery_is_seen_at_the_next_session(pop3_server: Pop3Account) -> None:
    assert pop3_server.server_uidls() == []
    pop3_server.deliver()
    assert len(pop3_server.server_uidls()) == 1
