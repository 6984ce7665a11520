"""The benchmark corpus: the project's seeded generator plus three marker messages.

The mail itself comes from :func:`tui_mail.demo.corpus.iter_messages` and is
written by :func:`tui_mail.demo.seed.write_maildir`; this module only swaps the
oldest and the two newest INBOX messages for plain-text markers with unique
subjects and bodies, so the driver can tell exactly when one of them is on screen. Their dates and places in the INBOX stay those of the messages
they replace; the newest marker is unread so mutt-style clients start on it.

Run ``python -m bench.corpus --size 1000 --out DIR`` to write one by hand.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import format_datetime
from pathlib import Path

from tui_mail.demo.corpus import SEEN, SeedMessage, iter_messages
from tui_mail.demo.seed import write_maildir

#: Every n-th INBOX message is a ~200 KB HTML newsletter (the issue asks for some).
LARGE_EVERY = 500


@dataclass(frozen=True)
class Markers:
    """Text the driver waits for; all ASCII and unique in the corpus."""

    newest_subject: str = "bench-newest-marker"
    newest_body: str = "bench-body-of-the-newest"
    second_subject: str = "bench-second-marker"
    second_body: str = "bench-body-of-the-second"
    oldest_subject: str = "bench-oldest-marker"
    oldest_body: str = "bench-body-of-the-oldest"


MARKERS = Markers()


def _marker(original: SeedMessage, subject: str, body: str, flags: tuple[str, ...]) -> SeedMessage:
    date = format_datetime(original.internal_date)
    raw = (
        f"From: Bench Marker <marker@bench.example.org>\r\n"
        f"To: Demo User <demo@example.org>\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {date}\r\n"
        f"Message-ID: <{subject}@bench.example.org>\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n"
        f"\r\n"
        f"{body}\r\n\r\nThis message marks one end of the benchmark INBOX.\r\n"
    ).encode("ascii")
    return SeedMessage(original.folder, raw, flags, original.internal_date)


def bench_messages(size: int, seed: int = 8) -> Iterator[SeedMessage]:
    """The seeded corpus with ``size`` INBOX messages, ends replaced by markers."""
    if size < 3:
        raise ValueError("the benchmark INBOX needs at least 3 messages")
    inbox_index = 0
    for message in iter_messages(seed=seed, inbox_size=size, large_every=LARGE_EVERY):
        if message.folder != "INBOX":
            yield message
            continue
        inbox_index += 1
        if inbox_index == 1:
            yield _marker(message, MARKERS.oldest_subject, MARKERS.oldest_body, (SEEN,))
        elif inbox_index == size - 1:
            yield _marker(message, MARKERS.second_subject, MARKERS.second_body, (SEEN,))
        elif inbox_index == size:
            yield _marker(message, MARKERS.newest_subject, MARKERS.newest_body, ())
        else:
            yield message


def write_corpus(
    maildir: Path, size: int, seed: int = 8, owner: tuple[int, int] | None = None
) -> dict[str, int]:
    """Write the corpus as Maildir++ under ``maildir``; returns counts per folder."""
    return write_maildir(maildir, bench_messages(size, seed), owner=owner)


def main() -> None:
    """Write one corpus and say how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="INBOX messages")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--out", type=Path, required=True, help="the Maildir to create")
    args = parser.parse_args()
    started = time.monotonic()
    counts = write_corpus(args.out, args.size, args.seed)
    print(f"wrote {sum(counts.values())} messages in {time.monotonic() - started:.1f} s: {counts}")


if __name__ == "__main__":
    main()
