"""The local store of a POP3 account (``cache/local_store.py``) with the fetch of Dovecot's POP3.

UIDs are never handed out twice; a move renames the rows (flags, body, search
text go along) and the ledger row follows, so a body downloaded after the user
moved the headers-only message lands where it is now; a message deleted for good
before its body came is never downloaded, nor deleted from the server.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.pop3_account import Pop3Account
from tui_mail.backend.cache.local_store import DISCARDED, LocalStore
from tui_mail.backend.cache.pop3_ledger import Pop3Ledger
from tui_mail.backend.pop3.fetcher import FetchPolicy, fetch_new, whole_message
from tui_mail.backend.pop3.session import Pop3Session
from tui_mail.config import load_config
from tui_mail.models import FLAGGED

pytestmark = pytest.mark.integration


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    opened = LocalStore.open(tmp_path / "pop.sqlite3", "pop")
    assert isinstance(opened, LocalStore)
    Pop3Ledger(opened).ensure_folders()
    try:
        yield opened
    finally:
        opened.close()


def fetch(server: Pop3Account, tmp_path: Path, store: LocalStore, **options: object) -> object:
    account = load_config(server.config_toml(tmp_path)).account()
    session = Pop3Session.open(account, server.password)
    policy = options.pop("policy", FetchPolicy())
    return fetch_new(session, Pop3Ledger(store), "pop", policy, **options)  # type: ignore[arg-type]


def hits(store: LocalStore, word: str) -> set[tuple[str, int]]:
    """(folder, UID) of the rows whose indexed text holds ``word`` (the FTS table itself)."""
    with sqlite3.connect(store.path) as conn:
        rows = conn.execute(
            "SELECT f.name, s.uid FROM search JOIN summaries AS s ON s.id = search.rowid"
            " JOIN folders AS f ON f.id = s.folder_id WHERE search MATCH ?",
            (word,),
        ).fetchall()
    return {(str(name), int(uid)) for name, uid in rows}


def test_append_move_copy_uids_never_reused_and_search_text_follows(store: LocalStore) -> None:
    raw = b"From: a@example.org\r\nSubject: kept locally\r\n\r\nthe word pangolin\r\n"
    summary, raw, text = whole_message("pop", "Sent", 0, raw)
    first = store.append(summary, raw, text)
    second = store.append(summary, raw, text)
    assert second == first + 1
    store.set_flags("Sent", {first: frozenset({FLAGGED})})
    moved = store.transfer("Sent", [first, first], "Archive")  # named twice: moved once
    assert list(moved) == [first]
    new = moved[first]
    assert store.summary("Archive", new) is not None
    assert store.flags("Archive")[new] == frozenset({FLAGGED})
    assert store.body("Archive", new) == raw and store.body("Sent", first) is None
    assert hits(store, "pangolin") == {("Sent", second), ("Archive", new)}
    back = store.transfer("Archive", [new], "Sent")
    assert back[new] not in (first, second), "a UID once given is never given again"
    copied = store.transfer("Sent", [second], "Drafts", copy=True)
    assert store.body("Drafts", copied[second]) == raw and store.body("Sent", second) == raw
    store.purge("Sent", [second])
    assert store.summary("Sent", second) is None and store.body("Sent", second) is None


def test_a_body_fetched_after_a_move_lands_where_the_message_is_now(
    pop3_server: Pop3Account, tmp_path: Path, store: LocalStore
) -> None:
    moved: dict[int, int] = {}

    def user_archives_the_newest(uids: list[int]) -> None:  # headers only, bodies not yet
        moved.update(store.transfer("INBOX", uids[:1], "Archive"))

    fetch(pop3_server, tmp_path, store, on_headers=user_archives_the_newest)
    ((old, new),) = moved.items()
    assert store.summary("INBOX", old) is None
    body = store.body("Archive", new)
    assert body is not None and b"Body of message 3." in body
    assert len(store.uids("INBOX")) == 2 and all(
        store.body("INBOX", u) for u in store.uids("INBOX")
    )
    entries = Pop3Ledger(store).entries().values()
    assert sorted((e.folder, e.state) for e in entries) == [
        ("Archive", "stored"),
        ("INBOX", "stored"),
        ("INBOX", "stored"),
    ]


def test_deleted_before_its_body_came_never_downloaded_nor_deleted_from_the_server(
    pop3_server: Pop3Account, tmp_path: Path, store: LocalStore
) -> None:
    def user_deletes_the_newest_for_good(uids: list[int]) -> None:
        store.purge("INBOX", uids[:1])

    fetch(
        pop3_server,
        tmp_path,
        store,
        on_headers=user_deletes_the_newest_for_good,
        policy=FetchPolicy(leave_on_server=False),
    )
    assert len(store.uids("INBOX")) == 2
    states = sorted(e.state for e in Pop3Ledger(store).entries().values())
    assert states == [DISCARDED, "stored", "stored"]
    assert len(pop3_server.server_uidls()) == 1, "only whole messages are deleted from the server"
    fetch(pop3_server, tmp_path, store, policy=FetchPolicy(leave_on_server=False))
    assert len(store.uids("INBOX")) == 2, "not downloaded again"
