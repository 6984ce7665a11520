"""The third-party mail corpora in ``<repo>/../shared/corpora`` (see its README).

Tests read them in place: :func:`require_corpora` skips with the reason when
they are missing, and fails instead when ``CI=true`` (CI must never pass by
skipping them).
"""

from __future__ import annotations

import csv
import mailbox
import os
from pathlib import Path

import pytest

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


def require_corpora() -> None:
    """Skip (fail under CI) when the corpora are not there."""
    if not (CORPORA / "PARSECHECK.tsv").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"corpora missing at {CORPORA}")
        pytest.skip(f"corpora not found at {CORPORA}")


def listed() -> list[tuple[str, str]]:
    """(path, kind) of every message file ``PARSECHECK.tsv`` lists; [] when missing."""
    index = CORPORA / "PARSECHECK.tsv"
    if not index.is_file():
        return []
    with index.open(newline="") as handle:
        return [(row["path"], row["kind"]) for row in csv.DictReader(handle, delimiter="\t")]


def messages(path: str, kind: str) -> list[bytes]:
    """The raw messages of one listed file (an mbox is split with ``mailbox``)."""
    if kind == "mbox":
        box = mailbox.mbox(CORPORA / path, create=False)
        try:
            return [box.get_bytes(key) for key in box.keys()]
        finally:
            box.close()
    return [(CORPORA / path).read_bytes()]
