"""A scripted server whose IDLE never speaks, for ``test_silent_idle.py`` (issue 22).

This FAKES a server on purpose (see ``scripted_imap.py``): one real server was
seen to send nothing during IDLE and to show a session nothing new, not even
after DONE or NOOP, until a fresh SELECT/EXAMINE. Dovecot and pymap push
changes, so only a script can behave like that.

:class:`Store` is the mailbox as it really is, shared by every connection: what
STATUS, APPEND and a new SELECT/EXAMINE see. Each connection's
:class:`SessionView` keeps the messages its last SELECT/EXAMINE showed, so NOOP
and IDLE on it learn nothing new. ``Store(pushes=True)`` is the well-behaved
variant: an APPEND sends ``* N EXISTS`` to every connection idling on that folder.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from tests.security.scripted_imap import ImapConnection, Mailbox, Message

CAPABILITIES = b"IMAP4rev1 IDLE AUTH=PLAIN"
_LITERAL = re.compile(rb"\{(\d+)\}$")
_SUBJECT = re.compile(rb"^Subject: ([^\r\n]*)", re.MULTILINE)


def folder_argument(arguments: bytes) -> bytes:
    """The first argument, unquoted (the names used here have no spaces)."""
    return arguments.split(b" ", 1)[0].strip(b'"')


def sample_message(uid: int, subject: str = "silent") -> bytes:
    """A small message whose Subject names its number."""
    return (
        f"From: Sender <sender@example.org>\r\nTo: me@example.org\r\n"
        f"Subject: {subject} {uid}\r\nMessage-ID: <s{uid}@example.org>\r\n\r\nbody {uid}\r\n"
    ).encode()


class Store:
    """Every folder's real contents, plus counts of what clients asked."""

    def __init__(self, count: int = 2, *, pushes: bool = False) -> None:
        self.lock = threading.Lock()
        self.folders: dict[bytes, list[Message]] = {
            b"INBOX": [
                Message(uid, sample_message(uid), subject=f"silent {uid}".encode())
                for uid in range(1, count + 1)
            ]
        }
        self.pushes = pushes
        self.idlers: dict[ImapConnection, bytes] = {}
        self.commands: list[bytes] = []
        """Upper-case verbs in the order any connection sent them."""

    def count(self, verb: bytes) -> int:
        """How many times any client sent ``verb`` so far."""
        with self.lock:
            return self.commands.count(verb)

    def note(self, line: bytes) -> None:
        """Count the verb of a command line (``UID FETCH`` counts as ``FETCH``)."""
        words = line.upper().split(b" ")
        if len(words) > 2 and words[1] == b"UID":
            words = words[1:]
        if len(words) > 1:
            with self.lock:
                self.commands.append(words[1])

    def uidnext(self, folder: bytes) -> int:
        """The next UID of ``folder`` (UIDs are never reused)."""
        return max((m.uid for m in self.folders.get(folder, [])), default=0) + 1

    def add(self, folder: bytes = b"INBOX", raw: bytes | None = None) -> Message:
        """A new message, as another client's APPEND or a delivery would make it."""
        with self.lock:
            messages = self.folders.setdefault(folder, [])
            uid = self.uidnext(folder)
            raw = raw if raw is not None else sample_message(uid)
            subject = _SUBJECT.search(raw)
            message = Message(uid, raw, subject=subject[1] if subject else b"")
            messages.append(message)
            told = [c for c, f in self.idlers.items() if f == folder] if self.pushes else []
            exists = len(messages)
        for conn in told:
            conn.send(f"* {exists} EXISTS\r\n".encode())
        return message


@dataclass
class SessionView(Mailbox):
    """One connection: answers from what its last SELECT/EXAMINE showed (see module doc)."""

    store: Store = field(default_factory=Store)
    selected: bytes = b""

    def serve(self, conn: ImapConnection, greeting: bytes = b"* OK silent server ready\r\n") -> None:
        """Answer like :class:`Mailbox`, counting each verb in the store."""
        original = conn.read_line

        def read_line() -> bytes | None:
            line = original()
            if line is not None:
                self.store.note(line)
            return line

        conn.read_line = read_line  # type: ignore[method-assign]
        super().serve(conn, greeting)

    def do_SELECT(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        name = folder_argument(arguments)
        with self.store.lock:
            if name not in self.store.folders:
                conn.send(tag + b" NO no such folder\r\n")
                return
            self.selected = name
            self.messages = list(self.store.folders[name])
        super().do_SELECT(conn, tag, arguments)

    do_EXAMINE = do_SELECT

    def do_LIST(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        with self.store.lock:
            self.folders = list(self.store.folders)
        super().do_LIST(conn, tag, arguments)

    def do_STATUS(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        name = folder_argument(arguments)
        with self.store.lock:
            messages = self.store.folders.get(name, [])
            values = {
                b"MESSAGES": len(messages),
                b"UIDNEXT": self.store.uidnext(name),
                b"UNSEEN": sum(1 for m in messages if "\\Seen" not in m.flags),
                b"UIDVALIDITY": self.uidvalidity,
            }
        wanted = arguments.rsplit(b"(", 1)[-1].rstrip(b")").upper().split()
        items = b" ".join(w + b" " + str(values.get(w, 0)).encode() for w in wanted)
        conn.send(b'* STATUS "' + name + b'" (' + items + b")\r\n" + tag + b" OK status\r\n")

    def do_IDLE(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        with self.store.lock:
            self.store.idlers[conn] = self.selected
        try:
            super().do_IDLE(conn, tag, arguments)
        finally:
            with self.store.lock:
                self.store.idlers.pop(conn, None)

    def do_APPEND(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        match = _LITERAL.search(arguments)
        if match is None:
            conn.send(tag + b" BAD no literal\r\n")
            return
        size = int(match[1])
        conn.send(b"+ go ahead\r\n")
        data = b""
        while len(data) < size:  # the literal holds CRLFs: read it line by line
            line = conn.read_line()
            if line is None:
                return
            data += line + b"\r\n"
        if len(data) == size:
            conn.read_line()  # the CRLF that ends the command
        message = self.store.add(folder_argument(arguments), data[:size])
        conn.send(tag + f" OK [APPENDUID {self.uidvalidity} {message.uid}] appended\r\n".encode())

    def do_CREATE(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        with self.store.lock:
            self.store.folders.setdefault(folder_argument(arguments), [])
        conn.send(tag + b" OK created\r\n")

    def do_DELETE(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        with self.store.lock:
            found = self.store.folders.pop(folder_argument(arguments), None)
        conn.send(tag + (b" OK deleted\r\n" if found is not None else b" NO no such folder\r\n"))

    def do_SUBSCRIBE(self, conn: ImapConnection, tag: bytes, arguments: bytes) -> None:
        conn.send(tag + b" OK subscribed\r\n")


def serve_store(store: Store, capabilities: bytes = CAPABILITIES):  # type: ignore[no-untyped-def]
    """A ``ScriptedImapServer`` script: each connection gets its own view of ``store``."""

    def script(conn: ImapConnection, index: int) -> None:
        SessionView(store=store, capabilities=capabilities).serve(conn)

    return script
