"""The outbox as the UI sees it: entries, the outcome of a send, the queue's protocol.

Defined here, not in ``backend/send/``, because they cross to the UI (the outbox
screen lists ``OutboxEntry`` rows, a send's Future gives a ``SendOutcome``) and
the boundary module imports no implementation module.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """The status of one queued message (the bytes are read with ``Outbox.message``)."""

    id: str
    account: str
    mail_from: str
    recipients: tuple[str, ...]
    subject: str = ""
    created: str = ""
    """ISO 8601, UTC."""
    attempts: int = 0
    last_attempt: str = ""
    last_step: str = ""
    """The step that failed last: connect, tls, auth, rcpt, data, sent, flag."""
    last_error: str = ""
    permanent: bool = False
    """The last failure will not go away by itself (5xx, bad certificate): no auto-retry."""
    smtp_accepted: bool = False
    sent_saved: bool | None = None
    """True once APPENDed to Sent; False when that failed; None when not tried or skipped."""
    original_marked: bool | None = None
    original: tuple[str, int] | None = None
    reply_kind: str = ""
    problems: tuple[str, ...] = field(default=())
    """Notes about a damaged entry (an unreadable status file)."""


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What happened to an outbox entry that was (or had already been) delivered."""

    entry_id: str
    delivered_now: bool
    """False when the server had accepted it on an earlier run (only later steps ran)."""
    sent_saved: bool | None
    """True: copy in Sent; False: saving failed (entry kept); None: skipped."""
    original_marked: bool | None
    """True: the original got its flag; False: that failed; None: nothing to flag."""
    removed: bool
    """The entry left the outbox (everything needed is done)."""
    problems: tuple[str, ...] = ()


class OutboxQueue(Protocol):
    """The outbox as the UI uses it (``SendQueue``); each call may block: use a thread."""

    def entries(self) -> list[OutboxEntry]:
        """What the outbox holds, oldest first."""
        ...

    def message(self, entry_id: str) -> bytes:
        """The exact bytes queued for an entry."""
        ...

    def resend(self, entry_id: str) -> Future[SendOutcome]:
        """Try an entry again now; the Future gives a ``SendOutcome`` or a ``MailError``."""
        ...

    def remove(self, entry_id: str) -> None:
        """Delete an entry (``SendError`` while it is being sent)."""
        ...
