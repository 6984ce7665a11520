"""The last resort of discovery: ``imap.<domain>``, ``mail.<domain>``, ``smtp.<domain>`` probed for TLS.

Each guess is a TLS handshake (direct on 993 and 465, STARTTLS on 587) and
nothing more: no login, no password. The names are resolved with discovery's
own resolver (so tests, with a local DNS server, never reach the real one),
and the TCP connection is made by an injectable connector. What answers is
only a guess: always "found, not verified", for the user to check.
"""

from __future__ import annotations

import concurrent.futures
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import dns.exception
import dns.resolver

from tui_mail.backend.api.setup import AccountProposal, Protocol, Security, ServerProposal
from tui_mail.backend.discovery.certs import Connect, inspect_certificate
from tui_mail.errors import MailError

SOURCE = "guess"
#: Opens TCP to an address: ``connector(ip, port, timeout)`` (tests map ports to local servers).
Connector = Callable[[str, int, float], socket.socket]


@dataclass(frozen=True)
class Guess:
    """One name and port to try, and how TLS is reached there."""

    protocol: Protocol
    label: str
    port: int
    security: Security


#: Best first within each protocol.
GUESSES = (
    Guess("imap", "imap", 993, "tls"),
    Guess("imap", "mail", 993, "tls"),
    Guess("smtp", "smtp", 465, "tls"),
    Guess("smtp", "smtp", 587, "starttls"),
    Guess("smtp", "mail", 465, "tls"),
    Guess("smtp", "mail", 587, "starttls"),
)


def _tcp(address: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((address, port), timeout=timeout)


def resolving(resolver: dns.resolver.Resolver, connector: Connector | None) -> Connect:
    """A ``connect(host, port, timeout)`` that looks ``host`` up with ``resolver`` first."""
    open_tcp = connector or _tcp

    def connect(host: str, port: int, timeout: float) -> socket.socket:
        addresses: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer = resolver.resolve(host, rdtype, lifetime=timeout)
            except (dns.exception.DNSException, OSError):
                continue
            addresses += [str(record.address) for record in answer]
        last: OSError = OSError(f"{host} has no address")
        for address in addresses:
            try:
                return open_tcp(address, port, timeout)
            except OSError as exc:
                last = exc
        raise last

    return connect


def _answers(guess: Guess, host: str, connect: Connect, end: float) -> bool:
    left = end - time.monotonic()
    if left <= 0:
        return False
    try:
        inspect_certificate(
            host, guess.port, guess.security, left, protocol=guess.protocol, connect=connect
        )
    except (MailError, OSError):
        return False
    return True


Probes = list[tuple[Guess, str, "concurrent.futures.Future[bool]"]]


def start(
    pool: concurrent.futures.ThreadPoolExecutor, domain: str, connect: Connect, end: float
) -> Probes:
    """Start every probe on ``pool`` (they run beside the other lookups)."""
    probes: Probes = []
    for guess in GUESSES:
        host = f"{guess.label}.{domain}"
        probes.append((guess, host, pool.submit(_answers, guess, host, connect, end)))
    return probes


def collect(probes: Probes, email: str, end: float) -> AccountProposal | None:
    """The best IMAP and SMTP guess that answered with TLS by ``end``; None without IMAP."""
    found: dict[str, ServerProposal] = {}
    for guess, host, future in probes:
        if guess.protocol in found:
            continue
        try:
            answered = future.result(timeout=max(0.0, end - time.monotonic()))
        except concurrent.futures.TimeoutError:
            answered = False
        if answered:
            found[guess.protocol] = ServerProposal(
                guess.protocol, host, guess.port, guess.security, email, "password", False, SOURCE
            )
    if "imap" not in found:
        return None
    return AccountProposal(
        email,
        found["imap"],
        found.get("smtp"),
        None,
        "",
        "",
        ("Guessed from the usual host names: check them before you trust them.",),
    )
