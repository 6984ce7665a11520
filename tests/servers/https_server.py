"""A small real HTTPS server on 127.0.0.1 (a random port) for the tests that speak HTTPS.

``LocalHTTPS(cert, routes, default=...)`` serves with the test bed's self-signed
certificate (``tests/servers/tls.py``; ``cert=None`` serves plain HTTP, what
discovery must never ask). ``routes`` maps a path (with its query, else
without) to a :class:`Reply`; other paths get ``default`` (404). Every request
lands in ``requests`` as :class:`Seen`; ``paths`` lists just their paths.
Used by discovery's autoconfig tests and the one-click unsubscribe tests.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers.tls import CertPair


@dataclass(frozen=True)
class Reply:
    """What one path answers: ``answer=False`` reads the request and never answers."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_length: bool = True
    answer: bool = True


#: The reply to a request for a path not in ``routes``.
NOT_HERE = Reply(b"not here", 404)


@dataclass(frozen=True)
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class LocalHTTPS:
    """The server (a context manager), presenting ``cert`` (self-signed: trust it explicitly)."""

    def __init__(
        self,
        cert: CertPair | None,
        routes: dict[str, Reply] | None = None,
        default: Reply = NOT_HERE,
    ) -> None:
        self.routes = dict(routes or {})
        self.default = default
        self.requests: list[Seen] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # no Content-Length: the body ends at close

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.requests.append(Seen(self.command, self.path, headers, body))
                reply = owner.reply_for(self.path)
                time.sleep(reply.delay)
                if not reply.answer:
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.content_length:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                try:
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the client gave up (too big, too late): that is the point

            do_GET = _answer
            do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if cert is not None:
            self.server.socket = cert.server_context().wrap_socket(
                self.server.socket, server_side=True
            )
        self.port = int(self.server.server_address[1])
        scheme = "https" if cert is not None else "http"
        self.base = f"{scheme}://127.0.0.1:{self.port}"
        """``https://127.0.0.1:PORT``."""
        self.autoconfig_base = self.base + "/{domain}"
        """The ``autoconfig_base`` to give ``discover_account``."""
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reply_for(self, path: str) -> Reply:
        """The route of ``path`` with its query, else without it, else the default."""
        return self.routes.get(path) or self.routes.get(path.split("?")[0]) or self.default

    @property
    def paths(self) -> list[str]:
        """The paths asked, in order."""
        return [seen.path for seen in self.requests]

    def __enter__(self) -> LocalHTTPS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
