"""A real DNS server on 127.0.0.1 (dnslib, UDP and TCP, a random port) for discovery's tests.

``LocalDNS(records)`` answers the zone lines it is given (``"_imaps._tcp.example.test.
60 IN SRV 0 1 993 mail.example.test."``) and NXDOMAIN for the rest; with
``silent=True`` it reads every query and never answers (the deadline test).
"""

from __future__ import annotations

import socket
import time
from typing import Any

import dns.resolver
from dnslib import QTYPE, RCODE, RR
from dnslib.server import BaseResolver, DNSServer


def _free_port() -> int:
    """A port free on both UDP and TCP at 127.0.0.1 (checked by binding both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


class _Zone(BaseResolver):  # type: ignore[misc]
    def __init__(self, zone: str, silent: bool) -> None:
        self.records = RR.fromZone(zone) if zone.strip() else []
        self.silent = silent

    def resolve(self, request: Any, handler: Any) -> Any:
        if self.silent:
            time.sleep(30)  # never answer in time: the client's deadline must end it
        reply = request.reply()
        qname, qtype = request.q.qname, QTYPE[request.q.qtype]
        for rr in self.records:
            if rr.rname == qname and QTYPE[rr.rtype] == qtype:
                reply.add_answer(rr)
        if not reply.rr:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class LocalDNS:
    """The server (context manager); ``resolver()`` gives a dnspython Resolver pointed at it."""

    def __init__(self, zone: str = "", *, silent: bool = False) -> None:
        self.port = _free_port()
        zone_resolver = _Zone(zone, silent)
        self._servers = [
            DNSServer(zone_resolver, port=self.port, address="127.0.0.1", tcp=tcp)
            for tcp in (False, True)
        ]

    def resolver(self) -> dns.resolver.Resolver:
        """A resolver that asks only this server."""
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = ["127.0.0.1"]
        res.port = self.port
        res.lifetime = 5.0
        return res

    def __enter__(self) -> LocalDNS:
        for server in self._servers:
            server.start_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.stop()
