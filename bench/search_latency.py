"""Search-as-you-type latency on a big cache (issue #6): ``python -m bench.search_latency``.

Fills a cache file directly (no server) with N summaries (default 100,000) whose
subjects and names come from a small vocabulary, so prefixes match thousands of
messages (the hard case), and indexes body text for a fifth of them. Then, per
keystroke of a few queries, times what the UI waits for: ``MessageSearch.local``
(parse, SQL + FTS5, the ordered hit list) plus reading the first 60 rows.
Prints min and median of ``--reps`` runs per keystroke, and the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui_mail.backend import api
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.search.searcher import MessageSearch
from tui_mail.mail.query import QueryError, parse
from tui_mail.models import SEEN, Address, Folder, MessageSummary

VOCABULARY = (
    "alpha beta gamma delta report meeting invoice budget release python rust müller "
    "schön café lunch project review update server client backup weekly monthly notes "
    "agenda travel offer contract draft design launch holiday family photos recipe"
).split()
NAMES = ("Anna Müller", "Bob Smith", "Chloé Dubois", "Dmitri Ivanov", "Eve Adams", "Frank Zhang")
QUERIES = ("muller report", "from:chloe", "is:unread budget", '"weekly report"', "zzzz")


def fill(path: Path, count: int, seed: int = 1) -> None:
    """Write ``count`` summaries to INBOX of a new cache at ``path``; bodies for 1 in 5."""
    rng = random.Random(seed)
    cache = MailCache.open(path, "bench")
    cache.save_folders([Folder("bench", "INBOX")])
    base = datetime(2015, 1, 1, tzinfo=UTC)
    for start in range(1, count + 1, 10_000):
        batch = []
        for uid in range(start, min(count, start + 9_999) + 1):
            name = rng.choice(NAMES)
            batch.append(
                MessageSummary(
                    "bench",
                    "INBOX",
                    uid,
                    flags=frozenset({SEEN}) if rng.random() < 0.7 else frozenset(),
                    date=base + timedelta(minutes=45 * uid),
                    from_=(Address(name, name.split()[0].lower() + "@example.org"),),
                    to=(Address("Me", "me@example.org"),),
                    subject=" ".join(rng.choices(VOCABULARY, k=5)),
                )
            )
        cache.add_summaries("INBOX", batch)
    for uid in range(1, count + 1, 5):
        cache.save_body("INBOX", uid, b"", " ".join(rng.choices(VOCABULARY, k=80)))
    cache.close()


def keystrokes(query: str) -> list[str]:
    """What the bar holds after each key of ``query``."""
    return [query[:n] for n in range(1, len(query) + 1)]


def main() -> None:
    """Fill, then time every keystroke of every query."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        started = time.perf_counter()
        fill(path, args.size)
        print(f"filled {args.size:,} messages in {time.perf_counter() - started:.1f} s")
        searcher = MessageSearch({"bench": path})
        medians: list[float] = []
        try:
            for query in QUERIES:
                for text in keystrokes(query):
                    if isinstance(parse(text), QueryError):
                        continue  # the bar shows the error and searches nothing
                    runs = []
                    for _ in range(args.reps):
                        began = time.perf_counter()
                        view = searcher.local(api.SearchMessages("bench", "INBOX", text))
                        view.rows(0, 60)
                        runs.append((time.perf_counter() - began) * 1000)
                    medians.append(statistics.median(runs))
                    print(
                        f"{text!r:24} {len(view):>7,} hits  min {min(runs):6.1f} ms"
                        f"  median {statistics.median(runs):6.1f} ms"
                    )
        finally:
            searcher.close()
        print(
            f"keystrokes: {len(medians)}, median of medians {statistics.median(medians):.1f} ms,"
            f" worst median {max(medians):.1f} ms, load average {os.getloadavg()[0]:.2f}"
            f" on {os.cpu_count()} CPUs"
        )


if __name__ == "__main__":
    main()
