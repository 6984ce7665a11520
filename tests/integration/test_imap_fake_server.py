"""Protocol-safety checks against a scripted loopback socket server.

A real server would treat an injected line as a command and we could not see the
bytes, and no real server here sends PREAUTH before STARTTLS or forges responses
around the TLS handshake. So this is the one
place a scripted fake server is right: it records every byte the client sends
and answers with canned lines.
"""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest

from tests.servers.tls import CertPair, make_self_signed_cert
from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import ServerConfig
from tui_mail.errors import TLSError

pytestmark = pytest.mark.integration


class RecordingServer(threading.Thread):
    """Accepts one client, sends ``greeting``, answers each tagged line with OK."""

    def __init__(self, greeting: bytes, capabilities: bytes) -> None:
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.greeting = greeting
        self.capabilities = capabilities
        self.received = b""
        self.commands: list[bytes] = []

    def run(self) -> None:
        conn, _ = self.listener.accept()
        conn.settimeout(5)
        with conn:
            conn.sendall(self.greeting)
            buffer = b""
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.received += chunk
                buffer += chunk
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    buffer = self._answer(conn, line, buffer)

    def _answer(self, conn: socket.socket, line: bytes, rest: bytes) -> bytes:
        if line.endswith(b"}") and b"{" in line:  # a synchronising literal: say go on
            size = int(line[line.rindex(b"{") + 1 : -1].rstrip(b"+"))
            conn.sendall(b"+ go ahead\r\n")
            while len(rest) < size:
                rest += conn.recv(65536)
            self.commands.append(line + b"<literal:" + rest[:size] + b">")
            return self._continue_command(conn, line, rest[size:])
        self.commands.append(line)
        self._reply(conn, line)
        return rest

    def _continue_command(self, conn: socket.socket, head: bytes, rest: bytes) -> bytes:
        # The command goes on after the literal, up to its own CRLF.
        while b"\r\n" not in rest:
            rest += conn.recv(65536)
        tail, rest = rest.split(b"\r\n", 1)
        self.commands[-1] += tail
        if tail.endswith(b"}"):
            return self._answer(conn, self.commands.pop(), rest)
        self._reply(conn, head)
        return rest

    def _reply(self, conn: socket.socket, line: bytes) -> None:
        tag, _, rest = line.partition(b" ")
        word = rest.split(b" ", 2)
        verb = word[1] if word[0].upper() == b"UID" and len(word) > 1 else word[0]
        verb = verb.upper()
        if verb == b"CAPABILITY":
            conn.sendall(b"* CAPABILITY " + self.capabilities + b"\r\n")
        elif verb == b"SELECT":
            conn.sendall(b"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n* OK [UIDNEXT 4] x\r\n")
        elif verb == b"SEARCH":
            conn.sendall(b"* SEARCH 2\r\n")
        elif verb == b"LOGOUT":
            conn.sendall(b"* BYE bye\r\n")
        conn.sendall(tag + b" OK done\r\n")


def test_crlf_in_a_search_term_never_starts_a_second_command() -> None:
    server = RecordingServer(b"* OK fake ready\r\n", b"IMAP4rev1 AUTH=PLAIN")
    server.start()
    session = ImapSession.connect(ServerConfig("127.0.0.1", server.port, "none", "u"), timeout=5)
    session.login("u", "p")
    session.select("INBOX")
    evil = 'x" \r\nA999 DELETE INBOX\r\nA998 LOGOUT'
    assert session.search(["SUBJECT", evil, "OR", ("FROM", "a\r\nb"), ("TO", "c\nd")]) == [2]
    session.logout()
    server.join(5)
    verbs = [c.split(b" ")[1].upper() for c in server.commands if b" " in c]
    assert b"DELETE" not in verbs and server.commands.count(b"A998 LOGOUT") == 0
    search = next(c for c in server.commands if b"SEARCH" in c)
    # The evil text reached the server only as literal data of the one SEARCH command.
    assert b"<literal:" + evil.encode() + b">" in search
    assert not any(c.startswith(b"A999") for c in server.commands)


def test_preauth_before_starttls_is_refused() -> None:
    server = RecordingServer(
        b"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n", b"IMAP4rev1 STARTTLS"
    )
    server.start()
    with pytest.raises(TLSError) as caught:
        ImapSession.connect(ServerConfig("127.0.0.1", server.port, "starttls", "u"), timeout=5)
    assert "PREAUTH" in str(caught.value)
    server.join(5)
    assert not any(b"STARTTLS" in c.upper() for c in server.commands)


def _starttls_injecting_server(cert: CertPair) -> tuple[int, threading.Thread]:
    """Answers STARTTLS with its OK *and* a forged CAPABILITY in the same packet,
    before the handshake (the CVE-2020-14954 pattern), then speaks over TLS."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(5)
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n")
        plain = conn.makefile("rb")
        while line := plain.readline():
            tag, verb = line.split()[:2]
            if verb.upper() == b"STARTTLS":
                conn.sendall(
                    tag + b" OK Begin TLS\r\n* CAPABILITY IMAP4rev1 INJECTED AUTH=PLAIN\r\n"
                )
                break
            conn.sendall(
                b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag + b" OK done\r\n"
            )
        try:
            tls = cert.server_context().wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused the handshake: also a safe outcome
        secure = tls.makefile("rb")
        while line := secure.readline():
            tag, verb = line.split()[:2]
            if verb.upper() == b"LOGOUT":
                tls.sendall(b"* BYE bye\r\n" + tag + b" OK done\r\n")
                break
            tls.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE\r\n" + tag + b" OK done\r\n")
        tls.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def test_nothing_sent_before_the_tls_handshake_is_believed(tmp_path: Path) -> None:
    cert = make_self_signed_cert(tmp_path)
    port, thread = _starttls_injecting_server(cert)
    server = ServerConfig("127.0.0.1", port, "starttls", "u", ca_file=cert.ca_file)
    try:
        session = ImapSession.connect(server, timeout=5)
    except TLSError:
        thread.join(5)
        return  # the forged bytes broke the handshake: refused, which is safe too
    try:
        assert "INJECTED" not in session.capabilities
        assert session.capabilities == {"IMAP4REV1", "AUTH=PLAIN", "IDLE"}
        assert session.tls_info() is not None
    finally:
        session.logout()
        thread.join(5)


def test_no_password_over_plain_text_to_a_remote_host() -> None:
    """The session is opened to the loopback fake, then described as a remote host
    (tests never leave 127.0.0.1): LOGIN must be refused before any byte is sent."""
    from imapclient import IMAPClient

    server = RecordingServer(b"* OK fake ready\r\n", b"IMAP4rev1 AUTH=PLAIN")
    server.start()
    client = IMAPClient("127.0.0.1", server.port, ssl=False, timeout=5)
    remote = ServerConfig("mail.example.org", server.port, "none", "u")
    session = ImapSession(client, remote, allow_insecure=False)
    with pytest.raises(TLSError) as caught:
        session.login("u", "secret-password")
    assert "unencrypted" in str(caught.value)
    allowed = ImapSession(client, remote, allow_insecure=True)  # the user's explicit opt-in
    allowed.login("u", "secret-password")
    allowed.logout()
    server.join(5)
    logins = [c for c in server.commands if b"LOGIN" in c.upper()]
    assert len(logins) == 1  # only the opted-in session sent the password
