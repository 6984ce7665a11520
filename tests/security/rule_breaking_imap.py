"""A scripted IMAP server that breaks rules real servers were seen to break (issue 22).

This FAKES a server on purpose, like ``scripted_imap.py`` (whose connection,
message and listener classes it reuses). Dovecot and pymap follow RFC 3501 here;
a fifth server did not, and only a fake can show what the client does then:

- ``refuse_gone_uids``: a ``UID FETCH`` whose set names an expunged UID is
  answered ``BAD`` (RFC 3501 says missing UIDs are ignored);
- ``stale_flags``: a STORE is answered with the new flags, but later FETCHes
  show the flags as they were (other sessions' changes appear only after LOGOUT);
- :attr:`RuleBreakingServer.refuse`: any command can be answered ``BAD`` by a hook.

Unlike :class:`scripted_imap.Mailbox` it keeps several folders, each connection
with its own selection, and understands sequence-number FETCH, UID and sequence
ranges with ``*``, ``UID SEARCH UID a:b``, ``UID STORE`` and, when offered,
CONDSTORE's ENABLE and HIGHESTMODSEQ (a ``CHANGEDSINCE`` FETCH answers every message).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.security.scripted_imap import (
    CAPABILITIES,
    ImapConnection,
    Message,
    ScriptedImapServer,
    fetch_summary,
)

#: ``(folder, verb, arguments, uid)`` -> the text after the tag to answer instead
#: (e.g. ``b"BAD no"``), or None to answer normally. ``verb`` is ``FETCH``,
#: ``SEARCH``, ``STORE``...; ``uid`` tells ``UID FETCH`` from ``FETCH``.
Refusal = Callable[[str, str, bytes, bool], "bytes | None"]


@dataclass
class Folder:
    """One folder: its messages in UID order, and the UIDs expunged from it."""

    messages: list[Message] = field(default_factory=list)
    uidvalidity: int = 7
    modseq: int = 1
    """HIGHESTMODSEQ, sent when the server offers CONDSTORE (a test raises it)."""
    gone: set[int] = field(default_factory=set)
    stored: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """``stale_flags``: flags STOREd but not yet shown (until :meth:`catch_up`)."""

    @property
    def uidnext(self) -> int:
        """One above the highest UID ever given (expunged ones count)."""
        return max([m.uid for m in self.messages] + list(self.gone), default=0) + 1

    def expunge(self, uid: int) -> None:
        """Another client's expunge of ``uid``."""
        self.messages = [m for m in self.messages if m.uid != uid]
        self.gone.add(uid)

    def add(self, message: Message) -> None:
        """New mail (UIDs must grow)."""
        self.messages.append(message)

    def catch_up(self) -> None:
        """Show the flags STOREd meanwhile (as a stale server does after a LOGOUT)."""
        for message in self.messages:
            if message.uid in self.stored:
                message.flags = self.stored.pop(message.uid)


def parse_set(text: bytes, highest: int) -> list[tuple[int, int]]:
    """``1:3,7,9:*`` -> ``[(1, 3), (7, 7), (9, highest)]`` (each range low, high)."""
    ranges = []
    for piece in text.split(b","):
        ends = [highest if end == b"*" else int(end) for end in piece.split(b":")]
        ranges.append((min(ends), max(ends)))
    return ranges


def named_numbers(text: bytes) -> set[int]:
    """The numbers a set spells out (single UIDs and range ends), ``*`` left out."""
    return {int(n) for n in re.findall(rb"\d+", text)}


class RuleBreakingServer(ScriptedImapServer):
    """Loopback IMAP server over :class:`Folder` objects shared by every connection."""

    def __init__(
        self,
        folders: dict[str, Folder],
        *,
        refuse_gone_uids: bool = False,
        stale_flags: bool = False,
        capabilities: bytes = CAPABILITIES,
    ) -> None:
        super().__init__(self._session)
        self.folders = folders
        self.refuse_gone_uids = refuse_gone_uids
        self.stale_flags = stale_flags
        self.capabilities = capabilities
        self.refuse: Refusal | None = None
        self.after: Callable[[str, str, bytes, bool], None] | None = None
        """Called (under the lock) after each answer: another client acting meanwhile."""
        self.refusals: list[bytes] = []
        """Every command line answered BAD or NO, in order."""
        self.lock = threading.Lock()

    def _session(self, conn: ImapConnection, index: int) -> None:
        conn.send(b"* OK rule-breaking server ready\r\n")
        selected: list[str] = []
        while (line := conn.read_line()) is not None:
            tag, _, rest = line.partition(b" ")
            verb, _, arguments = rest.partition(b" ")
            uid = verb.upper() == b"UID"
            if uid:
                verb, _, arguments = arguments.partition(b" ")
            name = verb.upper().decode("ascii", "replace")
            with self.lock:
                folder = selected[-1] if selected else ""
                refusal = self.refuse(folder, name, arguments, uid) if self.refuse else None
                if refusal is None and name == "FETCH" and uid and self.refuse_gone_uids:
                    gone = named_numbers(arguments.split(b" ", 1)[0])
                    gone &= self.folders[folder].gone
                    if gone:
                        refusal = b"BAD [CLIENTBUG] no such UID " + str(min(gone)).encode()
                if refusal is not None:
                    self.refusals.append(line)
                    conn.send(tag + b" " + refusal + b"\r\n")
                    continue
                answer = self._answer(name, arguments, uid, selected)
                if self.after is not None:
                    self.after(folder, name, arguments, uid)
            if answer is None:
                conn.send(b"* BYE bye\r\n" + tag + b" OK logged out\r\n")
                return
            conn.send(answer.replace(b"$TAG", tag))

    def _answer(self, name: str, arguments: bytes, uid: bool, selected: list[str]) -> bytes | None:
        """The whole answer to one command (``$TAG`` for its tag); None for LOGOUT."""
        ok = b"$TAG OK done\r\n"
        if name == "LOGOUT":
            return None
        if name == "CAPABILITY":
            return b"* CAPABILITY " + self.capabilities + b"\r\n" + ok
        if name in ("LOGIN", "NOOP"):
            return ok
        if name == "ENABLE":
            wanted = [w for w in arguments.decode().split() if w.encode() in self.capabilities]
            return ("* ENABLED " + " ".join(wanted) + "\r\n").encode() + ok
        if name == "LIST":
            lines = b"".join(b'* LIST () "/" "' + n.encode() + b'"\r\n' for n in self.folders)
            return lines + ok
        if name == "STATUS":
            quoted = arguments.rsplit(b" (", 1)[0]
            box = self.folders[quoted.strip(b'"').decode()]
            unseen = sum(1 for m in box.messages if "\\Seen" not in m.flags)
            counts = f" (MESSAGES {len(box.messages)} UNSEEN {unseen})\r\n".encode()
            return b"* STATUS " + quoted + counts + ok
        if name in ("SELECT", "EXAMINE"):
            folder = arguments.strip().strip(b'"').decode()
            if folder not in self.folders:
                return b"$TAG NO [NONEXISTENT] no such folder\r\n"
            selected.append(folder)
            box = self.folders[folder]
            modseq = (
                f"* OK [HIGHESTMODSEQ {box.modseq}] ok\r\n" if b"CONDSTORE" in self.capabilities else ""
            )
            return (
                f"* {len(box.messages)} EXISTS\r\n* FLAGS (\\Seen \\Deleted \\Flagged)\r\n"
                f"* OK [UIDVALIDITY {box.uidvalidity}] ok\r\n* OK [UIDNEXT {box.uidnext}] ok\r\n"
                f"{modseq}"
            ).encode() + b"$TAG OK [READ-WRITE] selected\r\n"
        if not selected:
            return b"$TAG BAD no folder selected\r\n"
        box = self.folders[selected[-1]]
        if name == "SEARCH":
            return self._search(box, arguments) + ok
        if name == "FETCH":
            return self._fetch(box, arguments, uid) + ok
        if name == "STORE":
            return self._store(box, arguments, uid) + ok
        return b"$TAG BAD unknown command\r\n"

    @staticmethod
    def _chosen(box: Folder, set_text: bytes, uid: bool) -> list[tuple[int, Message]]:
        """(sequence number, message) of those a UID or sequence set picks."""
        numbered = list(enumerate(box.messages, 1))
        if not numbered:
            return []
        highest = box.messages[-1].uid if uid else len(numbered)
        ranges = parse_set(set_text, highest)
        return [
            (number, message)
            for number, message in numbered
            if any(low <= (message.uid if uid else number) <= high for low, high in ranges)
        ]

    def _search(self, box: Folder, arguments: bytes) -> bytes:
        match = re.search(rb"UID (\S+)", arguments, re.IGNORECASE)
        chosen = self._chosen(box, match[1], True) if match else list(enumerate(box.messages, 1))
        return ("* SEARCH " + " ".join(str(m.uid) for _, m in chosen) + "\r\n").encode()

    def _fetch(self, box: Folder, arguments: bytes, uid: bool) -> bytes:
        set_text, _, items = arguments.partition(b" ")
        out = b""
        for number, message in self._chosen(box, set_text, uid):
            if b"BODY.PEEK[]" in items.upper():
                out += (
                    f"* {number} FETCH (UID {message.uid} BODY[] {{{len(message.raw)}}}\r\n".encode()
                    + message.raw
                    + b")\r\n"
                )
            elif b"ENVELOPE" in items.upper():
                out += fetch_summary(number, message)
            else:
                flags = " ".join(message.flags)
                out += f"* {number} FETCH (UID {message.uid} FLAGS ({flags}))\r\n".encode()
        return out

    def _store(self, box: Folder, arguments: bytes, uid: bool) -> bytes:
        set_text, action, flag_list = arguments.split(b" ", 2)
        changed = set(flag_list.strip(b"()").decode().split())
        out = b""
        for number, message in self._chosen(box, set_text, uid):
            before = set(box.stored.get(message.uid, message.flags))
            after = before | changed if action.startswith(b"+") else before - changed
            new = tuple(sorted(after))
            if self.stale_flags:
                box.stored[message.uid] = new  # answered, but not shown until catch_up
            else:
                message.flags = new
            if b".SILENT" not in action.upper():
                out += f"* {number} FETCH (UID {message.uid} FLAGS ({' '.join(new)}))\r\n".encode()
        return out
