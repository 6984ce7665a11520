"""Discovery through DNS: SRV (RFC 6186/8314) and MX, on a real local DNS server."""

from __future__ import annotations

import time

import pytest

from tests.discovery.dns_server import LocalDNS
from tui_mail.backend import discover_account
from tui_mail.errors import NotFound

NO_AUTOCONFIG = "https://127.0.0.1:9/{domain}"

SRV_ZONE = """
_imaps._tcp.example.test. 60 IN SRV 0 1 {imaps} 127.0.0.1.
_imap._tcp.example.test. 60 IN SRV 0 1 143 imap.example.test.
_submissions._tcp.example.test. 60 IN SRV 0 0 0 .
_submission._tcp.example.test. 60 IN SRV 5 1 587 smtp.example.test.
_submission._tcp.example.test. 60 IN SRV 0 1 2587 smtp2.example.test.
"""


def test_srv_records_give_the_servers_best_security_first() -> None:
    with LocalDNS(SRV_ZONE.format(imaps=10993)) as dns:
        proposal = discover_account(
            "jo@example.test", resolver=dns.resolver(), autoconfig_base=NO_AUTOCONFIG
        )
    imap = proposal.incoming
    assert (imap.protocol, imap.host, imap.port, imap.security) == (
        "imap",
        "127.0.0.1",
        10993,
        "tls",
    )
    assert imap.source == "DNS SRV" and not imap.verified  # unsigned DNS: found, not verified
    # "_submissions" has the "." target (not offered); of the two STARTTLS ones, priority 0 wins.
    assert proposal.smtp is not None
    assert (proposal.smtp.host, proposal.smtp.port, proposal.smtp.security) == (
        "smtp2.example.test",
        2587,
        "starttls",
    )


@pytest.mark.parametrize(
    ("mx", "provider", "imap_host"),
    [
        ("aspmx.l.google.com.", "google", "imap.gmail.com"),
        ("corp-test.mail.protection.outlook.com.", "microsoft", "outlook.office365.com"),
    ],
)
def test_mx_of_a_custom_domain_names_the_provider(mx: str, provider: str, imap_host: str) -> None:
    with LocalDNS(f"corp.test. 60 IN MX 10 {mx}") as dns:
        proposal = discover_account(
            "jo@corp.test", resolver=dns.resolver(), autoconfig_base=NO_AUTOCONFIG
        )
    assert proposal.oauth2_provider == provider
    assert proposal.incoming.host == imap_host
    assert proposal.incoming.source.startswith("MX: ") and not proposal.incoming.verified


def test_nothing_found_is_not_found() -> None:
    with LocalDNS("") as dns, pytest.raises(NotFound, match="nowhere.test"):
        discover_account("jo@nowhere.test", resolver=dns.resolver(), autoconfig_base=NO_AUTOCONFIG)


def test_a_dns_server_that_never_answers_costs_the_deadline_and_no_more() -> None:
    with LocalDNS(silent=True) as dns:
        started = time.monotonic()
        with pytest.raises(NotFound):
            discover_account("jo@slow.test", resolver=dns.resolver(), autoconfig_base=NO_AUTOCONFIG)
        elapsed = time.monotonic() - started
    assert 2.5 < elapsed < 3.5, elapsed
