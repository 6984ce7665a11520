"""A real HTTPS server on 127.0.0.1 (a random port) serving autoconfig files for discovery's tests.

``LocalHTTPS(cert, routes)``: ``routes`` maps a path (``/example.test/mail/config-v1.1.xml``)
to a :class:`Reply` (status, body, headers, a delay before answering, whether
to send Content-Length). ``base`` is the ``autoconfig_base`` to give
``discover_account``; ``requests`` lists the paths asked, in order.
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
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_length: bool = True


class LocalHTTPS:
    """The server (context manager), presenting ``cert`` (self-signed: trust it explicitly).

    ``cert=None`` serves plain HTTP (what discovery must never ask).
    """

    def __init__(self, cert: CertPair | None, routes: dict[str, Reply]) -> None:
        self.routes = routes
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # no Content-Length: the body ends at close

            def do_GET(self) -> None:
                owner.requests.append(self.path)
                reply = owner.routes.get(self.path.split("?")[0], Reply(b"not here", 404))
                time.sleep(reply.delay)
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
        self.base = f"{scheme}://127.0.0.1:{self.port}/{{domain}}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalHTTPS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
