"""Host names that mean this machine: where plain text and ``http://`` are tolerated."""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str) -> bool:
    """True when ``host`` names this machine's loopback interface."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
