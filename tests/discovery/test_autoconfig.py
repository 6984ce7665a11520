"""Discovery through the domain's autoconfig file, from a real HTTPS server on 127.0.0.1.

The server's certificate is self-signed: discovery trusts it only because the
test hands it a context that does (``autoconfig_context``); without that the
file is not read. DNS is a local server too (empty unless a test gives SRV
records), so nothing leaves the machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.discovery.dns_server import LocalDNS
from tests.servers.https_server import LocalHTTPS, Reply
from tests.servers.tls import CertPair
from tui_mail.backend import discover_account
from tui_mail.backend.discovery.autoconfig import MAX_BYTES
from tui_mail.errors import NotFound

FIRST = "/corp.test/mail/config-v1.1.xml"
WELL_KNOWN = "/corp.test/.well-known/autoconfig/mail/config-v1.1.xml"


def config_xml(incoming: str, outgoing: str = "", name: str = "Corp Mail") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="corp.test">
    <domain>corp.test</domain>
    <displayName>{name}</displayName>
    {incoming}
    {outgoing}
  </emailProvider>
</clientConfig>""".encode()


def server(kind: str, host: str, port: int, socket: str, user: str, auth: str = "") -> str:
    tag = "outgoingServer" if kind == "smtp" else "incomingServer"
    auth = auth or "<authentication>password-cleartext</authentication>"
    return (
        f'<{tag} type="{kind}"><hostname>{host}</hostname><port>{port}</port>'
        f"<socketType>{socket}</socketType><username>{user}</username>{auth}</{tag}>"
    )


GOOD = config_xml(
    server("imap", "imap.corp.test", 993, "SSL", "%EMAILLOCALPART%"),
    server("smtp", "smtp.corp.test", 587, "STARTTLS", "%EMAILADDRESS%"),
)


@pytest.fixture
def dns() -> Iterator[LocalDNS]:
    with LocalDNS("") as local:
        yield local


def discover(https: LocalHTTPS | None, dns: LocalDNS, cert: CertPair | None, **kw: Any) -> Any:
    return discover_account(
        "jo@corp.test",
        resolver=dns.resolver(),
        autoconfig_base=https.autoconfig_base if https else "https://127.0.0.1:9/{domain}",
        autoconfig_context=cert.client_context() if cert else None,
        **kw,
    )


def test_a_good_file_proposes_its_servers_with_the_user_name_filled_in(
    test_cert: CertPair, dns: LocalDNS
) -> None:
    with LocalHTTPS(test_cert, {FIRST: Reply(GOOD)}) as https:
        started = time.monotonic()
        proposal = discover(https, dns, test_cert)
        took = time.monotonic() - started
    imap, smtp = proposal.incoming, proposal.smtp
    assert (imap.protocol, imap.host, imap.port, imap.security, imap.username) == (
        "imap",
        "imap.corp.test",
        993,
        "tls",
        "jo",
    )
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.security, smtp.username) == (
        "smtp.corp.test",
        587,
        "starttls",
        "jo@corp.test",
    )
    assert imap.verified and imap.source == f"autoconfig https://127.0.0.1:{https.port}{FIRST}"
    assert imap.auth == "password" and proposal.oauth2_provider is None
    assert proposal.notes == ("Provider: Corp Mail.",)
    assert took < 1.0, took


def test_the_well_known_path_answers_when_the_autoconfig_host_does_not(
    test_cert: CertPair, dns: LocalDNS
) -> None:
    with LocalHTTPS(test_cert, {WELL_KNOWN: Reply(GOOD)}) as https:
        proposal = discover(https, dns, test_cert)
    assert proposal.incoming.source.endswith(WELL_KNOWN)


def test_autoconfig_comes_before_srv(test_cert: CertPair) -> None:
    zone = "_imaps._tcp.corp.test. 60 IN SRV 0 1 993 srv-imap.corp.test."
    with LocalDNS(zone) as dns, LocalHTTPS(test_cert, {FIRST: Reply(GOOD)}) as https:
        assert discover(https, dns, test_cert).incoming.host == "imap.corp.test"
        https.routes.clear()  # no file: then SRV answers
        assert discover(https, dns, test_cert).incoming.host == "srv-imap.corp.test"


def test_a_server_whose_certificate_does_not_verify_is_not_read(
    test_cert: CertPair, dns: LocalDNS
) -> None:
    with LocalHTTPS(test_cert, {FIRST: Reply(GOOD)}) as https, pytest.raises(NotFound):
        discover(https, dns, None)  # the system CAs: the self-signed certificate fails


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [
 <!ENTITY a "lollollollollollollollollollol">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
 <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<clientConfig version="1.1"><emailProvider id="corp.test"><displayName>&i;</displayName>
<incomingServer type="imap"><hostname>imap.corp.test</hostname><port>993</port>
<socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
</emailProvider></clientConfig>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<clientConfig version="1.1"><emailProvider id="corp.test"><displayName>&secret;</displayName>
<incomingServer type="imap"><hostname>imap.corp.test</hostname><port>993</port>
<socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
</emailProvider></clientConfig>"""


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, b"<clientConfig><emailProvider>", b"\x00\xff garbage"],
    ids=["billion-laughs", "external-entity", "truncated", "garbage"],
)
def test_hostile_or_broken_xml_is_refused_at_once(
    test_cert: CertPair, dns: LocalDNS, body: bytes
) -> None:
    with LocalHTTPS(test_cert, {FIRST: Reply(body)}) as https:
        started = time.monotonic()
        with pytest.raises(NotFound):
            discover(https, dns, test_cert)
        assert time.monotonic() - started < 1.5
        assert FIRST in https.paths  # it was read, and refused


def test_plain_text_servers_in_the_file_are_never_proposed(
    test_cert: CertPair, dns: LocalDNS
) -> None:
    plain_first = config_xml(
        server("imap", "plain.corp.test", 143, "plain", "%EMAILADDRESS%")
        + server("imap", "tls.corp.test", 993, "SSL", "%EMAILADDRESS%"),
        server("smtp", "smtp.corp.test", 25, "plain", "%EMAILADDRESS%"),
    )
    only_plain = config_xml(server("imap", "plain.corp.test", 143, "plain", "%EMAILADDRESS%"))
    with LocalHTTPS(test_cert, {FIRST: Reply(plain_first)}) as https:
        proposal = discover(https, dns, test_cert)
        assert (proposal.incoming.host, proposal.incoming.security) == ("tls.corp.test", "tls")
        assert proposal.smtp is None  # its only SMTP was plain text: the user types one
        https.routes[FIRST] = Reply(only_plain)
        with pytest.raises(NotFound):
            discover(https, dns, test_cert)


@pytest.mark.parametrize("content_length", [True, False], ids=["declared", "chunked-by-close"])
def test_an_oversize_file_is_not_read_past_the_limit(
    test_cert: CertPair, dns: LocalDNS, content_length: bool
) -> None:
    padding = b"<!-- " + b"x" * (MAX_BYTES + 10) + b" -->"
    big = GOOD.replace(b"</clientConfig>", padding + b"</clientConfig>")
    with LocalHTTPS(test_cert, {FIRST: Reply(big, content_length=content_length)}) as https:
        with pytest.raises(NotFound):
            discover(https, dns, test_cert)


def test_a_slow_server_costs_the_deadline_and_no_more(test_cert: CertPair, dns: LocalDNS) -> None:
    with LocalHTTPS(test_cert, {FIRST: Reply(GOOD, delay=10)}) as https:
        started = time.monotonic()
        with pytest.raises(NotFound):
            discover(https, dns, test_cert)
        took = time.monotonic() - started
    assert 2.5 < took < 3.5, took


def test_a_redirect_to_plain_http_is_not_followed(test_cert: CertPair, dns: LocalDNS) -> None:
    with LocalHTTPS(None, {FIRST: Reply(GOOD)}) as plain:
        moved = {"Location": plain.autoconfig_base.format(domain="corp.test") + "/mail/config-v1.1.xml"}
        with LocalHTTPS(test_cert, {FIRST: Reply(b"", 301, moved)}) as https:
            with pytest.raises(NotFound):
                discover(https, dns, test_cert)
        with pytest.raises(NotFound):  # nor is plain HTTP asked when it is the base itself
            discover(plain, dns, test_cert)
    assert plain.paths == []
    elsewhere = WELL_KNOWN.replace("corp.test", "other.test")
    routes = {FIRST: Reply(b"", 302, {"Location": elsewhere}), elsewhere: Reply(GOOD)}
    with LocalHTTPS(test_cert, routes) as https:  # to HTTPS: followed
        assert discover(https, dns, test_cert).incoming.host == "imap.corp.test"


def test_oauth2_is_proposed_only_with_a_provider_we_know(
    test_cert: CertPair, dns: LocalDNS
) -> None:
    oauth = (
        "<authentication>OAuth2</authentication><authentication>password-cleartext</authentication>"
    )
    google = config_xml(server("imap", "imap.gmail.com", 993, "SSL", "%EMAILADDRESS%", oauth))
    unknown = config_xml(server("imap", "imap.corp.test", 993, "SSL", "%EMAILADDRESS%", oauth))
    with LocalHTTPS(test_cert, {FIRST: Reply(google)}) as https:
        proposal = discover(https, dns, test_cert)
        assert (proposal.incoming.auth, proposal.oauth2_provider) == ("xoauth2", "google")
        https.routes[FIRST] = Reply(unknown)
        proposal = discover(https, dns, test_cert)
        assert (proposal.incoming.auth, proposal.oauth2_provider) == ("password", None)
