"""A scripted IMAP server on 127.0.0.1, to provoke failures a real server won't give.

This FAKES a server on purpose. Dovecot and pymap never inject bytes after a
STARTTLS OK, hang up halfway through a FETCH, answer with garbage or announce a
100 MB literal; a hostile or broken server can. Everything a real server does
is tested against Dovecot and pymap in ``tests/integration``; this fake is only
for the hostile cases in ``tests/security/test_hostile_imap.py``.

``ScriptedImapServer(script)`` accepts any number of connections on a loopback
port and runs ``script(conn, index)`` for each in its own thread (``index``
counts connections from 0, so a script can misbehave once and then recover).
:class:`Mailbox` answers the handful of commands the client sends (CAPABILITY,
LOGIN, SELECT/EXAMINE, UID SEARCH, UID FETCH, NOOP, IDLE, LOGOUT) so that a
script needs to override only the one it wants to break.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

CAPABILITIES = b"IMAP4rev1 IDLE AUTH=PLAIN"


class ImapConnection:
    """One accepted client: line reads and raw writes (the script decides what to say)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(20)
        self._buffer = b""
        self.received: list[bytes] = []

    def send(self, data: bytes) -> None:
        """Write ``data`` as is (no CRLF added)."""
        self.sock.sendall(data)

    def read_line(self) -> bytes | None:
        """The next line without CRLF, or None at EOF/timeout/reset."""
        while b"\r\n" not in self._buffer:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        self.received.append(line)
        return line

    def start_tls(self, context: ssl.SSLContext) -> bool:
        """Server side of the TLS handshake; False when the client gave up."""
        try:
            self.sock = context.wrap_socket(self.sock, server_side=True)
        except (OSError, ssl.SSLError):
            return False
        self._buffer = b""
        return True

    def reset(self) -> None:
        """Close with an RST (SO_LINGER 0), as a crashed server or a middlebox would."""
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def close(self) -> None:
        """Close the connection (a FIN)."""
        with contextlib.suppress(OSError):
            self.sock.close()


@dataclass
class Message:
    """One message of the fake mailbox."""

    uid: int
    raw: bytes
    flags: tuple[str, ...] = ()
    subject: bytes = b""
    """Sent as an IMAP literal in the ENVELOPE (any bytes, ESC and C1 included)."""


def fetch_summary(number: int, message: Message) -> bytes:
    """A well-formed FETCH response with the items ``sync.SUMMARY_ITEMS`` asks for."""
    flags = " ".join(message.flags)
    subject = message.subject or f"message {message.uid}".encode()
    return (
        f'* {number} FETCH (UID {message.uid} FLAGS ({flags}) INTERNALDATE "03-Feb-2026 10:00:00 +0100" '
        f'RFC822.SIZE {len(message.raw)} ENVELOPE ("Tue, 03 Feb 2026 10:00:00 +0100" {{{len(subject)}}}\r\n'
    ).encode() + subject + (
        ' (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) '
        '(("Alice" NIL "alice" "example.com")) (("Bob" NIL "bob" "example.com")) NIL NIL NIL '
        f'"<m{message.uid}@example.com>") BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL '
        f'"7BIT" {len(message.raw)} 1 NIL NIL NIL NIL) BODY[HEADER.FIELDS (REFERENCES)] {{2}}\r\n\r\n)\r\n'
    ).encode()


Handler = Callable[[ImapConnection, bytes, bytes], bool | None]


@dataclass
class Mailbox:
    """Enough of an IMAP server for login, sync, body fetch and IDLE.

    ``overrides`` maps an upper-case verb (``FETCH`` means ``UID FETCH``) to a
    handler ``(conn, tag, arguments) -> stop?``; returning True ends the session.
    """

    messages: list[Message] = field(default_factory=list)
    folders: list[bytes] = field(default_factory=lambda: [b"INBOX"])
    """Folder names as sent in LIST (modified UTF-7 already applied)."""
    uidvalidity: int = 7
    capabilities: bytes = CAPABILITIES
    overrides: dict[str, Handler] = field(default_factory=dict)

    def break_until_cleared(self, verb: str, misbehave: Handler) -> threading.Event:
        """Answer ``verb`` with ``misbehave`` while the returned Event is set, normally after."""
        broken = threading.Event()
        broken.set()
        normal: Handler = getattr(self, f"do_{verb}")

        def handler(conn: ImapConnection, tag: bytes, arguments: bytes) -> bool | None:
            return (misbehave if broken.is_set() else normal)(conn, tag, arguments)

        self.overrides[verb] = handler
        return broken

    def serve(self, conn: ImapConnection, greeting: bytes = b"* OK scripted server ready\r\n") -> None:
        """Greet (unless ``greeting`` is empty), then answer until LOGOUT, EOF or a handler stops."""
        if greeting:
            conn.send(greeting)
        while (line := conn.read_line()) is not None:
            tag, _, rest = line.partition(b" ")
            verb, _, arguments = rest.partition(b" ")
            if verb.upper() == b"UID":
                verb, _, arguments = arguments.partition(b" ")
            name = verb.upper().decode("ascii", "replace")
            handler = self.overrides.get(name) or getattr(self, f"do_{name}", None)
            if handler is None:
                conn.send(tag + b" BAD unknown command\r\n")
            elif handler(conn, tag, arguments):
                return

    def do_CAPABILITY(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        conn.send(b"* CAPABILITY " + self.capabilities + b"\r\n" + tag + b" OK done\r\n")

    def do_LOGIN(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        conn.send(tag + b" OK logged in\r\n")

    def do_SELECT(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        uidnext = max((m.uid for m in self.messages), default=0) + 1
        conn.send(
            f"* {len(self.messages)} EXISTS\r\n* FLAGS (\\Seen \\Deleted)\r\n"
            f"* OK [UIDVALIDITY {self.uidvalidity}] ok\r\n* OK [UIDNEXT {uidnext}] ok\r\n".encode()
            + tag + b" OK [READ-WRITE] selected\r\n"
        )

    do_EXAMINE = do_SELECT

    def do_SEARCH(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        uids = " ".join(str(m.uid) for m in self.messages)
        conn.send(f"* SEARCH {uids}\r\n".encode() + tag + b" OK done\r\n")

    def do_FETCH(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        wanted = {int(u) for u in arguments.split(b" ", 1)[0].split(b",") if u.isdigit()}
        for number, message in enumerate(self.messages, 1):
            if message.uid not in wanted:
                continue
            if b"BODY.PEEK[]" in arguments.upper():
                conn.send(f"* {number} FETCH (UID {message.uid} BODY[] {{{len(message.raw)}}}\r\n".encode()
                          + message.raw + b")\r\n")
            else:
                conn.send(fetch_summary(number, message))
        conn.send(tag + b" OK fetched\r\n")

    def do_LIST(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        for name in self.folders:
            conn.send(b'* LIST () "/" "' + name + b'"\r\n')
        conn.send(tag + b" OK listed\r\n")

    def do_STATUS(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        name = arguments.rsplit(b" (", 1)[0]
        unseen = sum(1 for m in self.messages if "\\Seen" not in m.flags)
        conn.send(b"* STATUS " + name + f" (MESSAGES {len(self.messages)} UNSEEN {unseen})\r\n".encode()
                  + tag + b" OK status\r\n")

    def do_NOOP(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        conn.send(tag + b" OK noop\r\n")

    def do_IDLE(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        conn.send(b"+ idling\r\n")
        if conn.read_line() is not None:  # DONE
            conn.send(tag + b" OK idle done\r\n")

    def do_LOGOUT(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> bool:
        conn.send(b"* BYE bye\r\n" + tag + b" OK logged out\r\n")
        return True


Script = Callable[[ImapConnection, int], None]


class ScriptedImapServer:
    """Loopback listener running ``script(conn, index)`` per connection (a context manager)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.host = "127.0.0.1"
        self.port: int = self.listener.getsockname()[1]
        self.connections: list[ImapConnection] = []
        self.failures: list[BaseException] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="scripted-imap", daemon=True)

    def __enter__(self) -> ScriptedImapServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection_count(self) -> int:
        """How many clients have connected so far."""
        with self._lock:
            return len(self.connections)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                conn = ImapConnection(sock)
                index = len(self.connections)
                self.connections.append(conn)
            threading.Thread(target=self._run, args=(conn, index), daemon=True).start()

    def _run(self, conn: ImapConnection, index: int) -> None:
        try:
            self.script(conn, index)
        except OSError:
            pass  # the client hung up: that is its right
        except BaseException as exc:  # a broken script must fail the test, not vanish
            self.failures.append(exc)
        finally:
            conn.close()

    def close(self) -> None:
        """Stop accepting and close every connection."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self.listener.close()
        with self._lock:
            for conn in self.connections:
                conn.close()
