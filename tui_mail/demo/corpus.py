"""A seeded generator of realistic sample mail, as RFC 5322 bytes.

Pure and deterministic: the same seed, size and ``now`` give the same bytes, so
demo screenshots and snapshot tests are stable. No I/O. Messages are built from
string templates rather than ``email.message`` objects because the benchmark asks
for 100,000 of them in seconds.

What is in it: conversations several replies deep (``In-Reply-To``,
``References``, ``Re:``), multipart/alternative mail, HTML-only newsletters
(optionally ~200 KB ones), attachments (small PDF, PNG and text made in memory),
names and subjects in UTF-8, ISO-8859-1, KOI8-R and ISO-2022-JP encoded-words,
about 30 % unread, some flagged and answered, and a few messages in every folder
of :data:`FOLDERS` (``/`` separates levels; the seeder maps it to the server's).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from tui_mail.demo import corpus_parts as parts

DEMO_ADDRESS = "demo@example.org"
DEMO_NAME = "Demo User"
#: The default "now" of the corpus: every date is before it, so output never drifts.
FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
FOLDERS: tuple[str, ...] = (
    "INBOX",
    "Drafts",
    "Sent",
    "Archive",
    "Junk",
    "Trash",
    "Lists/python",
    "Lists/rust",
)
#: How many messages each non-INBOX folder gets (INBOX size is a parameter).
FOLDER_SIZES: dict[str, int] = {
    "Drafts": 2,
    "Sent": 6,
    "Archive": 6,
    "Junk": 3,
    "Trash": 3,
    "Lists/python": 8,
    "Lists/rust": 4,
}
SEEN, ANSWERED, FLAGGED, DRAFT = "\\Seen", "\\Answered", "\\Flagged", "\\Draft"
_MAX_OPEN_THREADS = 12


@dataclass(frozen=True, slots=True)
class SeedMessage:
    """One message to store: its folder (``/``-separated), bytes, flags and date."""

    folder: str
    raw: bytes
    flags: tuple[str, ...]
    internal_date: datetime


@dataclass(slots=True)
class _Thread:
    """The tail of a conversation that a later message may reply to."""

    subject: str
    charset: str
    message_ids: list[str]
    last_sender: parts.Person
    last_lines: list[str]


class _Composer:
    """Builds messages for one seed; holds the random stream and counters."""

    def __init__(self, seed: int, now: datetime, large_every: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.now = now
        self.large_every = large_every
        self.count = 0
        self.threads: list[_Thread] = []

    # --- pieces -----------------------------------------------------------------

    def _message_id(self, domain: str = "example.org") -> str:
        self.count += 1
        return f"<{self.seed}.{self.count}.seed@{domain}>"

    def _flags(self, unread_share: float = 0.3) -> tuple[str, ...]:
        roll = self.rng.random()
        flags: list[str] = [] if roll < unread_share else [SEEN]
        if flags and self.rng.random() < 0.12:
            flags.append(ANSWERED)
        if self.rng.random() < 0.06:
            flags.append(FLAGGED)
        return tuple(flags)

    def _lines(self, language: str, low: int = 2, high: int = 6) -> list[str]:
        pool = parts.SENTENCES[language]
        return [self.rng.choice(pool) for _ in range(self.rng.randint(low, high))]

    def _headers(
        self,
        sender: parts.Person,
        to: str,
        subject: str,
        charset: str,
        date: datetime,
        message_id: str,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> list[str]:
        return [
            f"From: {sender.header}",
            f"To: {to}",
            f"Subject: {parts.encode_header(subject, charset)}",
            f"Date: {format_datetime(date)}",
            f"Message-ID: {message_id}",
            *(f"{name}: {value}" for name, value in extra),
            "MIME-Version: 1.0",
        ]

    # --- kinds of message -------------------------------------------------------

    def personal(self, date: datetime, to: str = parts.DEMO.header) -> bytes:
        """A plain text note, maybe the start of or a reply in a conversation."""
        if self.threads and self.rng.random() < 0.45:
            return self._reply(date, to)
        sender = self.rng.choice(parts.PEOPLE)
        subject = self.rng.choice(parts.SUBJECTS[sender.language])
        lines = self._lines(sender.language) + ["", "-- ", sender.name]
        message_id = self._message_id()
        thread = _Thread(subject, sender.charset, [message_id], sender, lines)
        self.threads.append(thread)
        del self.threads[:-_MAX_OPEN_THREADS]
        head = self._headers(sender, to, subject, sender.charset, date, message_id)
        return parts.text_message(head, lines, sender.charset)

    def _reply(self, date: datetime, to: str) -> bytes:
        thread = self.rng.choice(self.threads)
        sender = self.rng.choice([p for p in parts.PEOPLE if p is not thread.last_sender])
        quoted = [f"> {line}" if line else ">" for line in thread.last_lines[:12]]
        when = format_datetime(date - timedelta(hours=self.rng.randint(1, 30)))
        lines = self._lines("en", 1, 3) + ["", f"On {when}, {thread.last_sender.name} wrote:"]
        lines += quoted
        message_id = self._message_id()
        references = " ".join(thread.message_ids[-8:])
        extra = (("In-Reply-To", thread.message_ids[-1]), ("References", references))
        charset = "us-ascii" if all(line.isascii() for line in lines) else "utf-8"
        head = self._headers(sender, to, "Re: " + thread.subject, charset, date, message_id, extra)
        thread.message_ids.append(message_id)
        thread.last_sender, thread.last_lines = sender, lines
        return parts.text_message(head, lines, charset)

    def alternative(self, date: datetime) -> bytes:
        """multipart/alternative with matching text and HTML parts."""
        sender = self.rng.choice(parts.PEOPLE)
        subject = self.rng.choice(parts.SUBJECTS["en"])
        lines = self._lines("en", 3, 8)
        head = self._headers(sender, parts.DEMO.header, subject, "utf-8", date, self._message_id())
        return parts.alternative_message(head, lines, f"alt{self.seed}x{self.count}")

    def newsletter(self, date: datetime, large: bool = False) -> bytes:
        """An HTML-only newsletter (remote images, styles, tracking links)."""
        sender = self.rng.choice(parts.NEWSLETTERS)
        issue = self.count + 1
        subject = f"{sender.name}: issue #{issue}"
        articles = 600 if large else self.rng.randint(3, 8)
        extra = (("List-Unsubscribe", f"<https://{sender.domain}/unsubscribe?u=demo>"),)
        head = self._headers(
            sender,
            parts.DEMO.header,
            subject,
            "utf-8",
            date,
            self._message_id(sender.domain),
            extra,
        )
        return parts.html_message(head, parts.newsletter_html(self.rng, subject, articles))

    def with_attachment(self, date: datetime) -> bytes:
        """Text plus one or two attachments (PDF, PNG, text; some non-ASCII names)."""
        sender = self.rng.choice(parts.PEOPLE)
        subject = self.rng.choice(parts.ATTACHMENT_SUBJECTS)
        lines = self._lines(sender.language, 1, 3)
        files = self.rng.sample(parts.ATTACHMENTS, self.rng.randint(1, 2))
        head = self._headers(
            sender, parts.DEMO.header, subject, sender.charset, date, self._message_id()
        )
        return parts.mixed_message(
            head, lines, sender.charset, files, f"mix{self.seed}x{self.count}"
        )

    def inbox_message(self, index: int, date: datetime) -> bytes:
        """The INBOX mix: mostly personal mail and replies, some rich mail."""
        if self.large_every and index % self.large_every == self.large_every - 1:
            return self.newsletter(date, large=True)
        roll = self.rng.random()
        if roll < 0.58:
            return self.personal(date)
        if roll < 0.74:
            return self.alternative(date)
        if roll < 0.88:
            return self.newsletter(date)
        return self.with_attachment(date)

    def folder_message(self, folder: str, date: datetime) -> tuple[bytes, tuple[str, ...]]:
        """A message for a non-INBOX folder and its flags."""
        if folder in ("Sent", "Drafts"):
            person = self.rng.choice(parts.PEOPLE)
            subject = self.rng.choice(parts.SUBJECTS["en"])
            head = self._headers(
                parts.DEMO, person.header, subject, "utf-8", date, self._message_id()
            )
            flags = (SEEN, DRAFT) if folder == "Drafts" else (SEEN,)
            return parts.text_message(head, self._lines("en"), "utf-8"), flags
        if folder == "Junk":
            sender = self.rng.choice(parts.SPAMMERS)
            head = self._headers(
                sender,
                parts.DEMO.header,
                self.rng.choice(parts.SPAM_SUBJECTS),
                "utf-8",
                date,
                self._message_id(sender.domain),
            )
            return parts.html_message(head, parts.spam_html(self.rng)), ()
        if folder.startswith("Lists/"):
            return self._list_message(folder.split("/", 1)[1], date), self._flags(0.4)
        # Archive and Trash: old personal mail, all read.
        return self.personal(date), (SEEN,)

    def _list_message(self, name: str, date: datetime) -> bytes:
        list_address = f"{name}-list@lists.example.org"
        extra: tuple[tuple[str, str], ...] = (
            ("List-Id", f"<{name}-list.lists.example.org>"),
            ("List-Post", f"<mailto:{list_address}>"),
            (
                "List-Unsubscribe",
                f"<mailto:{name}-leave@lists.example.org?subject=unsubscribe>,"
                f" <https://lists.example.org/unsubscribe/{name}>",
            ),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Precedence", "list"),
        )
        sender = self.rng.choice(parts.PEOPLE)
        topic = self.rng.choice(parts.LIST_TOPICS[name])
        message_id = self._message_id("lists.example.org")
        if self.rng.random() < 0.5 and self.count > 1:
            parent = f"<{self.seed}.{self.count - 1}.seed@lists.example.org>"
            extra += (("In-Reply-To", parent), ("References", parent))
            topic = "Re: " + topic
        head = self._headers(
            sender, list_address, f"[{name}] {topic}", "utf-8", date, message_id, extra
        )
        return parts.text_message(head, self._lines("en", 2, 8), "utf-8")


def _spacing_minutes(inbox_size: int) -> int:
    # About three years of mail at any size, but at most ten hours apart.
    return max(2, min(600, 3 * 365 * 24 * 60 // max(inbox_size, 1)))


def iter_messages(
    seed: int = 1, inbox_size: int = 200, now: datetime = FIXED_NOW, large_every: int = 0
) -> Iterator[SeedMessage]:
    """Yield the corpus lazily: the other folders first, then INBOX oldest to newest.

    ``large_every``: when > 0, every n-th INBOX message is a ~200 KB HTML newsletter.
    Memory stays flat at any ``inbox_size`` (only a few open threads are kept).
    """
    composer = _Composer(seed, now, large_every)
    rng = composer.rng
    for folder in FOLDERS[1:]:
        date = now - timedelta(days=60 + rng.randint(0, 200))
        for _ in range(FOLDER_SIZES[folder]):
            date += timedelta(hours=rng.randint(2, 72), seconds=rng.randint(0, 59))
            raw, flags = composer.folder_message(folder, date)
            yield SeedMessage(folder, raw, flags, date + timedelta(seconds=rng.randint(1, 40)))
    composer.threads.clear()
    step = _spacing_minutes(inbox_size)
    start = now - timedelta(minutes=step * inbox_size)
    for index in range(inbox_size):
        # One slot of ``step`` minutes per message keeps dates rising and before ``now``.
        offset = index * step + rng.randint(0, step - 2)
        date = start + timedelta(minutes=offset, seconds=rng.randint(0, 59))
        raw = composer.inbox_message(index, date)
        flags = composer._flags()
        yield SeedMessage("INBOX", raw, flags, date + timedelta(seconds=rng.randint(1, 40)))


def generate_mailbox(
    seed: int = 1, inbox_size: int = 200, now: datetime = FIXED_NOW, large_every: int = 0
) -> list[SeedMessage]:
    """The whole corpus as a list; see :func:`iter_messages`."""
    return list(iter_messages(seed, inbox_size, now, large_every))


def folder_counts(messages: list[SeedMessage]) -> dict[str, int]:
    """How many messages each folder holds (what a server should report after seeding)."""
    counts = dict.fromkeys(FOLDERS, 0)
    for message in messages:
        counts[message.folder] = counts.get(message.folder, 0) + 1
    return counts
