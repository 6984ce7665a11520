"""Mailing-list headers (RFC 2369, RFC 2919, RFC 8058) and the drafts they lead to.

Pure: no I/O. Everything here comes from the network, so every value is capped,
addresses go through :mod:`tui_mail.mail.headers` and names through
``clean_line`` before a draft or the screen sees them. The only network request
a message can cause (the one-click unsubscribe POST) is the backend's
(``backend/unsubscribe.py``), and only on the user's yes; here it is only named.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from tui_mail.mail.headers import parse_addresses
from tui_mail.mail.quoting import (
    AccountLike,
    clean_addresses,
    own_addresses,
    pick_identity,
    reply_draft,
    unique_addresses,
)
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import Address, Draft, MessageBody

#: Longest list header value read; real ones are a few hundred characters.
MAX_LIST_HEADER = 4096
#: Most URIs read from one List-* header.
MAX_URIS = 8
_ANGLE_URI = re.compile(r"<([^<>\s]{1,2000})>")
_ONE_CLICK = "list-unsubscribe=one-click"


@dataclass(frozen=True, slots=True)
class MailtoTarget:
    """A ``mailto:`` URI taken apart: addresses, and the subject/body it asks for."""

    to: tuple[Address, ...]
    subject: str = ""
    body: str = ""


@dataclass(frozen=True, slots=True)
class ListHeaders:
    """What a message's list headers say (all empty for a message not from a list)."""

    list_id: str = ""
    """The List-Id as one safe line: ``Python users <python.lists.example.org>``."""
    post: MailtoTarget | None = None
    """Where List-Post sends a reply to the list (None: none, or ``NO``)."""
    followup_to: tuple[Address, ...] = ()
    """Mail-Followup-To: where the author asks replies to go (no copy of their own)."""
    unsubscribe_mailto: MailtoTarget | None = None
    unsubscribe_https: str = ""
    """The first ``https://`` List-Unsubscribe URI (never ``http://``)."""
    one_click: bool = False
    """``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` with an https URI (RFC 8058)."""

    @property
    def is_list(self) -> bool:
        """True when any list header names the list or a way to write to it."""
        return bool(self.list_id or self.post or self.followup_to)

    @property
    def name(self) -> str:
        """The list's name for the screen: List-Id's phrase, else its id, else the post address."""
        if self.list_id:
            return self.list_id
        if self.post and self.post.to:
            return self.post.to[0].email
        return ""


def _header(body: MessageBody, name: str) -> str:
    wanted = name.lower()
    value = next((v for k, v in body.headers if k.lower() == wanted), "")
    return value[:MAX_LIST_HEADER]


def _uris(value: str) -> list[str]:
    """The ``<...>`` URIs of an RFC 2369 header, in order (comments and spaces ignored)."""
    return _ANGLE_URI.findall(value)[:MAX_URIS]


def parse_mailto(uri: str) -> MailtoTarget | None:
    """``mailto:a@b?subject=x&body=y`` (RFC 6068) -> its parts; None when it names no address."""
    if not uri.lower().startswith("mailto:"):
        return None
    path, _, query = uri[len("mailto:") :].partition("?")
    fields = urllib.parse.parse_qs(query, max_num_fields=10)
    recipients = urllib.parse.unquote(path)
    extra = fields.get("to", [])
    found, _dropped = parse_addresses(", ".join([recipients, *extra]), limit=20)
    addresses = tuple(clean_addresses(found))
    if not addresses:
        return None

    def first(key: str, limit: int) -> str:
        return (fields.get(key) or [""])[0][:limit]

    return MailtoTarget(addresses, clean_line(first("subject", 300)), first("body", 2000))


def list_headers(body: MessageBody) -> ListHeaders:
    """Read List-Id, List-Post, Mail-Followup-To and List-Unsubscribe(-Post) of ``body``."""
    post_value = _header(body, "List-Post")
    post = next(filter(None, (parse_mailto(uri) for uri in _uris(post_value))), None)
    followup, _dropped = parse_addresses(_header(body, "Mail-Followup-To"), limit=50)
    unsubscribe = _uris(_header(body, "List-Unsubscribe"))
    mailto = next(filter(None, (parse_mailto(uri) for uri in unsubscribe)), None)
    https = next((uri for uri in unsubscribe if uri.lower().startswith("https://")), "")
    one_click = _ONE_CLICK in _header(body, "List-Unsubscribe-Post").lower().replace(" ", "")
    return ListHeaders(
        list_id=clean_line(_header(body, "List-Id"), 200),
        post=post,
        followup_to=tuple(clean_addresses(followup)),
        unsubscribe_mailto=mailto,
        unsubscribe_https=clean_line(https, 2000) if https else "",
        one_click=one_click and bool(https),
    )


def list_reply_draft(
    original: MessageBody,
    *,
    account: AccountLike,
    original_ref: tuple[str, int] | None = None,
) -> Draft | None:
    """A reply to the list (``L``): to List-Post, else Mail-Followup-To; None for neither.

    Quoting, subject and threading ids are those of a plain reply; only the
    recipients differ, and none of the user's own addresses stays among them.
    """
    info = list_headers(original)
    mine = {a.email.lower() for a in own_addresses(account)}
    if info.post is not None:
        to = list(info.post.to)
    elif info.followup_to:
        to = [a for a in info.followup_to if a.email.lower() not in mine]
    else:
        return None
    draft = reply_draft(original, account=account, reply_all=False, original_ref=original_ref)
    draft.to, draft.cc = unique_addresses(to, exclude=set()), []
    return draft if draft.to else None


def without_list_copies(draft: Draft, original: MessageBody, *, account: AccountLike) -> Draft:
    """A reply-all to a list message that sends each person one copy.

    Mail-Followup-To, when given, is the author's own answer to "who gets it"
    (everyone there reads the list, so no private copies). Otherwise the list's
    address stays once (To before Cc, any spelling) and the others are kept.
    """
    info = list_headers(original)
    mine = {a.email.lower() for a in own_addresses(account)}
    if info.followup_to:
        draft.to, draft.cc = unique_addresses(info.followup_to, exclude=mine), []
        return draft
    draft.to = unique_addresses(draft.to, exclude=mine)
    draft.cc = unique_addresses(draft.cc, exclude=mine | {a.email.lower() for a in draft.to})
    return draft


def unsubscribe_draft(original: MessageBody, *, account: AccountLike) -> Draft | None:
    """The message a ``mailto:`` List-Unsubscribe asks for (None when it names none)."""
    target = list_headers(original).unsubscribe_mailto
    if target is None:
        return None
    return Draft(
        account=account.name,
        from_=pick_identity(original, account),
        to=list(target.to),
        subject=target.subject or "unsubscribe",
        body=target.body,
    )
