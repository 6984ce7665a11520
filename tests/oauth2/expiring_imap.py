"""A scripted IMAP server that ends sessions the way Microsoft 365 does at token expiry.

This FAKES a server on purpose: Dovecot's oauth2 passdb checks a token at
AUTHENTICATE only and never ends a live session when it expires. Microsoft 365
does, with an untagged ``* BYE [UNAVAILABLE] AccessTokenExpired`` (in answer to
the next command, or unasked) and a hang-up. This server takes ``AUTHENTICATE
XOAUTH2`` checked against the bed's authorization server (a bad token gets the
JSON error challenge, then NO, as Dovecot answers), keeps a
:class:`~tests.security.scripted_imap.Mailbox` for the rest (its shape is that
of ``tests/security/rule_breaking_imap.py``), and sends the BYE where a test
says (:attr:`ExpiringImapServer.bye_on`).

Each AUTHENTICATE is kept in :attr:`ExpiringImapServer.logins` with a digest
of its token, never the token (a failed assertion prints what it compares).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import socket
import threading
import time
from dataclasses import dataclass

from tests.security.scripted_imap import ImapConnection, Mailbox, Message, ScriptedImapServer
from tests.servers.oauth_server import OAuthServer

CAPABILITIES = b"IMAP4rev1 IDLE AUTH=XOAUTH2"
BYE = b"* BYE [UNAVAILABLE] AccessTokenExpired\r\n"


@dataclass(frozen=True)
class Login:
    """One AUTHENTICATE: when, on which connection, which token (its digest), and the answer."""

    at: float
    connection: int
    token: str
    """:func:`digest` of the token: a failed assertion may print it."""
    accepted: bool


def digest(token: str) -> str:
    """What :class:`Login` keeps of a token: its SHA-256, so no test output can show it."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class ExpiringImapServer(ScriptedImapServer):
    """Loopback IMAP taking XOAUTH2 and ending sessions with Microsoft's BYE on cue."""

    def __init__(self, auth: OAuthServer, user: str, messages: list[Message]) -> None:
        super().__init__(self._session)
        self.auth = auth
        self.user = user
        self.mailbox = Mailbox(messages=messages, capabilities=CAPABILITIES)
        self.bye_on: set[tuple[str, int]] = set()
        """``(verb, n)``: the n-th such command (counted over all connections, from 1)
        is answered with the BYE instead, and the connection closed."""
        self.counts: dict[str, int] = {}
        self.logins: list[Login] = []
        self.byes: list[float] = []
        """``time.monotonic()`` of each BYE sent."""
        self.lock = threading.Lock()

    def _session(self, conn: ImapConnection, index: int) -> None:
        conn.send(b"* OK [CAPABILITY " + CAPABILITIES + b"] expiring server ready\r\n")
        while (line := conn.read_line()) is not None:
            tag, _, rest = line.partition(b" ")
            verb, _, arguments = rest.partition(b" ")
            if verb.upper() == b"UID":
                verb, _, arguments = arguments.partition(b" ")
            name = verb.upper().decode("ascii", "replace")
            with self.lock:
                self.counts[name] = self.counts.get(name, 0) + 1
                ending = (name, self.counts[name]) in self.bye_on
                if ending:
                    self.byes.append(time.monotonic())
            if ending:
                conn.send(BYE)
                return
            if name == "AUTHENTICATE":
                self._authenticate(conn, tag, index)
                continue
            handler = getattr(self.mailbox, f"do_{name}", None)
            if handler is None:
                conn.send(tag + b" BAD unknown command\r\n")
            elif handler(conn, tag, arguments):
                return

    def hang_up_all(self) -> None:
        """Send the BYE unasked on every connection and hang up (tokens expiring now)."""
        with self._lock:
            connections = list(self.connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.send(BYE)
                conn.sock.shutdown(socket.SHUT_RDWR)  # a FIN, and wakes the thread reading it
            conn.close()
            with self.lock:
                self.byes.append(time.monotonic())

    def _authenticate(self, conn: ImapConnection, tag: bytes, index: int) -> None:
        conn.send(b"+ \r\n")
        answer = conn.read_line() or b""
        try:
            blob = base64.b64decode(answer, validate=True)
        except binascii.Error:
            blob = b""
        fields = dict(
            part.decode(errors="replace").split("=", 1)
            for part in blob.split(b"\x01")
            if b"=" in part
        )
        token = fields.get("auth", "").removeprefix("Bearer ")
        accepted = fields.get("user") == self.user and self.auth.validate(token, self.user)
        with self.lock:
            self.logins.append(Login(time.monotonic(), index, digest(token), accepted))
        if accepted:
            conn.send(tag + b" OK [CAPABILITY " + CAPABILITIES + b"] logged in\r\n")
            return
        status = json.dumps({"status": "401", "schemes": "bearer", "scope": "mail"})
        conn.send(b"+ " + base64.b64encode(status.encode()) + b"\r\n")
        conn.read_line()  # the client's empty answer to the error challenge
        conn.send(tag + b" NO [AUTHENTICATIONFAILED] invalid token\r\n")
