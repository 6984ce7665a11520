"""Helpers of the setup screen's tests: discovery that cannot leave the machine."""

from __future__ import annotations

from functools import partial
from typing import Any

import dns.resolver

from tui_mail.backend import discover_account


def offline_discover(resolver: Any = None) -> Any:
    """``discover_account`` whose DNS and autoconfig reach only 127.0.0.1.

    ``resolver`` (a dnspython Resolver at the local DNS fixture) answers DNS;
    without one, DNS goes to a closed port (port 9, discard) and fails fast.
    The autoconfig base is always a closed local port.
    """
    if resolver is None:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = 9
        resolver.lifetime = 0.5
    return partial(
        discover_account, resolver=resolver, autoconfig_base="https://127.0.0.1:9/{domain}"
    )
