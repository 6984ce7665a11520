"""Folder sync against real servers: big folders, other clients, UIDVALIDITY, offline cache."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import (
    account_config,
    dovecot_user,
    kill_dovecot_sessions,
    make_message,
    other_client,
    running_service,
    server_state,
    write_maildir_folder,
)
from tui_mail.backend import (
    FetchBody,
    FlagsChanged,
    ListFolders,
    MessagesAdded,
    MessagesRemoved,
    SyncFolder,
    SyncProgress,
    ViewOrder,
)
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.service import cache_file

pytestmark = pytest.mark.integration
WAIT = 30
BIG = 10_000
#: pymap fills its copy over MULTIAPPEND (Dovecot's is written as a Maildir); its FETCH
#: costs 1-2 ms per message, so this takes about 40 s there (measured 37 s quiet).
BIG_PYMAP = 10_000


def _big(imap_server: Any) -> int:
    return BIG if imap_server.kind == "dovecot" else BIG_PYMAP


def _cached(tmp_path: Path, folder: str) -> dict[int, frozenset[str]]:
    cache = MailCache.open(cache_file(tmp_path / "cache", "test"), "test")
    try:
        return cache.flags(folder)
    finally:
        cache.close()


def _fill_big_folder(imap_server: Any, dovecot_fixture: Any) -> None:
    if imap_server.kind == "dovecot":
        write_maildir_folder(dovecot_fixture, imap_server.username, "Big", BIG)
        return
    client = other_client(imap_server)
    client.create_folder("Big")
    for start in range(0, BIG_PYMAP, 500):
        batch = [make_message(i, "bulk") for i in range(start, start + 500)]
        client.multiappend("Big", batch)
    client.select_folder("Big")
    uids = client.search("ALL")
    client.add_flags(uids[::3], ["\\Seen"], silent=True)
    client.add_flags(uids[::10], ["\\Flagged"], silent=True)
    client.logout()


@pytest.mark.slow
def test_big_folder_newest_batch_first_and_exact_result(
    imap_server: Any,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dovecot = request.getfixturevalue("dovecot") if imap_server.kind == "dovecot" else None
    _fill_big_folder(imap_server, dovecot)
    size = _big(imap_server)
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, log):
        started = time.monotonic()
        folder = service.submit(SyncFolder("test", "Big")).result(120)
        cold = time.monotonic() - started
        batches = [e for e in log.of(MessagesAdded) if e.folder == "Big"]
        progress = [e for e in log.of(SyncProgress) if e.folder == "Big"]
        started = time.monotonic()
        service.submit(SyncFolder("test", "Big")).result(60)
        warm = time.monotonic() - started
        view = service.view("test", "Big", ViewOrder()).result(10)
        assert len(view) == size
    print(f"\n[{imap_server.kind}] sync of {size} messages: cold {cold:.2f} s, warm {warm:.3f} s")
    assert folder.total == size
    assert len(batches) >= size // 500
    first = [s.uid for s in batches[0].summaries]
    rest = [s.uid for b in batches[1:] for s in b.summaries]
    assert min(first) > max(rest), "the newest batch is announced before the rest"
    assert progress[0].done == 0 and progress[-1].done == progress[-1].total == size
    assert _cached(tmp_path, "Big") == server_state(imap_server, "Big")


def test_other_clients_flags_expunges_and_new_mail(
    imap_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = other_client(imap_server)
    for index in range(5):
        client.append("INBOX", make_message(index))
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, log):
        service.submit(SyncFolder("test", "INBOX")).result(WAIT)
        assert _cached(tmp_path, "INBOX") == server_state(imap_server, "INBOX")
        for round_ in range(
            2
        ):  # the second round runs on a warm state (CONDSTORE/QRESYNC on Dovecot)
            client.select_folder("INBOX")
            uids = sorted(client.search("ALL"))
            client.add_flags([uids[0]], ["\\Flagged", "\\Seen"])
            client.remove_flags([uids[1]], ["\\Seen"])
            client.add_flags([uids[2]], ["\\Deleted"])
            client.uid_expunge([uids[2]])  # both servers offer UIDPLUS
            client.append("INBOX", make_message(100 + round_, "late"))
            service.submit(SyncFolder("test", "INBOX")).result(WAIT)
            assert _cached(tmp_path, "INBOX") == server_state(imap_server, "INBOX")
            assert uids[2] in log.of(MessagesRemoved)[-1].uids
            assert any(
                {"\\Flagged", "\\Seen"} <= e.flags.get(uids[0], frozenset())
                for e in log.of(FlagsChanged)
            )
            assert any(
                s.subject == f"late {100 + round_}"
                for e in log.of(MessagesAdded)
                for s in e.summaries
            )
    client.logout()


def test_qresync_resync_does_not_read_every_cached_uid(
    imap_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With QRESYNC a resync needs only the count and a few lookups: reading every UID
    of a 100,000-message folder cost ~10 MB of peak memory at each start (issue #8)."""
    if imap_server.kind != "dovecot":
        pytest.skip("pymap has no QRESYNC: comparing every UID is its only way")
    client = other_client(imap_server)
    for index in range(6):
        client.append("INBOX", make_message(index))
    reads: list[str] = []
    full_read = MailCache.uids

    def counted(cache: MailCache, folder: str) -> list[int]:
        reads.append(folder)
        return full_read(cache, folder)

    monkeypatch.setattr(MailCache, "uids", counted)
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, log):
        service.submit(SyncFolder("test", "INBOX")).result(WAIT)
        client.select_folder("INBOX")
        uids = sorted(client.search("ALL"))
        client.add_flags([uids[0]], ["\\Flagged"])
        client.add_flags([uids[1]], ["\\Deleted"])
        client.uid_expunge([uids[1]])
        client.append("INBOX", make_message(50, "late"))
        reads.clear()
        service.submit(SyncFolder("test", "INBOX")).result(WAIT)
        assert reads == []
        assert _cached(tmp_path, "INBOX") == server_state(imap_server, "INBOX")
        assert log.of(MessagesRemoved)[-1].uids == (uids[1],)
        assert "\\Flagged" in log.of(FlagsChanged)[-1].flags[uids[0]]
    client.logout()


def test_uidvalidity_change_drops_stale_rows(
    imap_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = other_client(imap_server)
    client.create_folder("Box")
    for index in range(3):
        client.append("Box", make_message(index, "old"))
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, log):
        service.submit(SyncFolder("test", "Box")).result(WAIT)
        old_validity = client.folder_status("Box", ["UIDVALIDITY"])[b"UIDVALIDITY"]
        client.delete_folder("Box")
        time.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock
        client.create_folder("Box")
        for index in range(2):
            client.append("Box", make_message(index, "new"))
        assert client.folder_status("Box", ["UIDVALIDITY"])[b"UIDVALIDITY"] != old_validity
        service.submit(SyncFolder("test", "Box")).result(WAIT)
        view = service.view("test", "Box", ViewOrder()).result(10)
        subjects = sorted(row.summary.subject for row in view.rows(0, len(view)))
        assert subjects == ["new 0", "new 1"]
        assert any(e.folder == "Box" for e in log.of(MessagesRemoved))
    assert _cached(tmp_path, "Box") == server_state(imap_server, "Box")
    client.logout()


def test_warm_cache_serves_folders_rows_and_bodies_with_the_server_down(
    dovecot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot_user(dovecot, monkeypatch)
    client = other_client(user)
    for index in range(3):
        client.append("INBOX", make_message(index, "cached"))
    client.logout()
    config = account_config(user, tmp_path)
    with running_service(config, tmp_path) as (service, _log):
        folders = service.submit(ListFolders("test")).result(WAIT)
        service.submit(SyncFolder("test", "INBOX")).result(WAIT)
        first = service.view("test", "INBOX", ViewOrder()).result(10).rows(0, 1)[0].summary
        body = service.submit(FetchBody("test", "INBOX", first.uid)).result(WAIT)
    dovecot.stop()
    kill_dovecot_sessions(dovecot)
    try:
        with running_service(config, tmp_path) as (service, _log):
            assert [f.name for f in service.cached_folders("test")] == [f.name for f in folders]
            view = service.view("test", "INBOX", ViewOrder()).result(10)
            assert len(view) == 3 and view.rows(0, 1)[0].summary == first
            assert service.submit(FetchBody("test", "INBOX", first.uid)).result(WAIT) == body
    finally:
        dovecot.start()
