"""DNS discovery: RFC 6186/8314 SRV records and the MX host, with dnspython.

Answers are unsigned (no DNSSEC check), so what SRV gives is "found, not
verified"; a "." target means the service is not offered (RFC 2782).
"""

from __future__ import annotations

from typing import Any

import dns.exception
import dns.resolver

from tui_mail.backend.api.setup import Protocol, Security, ServerProposal

# Best first within each protocol: implicit TLS (RFC 8314) before STARTTLS.
SRV_SERVICES: tuple[tuple[str, Protocol, Security], ...] = (
    ("_imaps._tcp", "imap", "tls"),
    ("_imap._tcp", "imap", "starttls"),
    ("_pop3s._tcp", "pop3", "tls"),
    ("_pop3._tcp", "pop3", "starttls"),
    ("_submissions._tcp", "smtp", "tls"),
    ("_submission._tcp", "smtp", "starttls"),
)


def make_resolver(resolver: Any, lifetime: float) -> dns.resolver.Resolver:
    """``resolver`` (tests) or the system's, with its lifetime bounded by ``lifetime``."""
    res: dns.resolver.Resolver = resolver if resolver is not None else dns.resolver.Resolver()
    res.lifetime = min(res.lifetime or lifetime, lifetime)
    return res


def srv_lookup(
    resolver: dns.resolver.Resolver, service: str, domain: str
) -> tuple[str, int] | None:
    """The best (priority, then weight) target of ``service``'s SRV record, or None."""
    try:
        answer = resolver.resolve(f"{service}.{domain}", "SRV")
    except (dns.exception.DNSException, OSError):
        return None
    records = sorted(answer, key=lambda r: (r.priority, -r.weight))
    if not records:
        return None
    best = records[0]
    target = str(best.target).rstrip(".")
    if not target or not 0 < int(best.port) < 65536:
        return None  # "." target: not offered
    return target, int(best.port)


def srv_servers(
    resolver: dns.resolver.Resolver, domain: str, email: str
) -> dict[Protocol, ServerProposal]:
    """The first SRV-offered server per protocol (best security first)."""
    found: dict[Protocol, ServerProposal] = {}
    for service, proto, security in SRV_SERVICES:
        if proto in found:
            continue
        hit = srv_lookup(resolver, service, domain)
        if hit is not None:
            found[proto] = ServerProposal(
                proto, hit[0], hit[1], security, email, "password", False, "DNS SRV"
            )
    return found


def mx_hosts(resolver: dns.resolver.Resolver, domain: str) -> list[str]:
    """The domain's MX hosts, most preferred first (empty when none or DNS fails)."""
    try:
        answer = resolver.resolve(domain, "MX")
    except (dns.exception.DNSException, OSError):
        return []
    records = sorted(answer, key=lambda r: r.preference)
    return [str(r.exchange).rstrip(".") for r in records]
