"""Address completion (tui_mail.backend.addresses): a real cache file and real commands."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tui_mail.backend import addresses
from tui_mail.backend.addresses import address_book, parse_address_book, suggest_addresses
from tui_mail.backend.cache.store import MailCache
from tui_mail.models import Address, Folder, FolderRole, MessageSummary

ME = Address("", "me@example.org")


@pytest.fixture
def cache(tmp_path: Path) -> MailCache:
    cache = MailCache.open(tmp_path / "a.sqlite3", "a")
    cache.save_folders(
        [
            Folder("a", "INBOX", "/", FolderRole.INBOX, 0, 0, True),
            Folder("a", "Sent", "/", FolderRole.SENT, 0, 0, True),
        ]
    )
    jo = Address("Jo Doe", "jo@example.net")
    cache.add_summaries(
        "INBOX",
        [
            MessageSummary("a", "INBOX", 1, from_=(jo,), to=(ME,)),
            MessageSummary("a", "INBOX", 2, from_=(jo,), to=(ME,)),
            MessageSummary("a", "INBOX", 3, from_=(Address("Jürgen Müller", "jm@example.de"),)),
            MessageSummary("a", "INBOX", 4, from_=(ME,), cc=(Address("50%_off", "sale@x.org"),)),
        ],
    )
    sent = [MessageSummary("a", "Sent", 1, from_=(ME,), to=(Address("Jack", "JACK@example.com"),))]
    cache.add_summaries("Sent", sent)
    return cache


def emails(found: list[Address]) -> list[str]:
    return [a.email.lower() for a in found]


def test_people_written_to_come_first_then_the_most_seen(cache: MailCache) -> None:
    assert emails(cache.addresses("j")) == ["jack@example.com", "jo@example.net", "jm@example.de"]


def test_matching_is_fuzzy_over_name_and_email_and_unicode(cache: MailCache) -> None:
    assert emails(cache.addresses("jdoe")) == ["jo@example.net"]
    assert emails(cache.addresses("Müll")) == ["jm@example.de"]
    assert emails(cache.addresses("xmpl.de")) == ["jm@example.de"]
    assert cache.addresses("zzz") == [] and cache.addresses("  ") == []


def test_like_wildcards_typed_are_literal(cache: MailCache) -> None:
    assert emails(cache.addresses("50%")) == ["sale@x.org"]
    assert cache.addresses("%%%%%%%%%") == [] and cache.addresses("j_z") == []


def book(tmp_path: Path, body: str) -> str:
    script = tmp_path / "book.py"
    script.write_text(body)
    return f"{sys.executable} {script}"


def test_address_book_lines_are_email_tab_name_and_filtered(tmp_path: Path) -> None:
    command = book(
        tmp_path,
        "import sys\nprint('ann@b.org\\tAnn Lee\\twork')\nprint('bob@b.org\\tBob')\n"
        "print('not an address')\nprint(sys.argv[1], file=sys.stderr)\n",
    )
    assert address_book(command, "ann") == [Address("Ann Lee", "ann@b.org")]
    assert parse_address_book(b"x@y\n\nno tab here\nz@w\tZed\n") == [
        Address("", "x@y"),
        Address("Zed", "z@w"),
    ]


def test_percent_s_is_replaced_by_the_typed_text(tmp_path: Path) -> None:
    command = book(tmp_path, "import sys\nprint(sys.argv[1] + '@b.org\\tFound')\n") + " %s"
    assert address_book(command, "kim") == [Address("Found", "kim@b.org")]


def test_a_failing_slow_or_missing_command_gives_no_suggestions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: MailCache
) -> None:
    monkeypatch.setattr(addresses, "ADDRESS_BOOK_TIMEOUT", 0.5)
    assert address_book("/nonexistent/book", "a") == []
    assert address_book("'unclosed", "a") == []
    assert address_book(book(tmp_path, "import time\ntime.sleep(5)\n"), "a") == []
    # The cache's suggestions still come through.
    found = suggest_addresses(cache, "jdoe", book_command="/nonexistent/book")
    assert emails(found) == ["jo@example.net"]


def test_book_and_cache_merge_without_repeating_an_address(
    tmp_path: Path, cache: MailCache
) -> None:
    command = book(tmp_path, "print('JO@example.net\\tJo from the book')\n")
    found = suggest_addresses(cache, "jo", book_command=command)
    assert found[0] == Address("Jo from the book", "JO@example.net")
    assert emails(found).count("jo@example.net") == 1 and "jack@example.com" in emails(found)
