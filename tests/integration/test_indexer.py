"""Index everything (``index_bodies = "all"``, issue #6) against real Dovecot and pymap.

The user's view: with "all" set, a word that appears only in a body is found
by the local search, in folders never opened too, without anything being
marked read; and while the indexer works, the user's own commands are answered
at once (they jump the queue).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import (
    EventLog,
    dovecot_user,
    kill_dovecot_sessions,
    other_client,
    running_service,
    server_state,
    write_maildir_folder,
)
from tui_mail.backend import (
    FetchBody,
    IndexProgress,
    ListFolders,
    MailServiceImpl,
    SyncFolder,
    api,
)
from tui_mail.backend.account.indexer import index_order
from tui_mail.backend.cache.search_view import SearchView
from tui_mail.backend.search.searcher import MessageSearch
from tui_mail.backend.service import cache_file
from tui_mail.config import load_config
from tui_mail.mail.query import SearchScope
from tui_mail.models import Folder, FolderRole

pytestmark = pytest.mark.integration
WAIT = 60

BODY_ONLY = [
    ("INBOX", "Tea", "The wombat brought oolong."),
    ("Archive", "Old tea", "An archived wombat, long ago."),
    ("Lists/rust", "Crates", "A wombat in the crate list."),
]


def _message(subject: str, body: str) -> bytes:
    return (
        "From: Ann <ann@example.org>\r\nTo: me@example.org\r\n"
        f"Subject: {subject}\r\nDate: Tue, 14 Jan 2025 12:00:00 +0000\r\n\r\n{body}\r\n"
    ).encode()


def _config(server: Any, tmp_path: Path) -> Any:
    return load_config(server.config_toml(tmp_path, general={"index_bodies": "all"}))


def _finished(log: Any) -> bool:
    progress = log.of(IndexProgress)
    return bool(progress) and progress[-1].finished


def _local_hits(tmp_path: Path, text: str) -> set[tuple[str, int]]:
    searcher = MessageSearch({"test": cache_file(tmp_path / "cache", "test")}, zone=UTC)
    try:
        request = api.SearchMessages("test", "INBOX", text, SearchScope.ALL, server=False)
        view = searcher.local(request)
        assert isinstance(view, SearchView)
        return {(r.summary.folder, r.summary.uid) for r in view.rows(0, len(view))}
    finally:
        searcher.close()


def test_every_body_is_indexed_in_every_folder_and_nothing_is_marked_read(
    imap_server: Any, tmp_path: Path
) -> None:
    client = other_client(imap_server)
    for folder, subject, body in BODY_ONLY:
        client.append(folder, _message(subject, body))
    client.logout()
    before = {f: server_state(imap_server, f) for f in ("INBOX", "Archive", "Lists/rust")}
    with running_service(_config(imap_server, tmp_path), tmp_path) as (service, log):
        service.submit(ListFolders("test")).result(WAIT)
        service.submit(SyncFolder("test", "INBOX")).result(WAIT)  # as the UI does at start
        assert log.wait_for(lambda: _finished(log), WAIT), log.of(IndexProgress)[-3:]
    found = _local_hits(tmp_path, "body:wombat")
    assert {folder for folder, _ in found} == {"INBOX", "Archive", "Lists/rust"}
    progress = log.of(IndexProgress)
    assert progress[-1].total >= len(imap_server.corpus) + len(BODY_ONLY)
    assert any(p.done < p.total for p in progress), "progress is reported on the way"
    after = {f: server_state(imap_server, f) for f in before}
    assert after == before, "indexing changed flags (BODY.PEEK must not set \\Seen)"


@contextmanager
def indexing_bulk(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[MailServiceImpl, EventLog, Any]]:
    """A fresh Dovecot user with 1,500 messages in "Bulk", opened as the UI would,
    once the indexer has stored its first bodies: (service, events, dovecot)."""
    dovecot = request.getfixturevalue("dovecot")
    account = dovecot_user(dovecot, monkeypatch)
    write_maildir_folder(dovecot, account.username, "Bulk", 1500)
    with running_service(_config(account, tmp_path), tmp_path) as (service, log):
        service.submit(ListFolders("test")).result(WAIT)
        service.submit(SyncFolder("test", "Bulk")).result(WAIT)
        assert log.wait_for(lambda: any(p.done > 0 for p in log.of(IndexProgress)), WAIT)
        yield service, log, dovecot


def test_user_commands_jump_the_indexing_queue(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with indexing_bulk(request, monkeypatch, tmp_path) as (service, log, _):
        oldest = min(service.view("test", "Bulk", api.ViewOrder()).result(WAIT).uids)
        started = time.monotonic()
        raw = service.submit(FetchBody("test", "Bulk", oldest)).result(WAIT)
        waited = time.monotonic() - started
        at_answer = log.of(IndexProgress)[-1]
        assert b"Body of message 0." in raw
        assert log.wait_for(lambda: _finished(log), 120)
    print(f"\nFetchBody answered in {waited * 1000:.0f} ms during indexing at {at_answer}")
    assert at_answer.done < at_answer.total, "answered while the indexer still had work"
    assert waited < 2.0


def test_indexing_goes_on_after_the_connection_drops(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The server ends our sessions mid-way; the worker reconnects and indexing finishes."""
    with indexing_bulk(request, monkeypatch, tmp_path) as (_, log, dovecot):
        assert kill_dovecot_sessions(dovecot) > 0
        assert log.wait_for(lambda: _finished(log), 120), log.of(IndexProgress)[-1]
        states = [e.state for e in log.of(api.AccountStateChanged)]
    assert api.AccountState.OFFLINE in states
    assert len(_local_hits(tmp_path, "body:bulk")) == 0  # the word is in subjects only
    assert len(_local_hits(tmp_path, "body:message")) == 1500


def test_index_order_puts_inbox_first_and_junk_and_trash_last() -> None:
    def folder(name: str, role: FolderRole = FolderRole.NONE, selectable: bool = True) -> Folder:
        return Folder("a", name, "/", role, 0, 0, selectable)

    folders = (
        folder("Trash", FolderRole.TRASH),
        folder("Lists", selectable=False),
        folder("Lists/rust"),
        folder("Junk", FolderRole.JUNK),
        folder("Sent", FolderRole.SENT),
        folder("INBOX", FolderRole.INBOX),
    )
    assert index_order(folders) == ["INBOX", "Lists/rust", "Sent", "Trash", "Junk"]
