"""First-run discovery: from an email address to proposed servers (issue 15).

Order: the bundled table (no network, answered at once), then the domain's
autoconfig file over HTTPS, then DNS SRV (RFC 6186/8314), then the MX host
(Google Workspace, Microsoft 365), then host-name guesses probed for TLS.
All but the table run at once, each on its own thread, and the first in that
order with an answer wins, within one deadline: a server that never answers
costs the deadline and no more. ``inspect_certificate`` reads a server's
certificate.
"""

from __future__ import annotations

import concurrent.futures
import re
import ssl
import time
from typing import TYPE_CHECKING, TypeVar

from tui_mail.backend.api.setup import AccountProposal
from tui_mail.backend.discovery import table
from tui_mail.backend.discovery.certs import inspect_certificate
from tui_mail.errors import ConfigError, NotFound

if TYPE_CHECKING:
    from tui_mail.backend.discovery.guess import Connector

T = TypeVar("T")

__all__ = ["discover_account", "inspect_certificate"]

_ADDRESS = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+)$")


def _domain(email: str) -> str:
    match = _ADDRESS.match(email.strip())
    if match is None:
        raise ConfigError(
            "setup", "email", f"{email!r} is not an email address like jo@example.org"
        )
    return match.group(1).lower()


def discover_account(
    email: str,
    *,
    deadline: float = 3.0,
    resolver: object | None = None,
    autoconfig_base: str | None = None,
    autoconfig_context: ssl.SSLContext | None = None,
    connector: Connector | None = None,
) -> AccountProposal:
    """Propose servers for ``email``; blocking, at most ``deadline`` seconds (run it on a thread).

    Raises ConfigError for a malformed address and NotFound when nothing was
    found (the user then types the servers). For tests only: ``resolver`` (a
    dnspython Resolver, also used for the guessed host names),
    ``autoconfig_base`` (``https://127.0.0.1:P/{domain}`` instead of the
    domain's hosts), ``autoconfig_context`` (trusting the test's CA) and
    ``connector`` (opens the guesses' TCP connections).
    """
    email = email.strip()
    domain = _domain(email)
    provider = table.DOMAINS.get(domain)
    if provider is not None:
        return table.propose(email, provider, table.SOURCE, verified=True)
    # dnspython and defusedxml load here, on setup's first lookup the table cannot
    # answer: the app imports the backend (and so this package) at every start.
    from tui_mail.backend.discovery import autoconfig, dns_lookup, guess

    end = time.monotonic() + deadline
    res = dns_lookup.make_resolver(resolver, deadline)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=12, thread_name_prefix="discover")
    try:
        files = [
            pool.submit(autoconfig.look_up, url, email, autoconfig_context, end)
            for url in autoconfig.urls(domain, autoconfig_base)
        ]
        srv = pool.submit(dns_lookup.srv_servers, res, domain, email)
        mx = pool.submit(dns_lookup.mx_hosts, res, domain)
        probes = guess.start(pool, domain, guess.resolving(res, connector), end)
        for file in files:
            proposal = _result(file, end)
            if proposal is not None:
                return proposal
        found = _result(srv, end) or {}
        incoming = found.get("imap") or found.get("pop3")
        if incoming is not None:
            return AccountProposal(email, incoming, found.get("smtp"), None, "", "", ())
        for host in _result(mx, end) or []:
            by_mx = table.for_mx(host)
            if by_mx is not None:
                return table.propose(email, by_mx, f"MX: {by_mx.name}", verified=False)
        guessed = guess.collect(probes, email, end)
        if guessed is not None:
            return guessed
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    raise NotFound(f"No mail settings found for {domain}.")


def _result(future: concurrent.futures.Future[T], end: float) -> T | None:
    """The lookup's result, or None when the deadline came first."""
    try:
        return future.result(timeout=max(0.0, end - time.monotonic()))
    except concurrent.futures.TimeoutError:
        return None
