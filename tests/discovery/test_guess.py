"""Host-name guesses (imap./mail./smtp.<domain>) probed for TLS: the last step of discovery.

The guessed names are answered by a local DNS server (A records to 127.0.0.1)
and the connector maps the standard ports to the test bed's real TLS servers
(Dovecot IMAPS, aiosmtpd STARTTLS); every other port is refused. Nothing
leaves the machine: the connector fails the test if asked for another address.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.discovery.dns_server import LocalDNS
from tests.servers.dovecot import DovecotServer
from tui_mail.backend import discover_account
from tui_mail.demo.smtp_server import SmtpServer
from tui_mail.errors import NotFound

NO_AUTOCONFIG = "https://127.0.0.1:9/{domain}"

Connector = Callable[[str, int, float], socket.socket]


def connector(ports: dict[int, int], asked: list[tuple[str, int]]) -> Connector:
    """Standard port -> local test port; anything else is refused (as a closed port is)."""

    def connect(address: str, port: int, timeout: float) -> socket.socket:
        assert address == "127.0.0.1", f"a guess tried to leave the machine: {address}"
        asked.append((address, port))
        if port not in ports:
            raise ConnectionRefusedError(f"nothing on {port}")
        return socket.create_connection((address, ports[port]), timeout=timeout)

    return connect


def a_records(*names: str) -> str:
    return "".join(f"{name}.guess.test. 60 IN A 127.0.0.1\n" for name in names)


def discover(dns: LocalDNS, connect: Connector, email: str = "jo@guess.test"):  # type: ignore[no-untyped-def]
    return discover_account(
        email, resolver=dns.resolver(), autoconfig_base=NO_AUTOCONFIG, connector=connect
    )


def test_imap_and_smtp_names_that_answer_with_tls_are_proposed_unverified(
    pop3_dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    asked: list[tuple[str, int]] = []
    connect = connector({993: pop3_dovecot.imaps_port, 587: smtp_server.port}, asked)
    with LocalDNS(a_records("imap", "smtp")) as dns:
        started = time.monotonic()
        proposal = discover(dns, connect)
        took = time.monotonic() - started
    imap, smtp = proposal.incoming, proposal.smtp
    assert (imap.host, imap.port, imap.security) == ("imap.guess.test", 993, "tls")
    assert smtp is not None
    # 465 refused, so STARTTLS on 587 (aiosmtpd's certificate, spoken to as SMTP).
    assert (smtp.host, smtp.port, smtp.security) == ("smtp.guess.test", 587, "starttls")
    for server in (imap, smtp):
        assert not server.verified and server.source == "guess"
        assert server.username == "jo@guess.test"
    assert ("127.0.0.1", 465) in asked
    assert took < 1.5, took


def test_mail_dot_domain_serves_both_when_it_is_the_only_name(
    pop3_dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    connect = connector({993: pop3_dovecot.imaps_port, 587: smtp_server.port}, [])
    with LocalDNS(a_records("mail")) as dns:
        proposal = discover(dns, connect)
    assert (proposal.incoming.host, proposal.incoming.port) == ("mail.guess.test", 993)
    assert proposal.smtp is not None and proposal.smtp.host == "mail.guess.test"


def test_a_name_without_tls_on_its_port_is_no_guess(pop3_dovecot: DovecotServer) -> None:
    """993 reaches Dovecot's plain IMAP port: it answers, but not with TLS."""
    connect = connector({993: pop3_dovecot.imap_port}, [])
    with LocalDNS(a_records("imap")) as dns, pytest.raises(NotFound):
        discover(dns, connect)


def test_names_that_do_not_resolve_are_not_even_connected_to() -> None:
    asked: list[tuple[str, int]] = []
    with LocalDNS("") as dns, pytest.raises(NotFound):
        discover(dns, connector({}, asked))
    assert asked == []


def test_srv_comes_before_the_guesses(pop3_dovecot: DovecotServer) -> None:
    zone = a_records("imap") + "_imaps._tcp.guess.test. 60 IN SRV 0 1 993 srv.guess.test.\n"
    connect = connector({993: pop3_dovecot.imaps_port}, [])
    with LocalDNS(zone) as dns:
        assert discover(dns, connect).incoming.host == "srv.guess.test"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts TCP and never says a word (a handshake there waits forever)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield int(listener.getsockname()[1])
    listener.close()
    for conn in held:
        conn.close()


def test_a_guess_that_never_answers_costs_the_deadline_and_no_more(silent_port: int) -> None:
    connect = connector({993: silent_port, 465: silent_port, 587: silent_port}, [])
    with LocalDNS(a_records("imap", "mail", "smtp")) as dns:
        started = time.monotonic()
        with pytest.raises(NotFound):
            discover(dns, connect)
        took = time.monotonic() - started
    assert 2.5 < took < 3.5, took
