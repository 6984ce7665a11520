"""A small HTTPS server on 127.0.0.1 that records what it is sent (one-click unsubscribe tests).

``RecordingHttps(cert)`` serves with the test bed's self-signed certificate
(``tests/servers/tls.py``); ``routes`` maps a path to ``(status, headers)``
(default ``200``); ``silent_paths`` accept the request and never answer (a
timeout test). Every request lands in ``requests`` as :class:`Seen`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers.tls import CertPair


@dataclass(frozen=True)
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingHttps:
    """HTTPS on 127.0.0.1 with a random port; use as a context manager."""

    cert: CertPair
    routes: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    silent_paths: set[str] = field(default_factory=set)
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append(
                    Seen(
                        self.command,
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
                if self.path in outer.silent_paths:
                    time.sleep(5)
                    return
                status, headers = outer.routes.get(self.path, (200, {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_POST = _answer
            do_GET = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = self.cert.server_context()
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """``https://127.0.0.1:PORT``."""
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> RecordingHttps:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
