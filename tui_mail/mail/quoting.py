"""Reply and forward drafts: recipients, subject prefixes, threading ids, quoted text.

Pure: no I/O. Everything taken from the original is sanitised (``clean_line`` for
names and subjects, ``clean_text`` for the quoted body) before it enters the draft,
and ``compose.build_message`` makes the headers single-line again when sending.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from email.utils import format_datetime
from typing import Protocol

from tui_mail.errors import MailError
from tui_mail.mail.compose import FORWARD_SEPARATOR, capped_references, message_ids
from tui_mail.mail.filenames import safe_filename
from tui_mail.mail.parse import attachment_bytes
from tui_mail.mail.sanitize import clean_line, clean_text
from tui_mail.models import Address, Draft, MessageBody

#: A chain of reply/forward prefixes (English, German, Nordic, Dutch, Italian, French),
#: with the optional counters some clients add (``Re[2]:``, ``AW(3):``).
_PREFIXES = re.compile(
    r"^(?:\s*(?:re|aw|sv|antw|rif|fwd?|wg|tr|vs|fs)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*)+",
    re.IGNORECASE,
)
#: Quoted text beyond this is cut: a reply never needs a multi-megabyte quote.
MAX_QUOTED_CHARS = 200_000


class IdentityLike(Protocol):
    """What is read from a ``config.Identity``."""

    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...


class AccountLike(Protocol):
    """What is read from a ``config.AccountConfig``."""

    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def identities(self) -> Sequence[IdentityLike]: ...


def base_subject(subject: str) -> str:
    """The subject without any ``Re:``/``Fwd:``/``AW:``/``WG:`` chain, on one safe line."""
    return _PREFIXES.sub("", clean_line(subject)).strip()


def reply_subject(subject: str) -> str:
    """``Re: <subject>`` with exactly one prefix, never ``Re: Re:``."""
    return f"Re: {base_subject(subject)}"


def forward_subject(subject: str) -> str:
    """``Fwd: <subject>`` with exactly one prefix."""
    return f"Fwd: {base_subject(subject)}"


def own_addresses(account: AccountLike) -> list[Address]:
    """Every address of the user: the account's and its identities', primary first."""
    primary = Address(account.display_name, account.email)
    return [
        primary,
        *(Address(i.name or account.display_name, i.email) for i in account.identities),
    ]


def pick_identity(original: MessageBody, account: AccountLike) -> Address:
    """The identity the original was addressed to (To, then Cc, then Delivered-To).

    Falls back to the account's primary address.
    """
    identities = own_addresses(account)
    by_email = {a.email.lower(): a for a in reversed(identities)}
    delivered = [
        Address("", clean_line(value))
        for name, value in original.headers
        if name.lower() in ("delivered-to", "x-original-to")
    ]
    for candidate in (*original.to, *original.cc, *delivered):
        found = by_email.get(candidate.email.strip().lower())
        if found is not None:
            return found
    return identities[0]


def reply_draft(
    original: MessageBody,
    *,
    account: AccountLike,
    reply_all: bool,
    original_ref: tuple[str, int] | None = None,
) -> Draft:
    """A reply (or reply-all) to ``original``, quoted below an attribution line.

    To is Reply-To, else From (else, for a message the user sent, its To). Reply-all
    adds the original To and Cc, minus every address of the user. ``original_ref`` is
    the (folder, uid) that gets ``\\Answered`` once the reply is sent.
    """
    mine = {a.email.lower() for a in own_addresses(account)}
    senders = clean_addresses(original.reply_to or original.from_)
    if not original.reply_to and senders and all(a.email.lower() in mine for a in senders):
        senders = clean_addresses(original.to) or senders  # replying to one's own message
    to = unique_addresses(senders, exclude=set())
    cc: list[Address] = []
    if reply_all:
        taken = {a.email.lower() for a in to}
        others = unique_addresses(clean_addresses((*original.to, *original.cc)), exclude=mine | taken)
        if not to:
            to, others = others[:1], others[1:]
        cc = others
    references = capped_references(message_ids([*original.references, original.message_id]))
    return Draft(
        account=account.name,
        from_=pick_identity(original, account),
        to=to,
        cc=cc,
        subject=reply_subject(original.subject),
        body=f"\n\n{attribution(original)}\n{quote(original.text)}",
        in_reply_to=(message_ids([original.message_id]) or [""])[0],
        references=references,
        reply_kind="reply",
        original=original_ref,
    )


def forward_draft(
    original: MessageBody,
    *,
    account: AccountLike,
    original_ref: tuple[str, int] | None = None,
) -> Draft:
    """An inline forward: a "Forwarded message" header block, then the original text.

    The original's attachments are not in the draft (it holds file paths): the caller
    passes their bytes to ``build_message(attachments=...)``.
    """
    return Draft(
        account=account.name,
        from_=pick_identity(original, account),
        subject=forward_subject(original.subject),
        body=f"\n\n{forwarded_block(original)}\n{_body_text(original.text)}",
        reply_kind="forward",
        original=original_ref,
    )


def resumed_draft(
    saved: MessageBody, *, account: AccountLike, server_draft: tuple[str, int] | None = None
) -> Draft:
    """A draft saved on the server (a message in Drafts), back in editable form.

    From is the user's identity the saved message names (else the primary),
    To/Cc/Subject/body and the threading ids come back as saved; ``server_draft``
    is its (folder, uid), so saving again replaces it and sending removes it.
    Attachments are not in the draft (it holds file paths): the caller writes
    them out (``forward_attachments`` gives their bytes).
    """
    identities = own_addresses(account)
    by_email = {a.email.lower(): a for a in reversed(identities)}
    saved_from = [by_email.get(a.email.strip().lower()) for a in saved.from_]
    return Draft(
        account=account.name,
        from_=next((a for a in saved_from if a is not None), identities[0]),
        to=clean_addresses(saved.to),
        cc=clean_addresses(saved.cc),
        subject=clean_line(saved.subject),
        body=clean_text(saved.text),
        in_reply_to=(message_ids([saved.in_reply_to]) or [""])[0],
        references=capped_references(message_ids(saved.references)),
        server_draft=server_draft,
    )


def forward_attachments(
    original: MessageBody, raw: bytes
) -> tuple[list[tuple[str, bytes, str]], list[str]]:
    """The original's attachments as ``build_message`` takes them, for an inline forward.

    Returns ``(attachments, problems)``: a part that cannot be decoded is left out and
    named in ``problems`` rather than failing the whole forward.
    """
    found: list[tuple[str, bytes, str]] = []
    problems: list[str] = []
    for attachment in original.attachments:
        try:
            data = attachment_bytes(raw, attachment.index)
        except MailError as exc:
            problems.append(f"{clean_line(attachment.filename, max_len=100)}: {exc.summary}")
            continue
        found.append((attachment.filename, data, attachment.content_type))
    return found, problems


def forward_as_attachment(
    original: MessageBody,
    raw: bytes,
    *,
    account: AccountLike,
    original_ref: tuple[str, int] | None = None,
) -> tuple[Draft, tuple[str, bytes, str]]:
    """A forward carrying the original whole as ``message/rfc822``.

    Returns the draft (empty body) and the attachment to pass to ``build_message``.
    """
    draft = Draft(
        account=account.name,
        from_=pick_identity(original, account),
        subject=forward_subject(original.subject),
        reply_kind="forward",
        original=original_ref,
    )
    return draft, rfc822_attachment(raw, original.subject)


def rfc822_attachment(raw: bytes, subject: str) -> tuple[str, bytes, str]:
    """``(name, bytes, "message/rfc822")`` for an original, named after its subject."""
    name = safe_filename(f"{base_subject(subject) or 'message'}.eml", fallback="message.eml")
    return name, raw, "message/rfc822"


def attribution(original: MessageBody) -> str:
    """``On <date>, <name> wrote:`` (each part left out when unknown)."""
    who = clean_line(original.from_[0].display(), max_len=200) if original.from_ else ""
    if original.date is not None:
        when = format_datetime(original.date)
    else:
        when = clean_line(original.date_text, max_len=100)
    if when:
        return f"On {when}, {who or 'the sender'} wrote:"
    return f"{who or 'The sender'} wrote:"


def quote(text: str) -> str:
    """``text`` with every line prefixed ``> `` (``>`` for blank and already-quoted lines)."""
    lines = _body_text(text).rstrip("\n").split("\n")
    quoted = [(">" + line if line.startswith(">") or not line else "> " + line) for line in lines]
    return "\n".join(quoted) + "\n"


def forwarded_block(original: MessageBody) -> str:
    """The header block heading an inline forward."""
    rows = [FORWARD_SEPARATOR, f"From: {_address_list(original.from_)}"]
    if original.date is not None or original.date_text:
        date = format_datetime(original.date) if original.date else original.date_text
        rows.append(f"Date: {clean_line(date, max_len=100)}")
    rows.append(f"Subject: {clean_line(original.subject)}")
    if original.to:
        rows.append(f"To: {_address_list(original.to)}")
    if original.cc:
        rows.append(f"Cc: {_address_list(original.cc)}")
    return "\n".join(rows) + "\n"


def _body_text(text: str) -> str:
    """The original's text, terminal- and mail-safe, trailing blanks trimmed, capped."""
    cleaned = clean_text(text)
    if len(cleaned) > MAX_QUOTED_CHARS:
        cleaned = cleaned[:MAX_QUOTED_CHARS] + "\n[... quoted text cut ...]"
    return "\n".join(line.rstrip() for line in cleaned.split("\n"))


def _address_list(addresses: Iterable[Address]) -> str:
    return ", ".join(a.formatted() for a in clean_addresses(addresses))


def clean_addresses(addresses: Iterable[Address]) -> list[Address]:
    """Addresses with one-line names; entries without a usable address dropped."""
    cleaned = (
        Address(clean_line(a.name, max_len=200), clean_line(a.email, max_len=320))
        for a in addresses
    )
    return [a for a in cleaned if "@" in a.email and " " not in a.email]


def unique_addresses(addresses: Iterable[Address], *, exclude: set[str]) -> list[Address]:
    """Addresses in order, each email once (case-insensitive), none from ``exclude``."""
    seen = set(exclude)
    kept: list[Address] = []
    for address in addresses:
        key = address.email.lower()
        if key not in seen:
            seen.add(key)
            kept.append(address)
    return kept
