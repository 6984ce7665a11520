"""A scripted POP3 server on 127.0.0.1, to provoke failures a real server won't give.

This FAKES a server on purpose. Dovecot never resets a connection halfway
through a RETR, gives two messages one UIDL, changes UIDLs between sessions,
answers with garbage lines or sends more than LIST announced; a broken or
hostile server can. Everything a real server does is tested against Dovecot
(``tests/pop3/test_session.py``, ``test_fetch.py``); this fake is only for the
faults in ``tests/pop3/test_faults.py``.

:class:`ScriptedPop3Server` serves a :class:`Maildrop` (kept across
connections, so a test can fetch, "restart" and fetch again). A
:class:`Faults` object says what to break; ``faults`` may be changed between
connections. Deletions take effect at QUIT, as RFC 1939 says.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field


@dataclass
class Faults:
    """What the server does wrong (all off by default)."""

    reset_in_retr: int = 0
    """Message number whose RETR stops halfway with a TCP reset."""
    uidls: dict[int, str] = field(default_factory=dict)
    """Message number -> the UIDL to claim instead of the true one (a lie)."""
    no_uidl: bool = False
    """Answer UIDL with -ERR (and leave it out of CAPA)."""
    no_capa: bool = False
    """Answer CAPA with -ERR (an RFC 1939-only server)."""
    garbage_in_listings: bool = False
    """Put junk lines (escapes, bad numbers) into LIST and UIDL."""
    list_sizes: dict[int, int] = field(default_factory=dict)
    """Message number -> the size LIST claims."""
    retr_padding: int = 0
    """Bytes of extra body RETR sends beyond the message (more than LIST said)."""
    stat_garbage: bool = False
    """Answer STAT with a line that is neither +OK nor -ERR."""
    pass_error: str = ""
    """Answer PASS with ``-ERR <this>``."""
    stls: bool = False
    """Offer STLS (needs ``tls_context``)."""
    after_stls_ok: bytes = b""
    """Plain-text bytes sent right after STLS's +OK, before the handshake (an injection)."""
    sasl_challenges: int = 0
    """Offer SASL XOAUTH2; AUTH gets this many JSON-status challenges, then -ERR."""


@dataclass
class Maildrop:
    """The messages (by their true UIDL) and what each session did."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)
    commands: list[bytes] = field(default_factory=list)
    """Every command line received (PASS arguments replaced by ***)."""

    def add(self, raw: bytes) -> str:
        """Add a message; returns its true UIDL."""
        uidl = hashlib.sha1(raw).hexdigest()[:16] + str(len(self.messages))
        self.messages.append((uidl, raw))
        return uidl


class ScriptedPop3Server:
    """A thread serving :class:`Maildrop` on a loopback port, misbehaving as told."""

    host = "127.0.0.1"

    def __init__(
        self,
        drop: Maildrop,
        faults: Faults | None = None,
        *,
        username: str = "user",
        password: str = "secret",
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.drop = drop
        self.faults = faults or Faults()
        self.username, self.password = username, password
        self.tls_context = tls_context
        self._listener = socket.create_server((self.host, 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.lock = threading.Lock()

    def __enter__(self) -> ScriptedPop3Server:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._thread.join(5)

    def _serve(self) -> None:
        self._listener.settimeout(0.1)  # closing a listener does not wake accept(): poll
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, sock: socket.socket) -> None:
        sock.settimeout(20)
        with contextlib.suppress(OSError), self.lock:
            _Session(self, sock).run()
        with contextlib.suppress(OSError):
            sock.close()


class _Session:
    def __init__(self, server: ScriptedPop3Server, sock: socket.socket) -> None:
        self.server, self.sock, self.faults = server, sock, server.faults
        self.file = sock.makefile("rb")
        self.deleted: set[int] = set()
        self.logged_in = False
        self.user = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def say(self, line: bytes) -> None:
        self.send(line + b"\r\n")

    def lines(self, lines: list[bytes]) -> None:
        body = b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)
        self.send(b"+OK\r\n" + body + b".\r\n")

    def run(self) -> None:
        self.say(b"+OK scripted POP3 ready <1896.697170952@scripted.example>")
        while True:
            line = self.file.readline(10_000)
            if not line:
                return
            line = line.rstrip(b"\r\n")
            verb, _, arg = line.partition(b" ")
            verb = verb.upper()
            self.server.drop.commands.append(b"PASS ***" if verb == b"PASS" else line)
            handler = getattr(self, "do_" + verb.decode("ascii", "replace").lower(), None)
            if handler is None:
                self.say(b"-ERR unknown command")
            elif handler(arg) is False:
                return

    # ------------------------------------------------------------ commands

    def do_capa(self, _arg: bytes) -> None:
        if self.faults.no_capa:
            self.say(b"-ERR what is CAPA?")
            return
        caps = [b"CAPA", b"TOP", b"USER", b"RESP-CODES"]
        if not self.faults.no_uidl:
            caps.append(b"UIDL")
        if self.faults.stls and self.server.tls_context and not isinstance(self.sock, ssl.SSLSocket):
            caps.append(b"STLS")
        if self.faults.sasl_challenges:
            caps.append(b"SASL XOAUTH2")
        self.lines(caps)

    def do_stls(self, _arg: bytes) -> bool | None:
        context = self.server.tls_context
        if not self.faults.stls or context is None:
            self.say(b"-ERR no STLS here")
            return None
        self.send(b"+OK begin TLS\r\n" + self.faults.after_stls_ok)
        try:
            self.sock = context.wrap_socket(self.sock, server_side=True)
        except (OSError, ssl.SSLError):
            return False
        self.file = self.sock.makefile("rb")
        return None

    def do_user(self, arg: bytes) -> None:
        self.user = arg
        self.say(b"+OK")

    def do_pass(self, arg: bytes) -> None:
        if self.faults.pass_error:
            self.say(b"-ERR " + self.faults.pass_error.encode())
        elif self.user.decode() == self.server.username and arg.decode() == self.server.password:
            self.logged_in = True
            self.say(b"+OK logged in")
        else:
            self.say(b"-ERR [AUTH] bad login")

    def do_auth(self, arg: bytes) -> None:
        """A server that challenges again and again (its answers are kept: never a token)."""
        if not self.faults.sasl_challenges:
            self.say(b"-ERR no SASL here")
            return
        if len(arg.split()) < 2:
            self.say(b"+ ")
            self.file.readline(10_000)  # the initial response: a bearer token, not recorded
        status = base64.b64encode(b'{"status":"400","schemes":"bearer"}')
        for _ in range(self.faults.sasl_challenges):
            self.say(b"+ " + status)
            answer = self.file.readline(10_000).rstrip(b"\r\n")
            self.server.drop.commands.append(b"SASL answer: " + answer)
            if answer == b"*":
                self.say(b"-ERR [AUTH] cancelled")
                return
        self.say(b"-ERR [AUTH] refused")

    def do_apop(self, arg: bytes) -> None:
        user, _, digest = arg.partition(b" ")
        stamp = b"<1896.697170952@scripted.example>"
        good = hashlib.md5(stamp + self.server.password.encode()).hexdigest().encode()
        if self.faults.pass_error:
            self.say(b"-ERR " + self.faults.pass_error.encode())
        elif user.decode() == self.server.username and digest == good:
            self.logged_in = True
            self.say(b"+OK logged in")
        else:
            self.say(b"-ERR [AUTH] bad login")

    def _live(self) -> list[tuple[int, str, bytes]]:
        return [
            (number, uidl, raw)
            for number, (uidl, raw) in enumerate(self.server.drop.messages, 1)
            if number not in self.deleted
        ]

    def do_stat(self, _arg: bytes) -> None:
        if self.faults.stat_garbage:
            self.say(b"HELLO \x1b[31mthere")
            return
        live = self._live()
        self.say(b"+OK %d %d" % (len(live), sum(len(raw) for _, _, raw in live)))

    def do_list(self, _arg: bytes) -> None:
        lines = [
            b"%d %d" % (n, self.faults.list_sizes.get(n, len(raw))) for n, _, raw in self._live()
        ]
        if self.faults.garbage_in_listings:
            lines[1:1] = [b"\x1b[2Jgarbage", b"0 12", b"99 12", b"x y z"]
        self.lines(lines)

    def do_uidl(self, _arg: bytes) -> None:
        if self.faults.no_uidl:
            self.say(b"-ERR no UIDL")
            return
        lines = [
            b"%d %s" % (n, self.faults.uidls.get(n, uidl).encode()) for n, uidl, _ in self._live()
        ]
        if self.faults.garbage_in_listings:
            lines.append(b"1 \x1b]0;title\x07")
        self.lines(lines)

    def _message(self, arg: bytes) -> tuple[int, bytes] | None:
        try:
            number = int(arg.split()[0])
            raw = self.server.drop.messages[number - 1][1]
        except (ValueError, IndexError):
            self.say(b"-ERR no such message")
            return None
        if number in self.deleted:
            self.say(b"-ERR message deleted")
            return None
        return number, raw

    def do_top(self, arg: bytes) -> None:
        found = self._message(arg)
        if found is not None:
            head = found[1].split(b"\r\n\r\n", 1)[0]
            self.lines([*head.split(b"\r\n"), b""])

    def do_retr(self, arg: bytes) -> bool | None:
        found = self._message(arg)
        if found is None:
            return None
        number, raw = found
        lines = raw.rstrip(b"\r\n").split(b"\r\n")
        if self.faults.retr_padding:
            lines += [b"x" * 1000] * (self.faults.retr_padding // 1000)
        if number == self.faults.reset_in_retr:
            half = b"+OK\r\n" + b"\r\n".join(lines)[: len(raw) // 2]
            self.send(half)
            # SO_LINGER 0: close sends a TCP reset, as a crashing server's kernel would.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.file.close()  # the reader holds the socket open: let go of it first
            self.sock.close()
            return False
        self.lines(lines)
        return None

    def do_dele(self, arg: bytes) -> None:
        found = self._message(arg)
        if found is not None:
            self.deleted.add(found[0])
            self.say(b"+OK deleted")

    def do_noop(self, _arg: bytes) -> None:
        self.say(b"+OK")

    def do_quit(self, _arg: bytes) -> bool:
        drop = self.server.drop
        drop.messages = [m for n, m in enumerate(drop.messages, 1) if n not in self.deleted]
        self.say(b"+OK bye")
        return False
