"""Checking that IDLE tells us everything (issue 22): STATUS, then EXAMINE when it disagrees.

Some servers send nothing during IDLE, and their session sees no new mail even
after DONE or NOOP, only after a fresh SELECT/EXAMINE. Silence alone proves
nothing (a quiet mailbox is silent too), so the watcher compares: it keeps what
it last knew of the folder (UIDNEXT and the message count), and at each check
asks STATUS. When STATUS agrees, all is well. When it disagrees, NOOP gives the
server a last chance to report (a change can land between DONE and STATUS on a
good server); if it still says nothing, a re-EXAMINE shows whether the folder
really changed behind our back: then the server does not report in IDLE.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tui_mail.backend.imap import transport
from tui_mail.backend.imap.protocol import UINT32_MAX, bounded_number, translate_errors
from tui_mail.backend.imap.session import ImapSession
from tui_mail.errors import NotFound, ServerError

CHANGE_WORDS = {b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED"}
#: Untagged responses imaplib may keep aside during STATUS: a server may send a
#: folder update with any command's answer, and then it did report the change.
_KEPT_UPDATES = ("EXISTS", "EXPUNGE", "FETCH", "VANISHED")


def is_change(response: Any) -> bool:
    """True for an untagged response that means the folder changed."""
    if not isinstance(response, tuple) or not response:
        return False
    words = {part.upper() for part in response[:2] if isinstance(part, bytes)}
    return bool(words & CHANGE_WORDS)


def any_change(responses: Iterable[Any]) -> bool:
    """True when one of ``responses`` means the folder changed."""
    return any(is_change(r) for r in responses)


@dataclass(frozen=True, slots=True)
class FolderState:
    """What identifies a folder's contents cheaply: a new message moves UIDNEXT,
    an expunge lowers the count."""

    uidnext: int
    messages: int

    def agrees(self, other: FolderState) -> bool:
        """Same contents as far as both tell (0 is a UIDNEXT the server did not send)."""
        if self.messages != other.messages:
            return False
        return self.uidnext == other.uidnext or 0 in (self.uidnext, other.uidnext)


class Verdict(enum.Enum):
    """What a check found."""

    QUIET = "nothing changed"
    REPORTED = "the server reported a change"
    MISSED = "the folder changed and the server never said so"


def examine(session: ImapSession, folder: str) -> FolderState:
    """EXAMINE ``folder`` (read-only) and return what it showed."""
    info = session.select(folder, readonly=True)
    return FolderState(info.uidnext, info.exists)


def status(session: ImapSession, folder: str) -> tuple[FolderState | None, bool]:
    """STATUS (UIDNEXT MESSAGES) of ``folder``, and whether updates came with it.

    The state is None where the server refuses STATUS on the selected folder
    (RFC 3501 allows the refusal): the caller then EXAMINEs instead.
    """
    for name in _KEPT_UPDATES:  # stale ones from earlier commands must not count
        transport.pop_untagged(session.client, name)
    try:
        with translate_errors(session.where):
            values = session.client.folder_status(folder, ["UIDNEXT", "MESSAGES"])
            state = FolderState(  # numbers out of range: a broken server, ConnectionLost
                bounded_number(values.get(b"UIDNEXT", 0), UINT32_MAX),
                bounded_number(values.get(b"MESSAGES", 0), UINT32_MAX),
            )
    except (ServerError, NotFound):
        return None, False
    reported = any(transport.pop_untagged(session.client, name) for name in _KEPT_UPDATES)
    return state, reported


class IdleProof:
    """What the watcher last knew of its folder, and the check against the server.

    Not thread-safe: the watcher's thread alone uses it.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.known: FolderState | None = None
        """The folder as last seen; None after a reported change (the next STATUS is taken as is)."""

    def saw(self, state: FolderState) -> None:
        """The folder as a SELECT/EXAMINE just showed it."""
        self.known = state

    def forget(self) -> None:
        """The server reported a change: what we knew is out of date, and it was told."""
        self.known = None

    def check(self, session: ImapSession, pending: Iterable[Any] = ()) -> Verdict:
        """Compare the folder with what we knew; run outside IDLE.

        ``pending`` holds the responses the caller got on the way here (at DONE,
        or a poll's NOOP): a change among them counts as reported.
        """
        if any_change(pending):
            self.forget()
            return Verdict.REPORTED
        now, reported = status(session, self.folder)
        if reported:
            self.forget()
            return Verdict.REPORTED
        if now is not None and (self.known is None or now.agrees(self.known)):
            self.known = now
            return Verdict.QUIET
        if self.known is not None and any_change(session.noop()):
            self.forget()  # a good server whose push raced our DONE
            return Verdict.REPORTED
        before, self.known = self.known, examine(session, self.folder)
        if before is None or self.known.agrees(before):
            return Verdict.QUIET  # STATUS was wrong, or it changed and changed back
        return Verdict.MISSED
