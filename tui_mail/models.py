"""Plain data shared by every layer: folders, message summaries, bodies, drafts.

Nothing here does I/O or imports a UI library. Strings in these objects are
*decoded* but not yet sanitised for the terminal: the UI and the ``show``
command pass them through ``tui_mail.mail.sanitize`` before display.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class FolderRole(enum.StrEnum):
    """What a folder is for; role folders are listed first and get icons."""

    INBOX = "inbox"
    DRAFTS = "drafts"
    SENT = "sent"
    ARCHIVE = "archive"
    JUNK = "junk"
    TRASH = "trash"
    OUTBOX = "outbox"
    NONE = ""


#: Display order of role folders in the tree.
ROLE_ORDER: tuple[FolderRole, ...] = (
    FolderRole.INBOX,
    FolderRole.DRAFTS,
    FolderRole.SENT,
    FolderRole.ARCHIVE,
    FolderRole.JUNK,
    FolderRole.TRASH,
    FolderRole.OUTBOX,
)


@dataclass(frozen=True, slots=True)
class Address:
    """A mailbox: display name (may be empty) and address."""

    name: str
    email: str

    def display(self) -> str:
        """The name when there is one, else the address."""
        return self.name or self.email

    def formatted(self) -> str:
        """``Name <email>`` or just ``email``."""
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True, slots=True)
class Folder:
    """An IMAP mailbox as the tree shows it."""

    account: str
    name: str
    """The decoded full name, e.g. ``Lists/python``."""
    delimiter: str = "/"
    role: FolderRole = FolderRole.NONE
    unread: int = 0
    total: int = 0
    selectable: bool = True

    @property
    def parts(self) -> tuple[str, ...]:
        """The hierarchy path split on the server's delimiter."""
        if not self.delimiter:
            return (self.name,)
        return tuple(self.name.split(self.delimiter))

    @property
    def leaf(self) -> str:
        """The last component of the name."""
        return self.parts[-1]


# Standard IMAP flags, as imapclient returns them (str form).
SEEN = "\\Seen"
FLAGGED = "\\Flagged"
ANSWERED = "\\Answered"
DELETED = "\\Deleted"
DRAFT = "\\Draft"
FORWARDED = "$Forwarded"


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """One row of the message list: what the envelope and flags say."""

    account: str
    folder: str
    uid: int
    flags: frozenset[str] = frozenset()
    date: datetime | None = None
    from_: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    subject: str = ""
    size: int = 0
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    has_attachment: bool = False
    uidvalidity: int = 0

    @property
    def unread(self) -> bool:
        """True when the message has not been seen."""
        return SEEN not in self.flags

    @property
    def flagged(self) -> bool:
        """True when the message is flagged (starred)."""
        return FLAGGED in self.flags

    @property
    def answered(self) -> bool:
        """True when the message has been replied to."""
        return ANSWERED in self.flags


@dataclass(frozen=True, slots=True)
class Attachment:
    """A part the user can save or open."""

    index: int
    """Position among the message's attachments, used to ask for its bytes."""
    filename: str
    """The decoded, *unsanitised* name; ``mail.filenames.safe_filename`` makes it safe."""
    content_type: str
    size: int
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    """A numbered link from an HTML body."""

    number: int
    url: str
    text: str = ""
    deceptive: bool = False
    """The link's text shows another URL than its target."""


@dataclass(frozen=True, slots=True)
class SecurityStatus:
    """What a signature check or a decryption found: one status line above the body."""

    level: str
    """"good", "warning" or "bad": how the line is coloured."""
    text: str
    """E.g. ``Good signature from Ann <ann@example.org> (key FPR, full trust)``; not yet sanitised."""


@dataclass(frozen=True, slots=True)
class MessageBody:
    """A parsed message, ready to render. Built by ``mail.parse`` and never raises."""

    headers: tuple[tuple[str, str], ...] = ()
    """All headers in order, decoded."""
    subject: str = ""
    from_: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    date: datetime | None = None
    date_text: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    text: str = ""
    """The body as text: text/plain, or HTML converted (see ``from_html``)."""
    from_html: bool = False
    html: str = ""
    """The raw HTML part when the body came from HTML (capped), for re-rendering."""
    attachments: tuple[Attachment, ...] = ()
    links: tuple[Link, ...] = ()
    problems: tuple[str, ...] = ()
    """What went wrong while parsing (shown as notes, never as a traceback)."""
    size: int = 0
    security: tuple[SecurityStatus, ...] = ()
    """Signature and decryption results, outermost first (empty: neither signed nor encrypted)."""


@dataclass(slots=True)
class Draft:
    """A message being written; saved to disk as it changes."""

    account: str
    from_: Address
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    bcc: list[Address] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    attachments: list[str] = field(default_factory=list)
    """Paths of files to attach."""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    reply_kind: str = ""
    """"", "reply" or "forward": which flag the original gets after sending."""
    original: tuple[str, int] | None = None
    """(folder, uid) of the message replied to or forwarded."""
    draft_id: str = ""
    server_draft: tuple[str, int] | None = None
    """(folder, uid) of the server copy in Drafts, replaced on each save."""
    pgp: str = ""
    """OpenPGP protection: "", "sign", "encrypt" or "sign+encrypt" (PGP/MIME, RFC 3156)."""
