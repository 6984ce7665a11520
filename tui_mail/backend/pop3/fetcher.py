"""One fetch from a POP3 server into the local store: new mail in, then DELE what may go.

A POP3 session sees the maildrop as it was at login, so each fetch is one
session: list, download what is new, delete what the policy says, QUIT. The
order makes a crash at any point harmless (see ``backend/cache/pop3_ledger.py``):

1. LIST + UIDL; a message whose key the store knows is skipped (or, if only its
   headers were stored, its body is fetched now). A new one's headers come with
   ``TOP n 0``; the store may know them under another key (the server changed
   or doubled its UIDL): then it is the same message, not a new one.
2. Headers first, newest first, each stored at once: the list shows new mail
   before any body is downloaded.
3. Bodies (RETR), newest first, each committed before the next.
4. DELE only for messages the store holds whole (``stored``), and only when
   ``leave_on_server`` is false or the message was fetched more than
   ``delete_after_days`` ago; QUIT; only a QUIT that succeeded marks them gone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from tui_mail.backend.pop3.listing import Listed, header_digest
from tui_mail.backend.pop3.protocol import MAX_MESSAGE_BYTES, Refused
from tui_mail.backend.pop3.session import Oversized, Pop3Session
from tui_mail.errors import ServerError
from tui_mail.mail.parse import parse_message
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import Address, MessageBody, MessageSummary
from tui_mail.pop3_config import Pop3Config

INBOX = "INBOX"
DAY = 86400.0


class KnownMessage(Protocol):
    """What the store remembers of a message it has seen on the server."""

    @property
    def key(self) -> str: ...
    @property
    def folder(self) -> str: ...
    @property
    def uid(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def fetched_at(self) -> float: ...


class MailStore(Protocol):
    """Where a fetch puts mail (``backend/cache/pop3_ledger.Pop3Ledger`` over the cache)."""

    def ensure_folders(self) -> None: ...
    def entries(self) -> Mapping[str, KnownMessage]: ...
    def by_digest(self, digest: str) -> KnownMessage | None: ...
    def locate(self, key: str) -> tuple[str, int] | None: ...
    def reserve(self, key: str, digest: str, size: int, folder: str = INBOX) -> int: ...
    def alias(self, key: str, known_key: str) -> None: ...
    def add_headers(self, summary: MessageSummary) -> None: ...
    def complete(self, key: str, summary: MessageSummary, raw: bytes, text: str) -> None: ...
    def mark_oversized(self, key: str) -> None: ...
    def gone(self, keys: Iterable[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """What may be deleted from the server, and how big a message may be."""

    leave_on_server: bool = True
    delete_after_days: int = 0
    max_message_bytes: int = MAX_MESSAGE_BYTES

    @classmethod
    def of(cls, server: Pop3Config) -> FetchPolicy:
        """The policy an account's ``[pop3]`` table sets."""
        return cls(server.leave_on_server, server.delete_after_days)


@dataclass
class FetchResult:
    """What one fetch did (for the worker's events and ``tui-mail check``)."""

    listed: int = 0
    new_uids: list[int] = field(default_factory=list)
    """Local INBOX UIDs of messages first seen in this fetch, newest first."""
    bodies: int = 0
    deleted: int = 0
    oversized: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    item: Listed
    key: str
    folder: str
    uid: int


def fetch_new(
    session: Pop3Session,
    store: MailStore,
    account: str,
    policy: FetchPolicy,
    *,
    on_headers: Callable[[list[int]], None] | None = None,
    on_body: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> FetchResult:
    """Download what is new into ``store``, delete what ``policy`` allows, and QUIT.

    ``on_headers`` gets the new UIDs once their summaries are stored; ``on_body``
    each UID whose body is. Raises ``tui_mail.errors`` (nothing is deleted then).
    """
    store.ensure_folders()
    listed, problems = session.listing()
    result = FetchResult(listed=len(listed), problems=problems)
    known = dict(store.entries())
    keys: dict[int, str] = {}
    pending: list[_Pending] = []
    for item in sorted(listed, key=lambda listed: -listed.number):
        key = item.key
        if key is None or key not in known:
            try:
                key = _admit(session, store, account, item, known, result)
            except ServerError as exc:  # refused for this message only: it stays, tried next time
                result.problems.append(f"message {item.number}: {exc}")
                continue
        keys[item.number] = key
        entry = known[key]
        if entry.state == "headers":
            pending.append(_Pending(item, key, entry.folder, entry.uid))
    if on_headers is not None and result.new_uids:
        on_headers(list(result.new_uids))
    for job in pending:
        if job.item.size > policy.max_message_bytes:
            store.mark_oversized(job.key)
            result.oversized += 1
            continue
        try:
            raw = session.retrieve(job.item.number, policy.max_message_bytes)
        except Oversized:
            store.mark_oversized(job.key)  # the server's LIST size lied; never again
            raise
        except ServerError as exc:
            result.problems.append(f"message {job.item.number}: {exc}")
            continue
        place = store.locate(job.key)  # the user may have moved it while only headers were here
        if place is None:
            continue  # deleted here meanwhile: the body is not wanted (and never DELE'd)
        folder, uid = place
        store.complete(job.key, *whole_message(account, folder, uid, raw))
        result.bodies += 1
        if on_body is not None:
            on_body(uid)
    _delete(session, store, policy, keys, clock(), result)
    return result


def _admit(
    session: Pop3Session,
    store: MailStore,
    account: str,
    item: Listed,
    known: dict[str, KnownMessage],
    result: FetchResult,
) -> str:
    """A message not known by its key: the same headers under another key, or new."""
    headers = _headers(session, item.number)
    digest = header_digest(headers)
    key = item.key or f"h:{digest}"
    if key in known:  # a digest key seen before (a server without UIDL)
        return key
    same = store.by_digest(digest)
    if same is not None:
        store.alias(key, same.key)
    else:
        uid = store.reserve(key, digest, item.size)
        store.add_headers(summary_of(account, INBOX, uid, headers, item.size))
        result.new_uids.append(uid)
    entry = store.entries().get(key)
    if entry is None:  # the store lost the row it just wrote: nothing sensible to do
        raise ServerError("the local store did not keep a message's record", key)
    known[key] = entry
    return key


def _headers(session: Pop3Session, number: int) -> bytes:
    """TOP n 0; a server without TOP gives the whole message (RETR), cut at the blank line."""
    try:
        return session.top_headers(number)
    except ServerError as exc:
        if not isinstance(exc.__cause__, Refused):  # only a -ERR answer means "no TOP here"
            raise
    raw = session.retrieve(number)
    end = raw.find(b"\r\n\r\n")
    return raw[: end + 2] if end >= 0 else raw


def whole_message(
    account: str, folder: str, uid: int, raw: bytes
) -> tuple[MessageSummary, bytes, str]:
    """The summary, raw bytes and search text of a whole message (parsed once)."""
    body = parse_message(raw)
    summary = replace(
        summary_of(account, folder, uid, raw, len(raw), parsed=body),
        has_attachment=bool(body.attachments),
    )
    return summary, raw, body.text


def _delete(
    session: Pop3Session,
    store: MailStore,
    policy: FetchPolicy,
    keys: dict[int, str],
    now: float,
    result: FetchResult,
) -> None:
    known = store.entries()
    doomed: list[tuple[int, str]] = []
    for number, key in sorted(keys.items()):
        entry = known.get(key)
        if entry is None or entry.state != "stored":
            continue  # never delete what is not held whole locally
        old = policy.delete_after_days and now - entry.fetched_at >= policy.delete_after_days * DAY
        if not policy.leave_on_server or old:
            doomed.append((number, key))
    for number, _key in doomed:
        session.delete(number)
    session.quit()  # raises if the server says the deletions failed: then none is marked gone
    if doomed:
        store.gone(key for _number, key in doomed)
        result.deleted = len(doomed)


def summary_of(
    account: str,
    folder: str,
    uid: int,
    raw: bytes,
    size: int,
    *,
    parsed: MessageBody | None = None,
) -> MessageSummary:
    """The list row of a message from its headers (or whole bytes); text made screen-safe."""
    body = parsed if parsed is not None else parse_message(raw)
    return MessageSummary(
        account=account,
        folder=folder,
        uid=uid,
        date=body.date or datetime.now(UTC),
        from_=_addresses(body.from_),
        to=_addresses(body.to),
        cc=_addresses(body.cc),
        subject=clean_line(body.subject),
        size=size,
        message_id=clean_line(body.message_id, 998),
        in_reply_to=clean_line(body.in_reply_to, 998),
        references=tuple(clean_line(ref, 998) for ref in body.references),
        uidvalidity=1,
    )


def _addresses(addresses: tuple[Address, ...]) -> tuple[Address, ...]:
    return tuple(Address(clean_line(a.name, 300), clean_line(a.email, 300)) for a in addresses)
