"""fetch_new against Dovecot's POP3 into the SQLite store: once each, nothing lost, DELE last."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers.pop3_account import Pop3Account
from tui_mail.backend.cache.pop3_ledger import LOCAL_FOLDERS, Pop3Ledger
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.pop3.fetcher import FetchPolicy, FetchResult, fetch_new
from tui_mail.backend.pop3.session import Pop3Session
from tui_mail.config import load_config
from tui_mail.models import SEEN, FolderRole

pytestmark = pytest.mark.integration

KEEP = FetchPolicy()


@contextmanager
def opened_store(tmp_path: Path) -> Iterator[Pop3Ledger]:
    cache = MailCache.open(tmp_path / "pop.sqlite3", account="pop")
    try:
        yield Pop3Ledger(cache)
    finally:
        cache.close()


def fetch(
    server: Pop3Account,
    tmp_path: Path,
    policy: FetchPolicy = KEEP,
    security: str = "none",
    **options: object,
) -> FetchResult:
    """One fetch as after a start: config read, store opened, session opened and quit."""
    account = load_config(server.config_toml(tmp_path, security=security)).account()
    session = Pop3Session.open(account, server.password)
    with opened_store(tmp_path) as store:
        return fetch_new(session, store, "pop", policy, **options)  # type: ignore[arg-type]


def inbox_subjects(tmp_path: Path) -> list[str]:
    with opened_store(tmp_path) as store:
        cache = store.cache
        return sorted(s.subject for uid in cache.uids("INBOX") if (s := cache.summary("INBOX", uid)))


@pytest.mark.parametrize("security", ["none", "starttls", "tls"])
def test_leave_on_server_each_message_once_across_restarts(
    pop3_server: Pop3Account, tmp_path: Path, security: str
) -> None:
    first = fetch(pop3_server, tmp_path, security=security)
    assert first.listed == 3 and len(first.new_uids) == 3 and first.bodies == 3
    assert first.deleted == 0 and first.problems == []
    assert inbox_subjects(tmp_path) == [f"POP3 message {n}" for n in (1, 2, 3)]
    again = fetch(pop3_server, tmp_path, security=security)  # a restart: all opened anew
    assert again.new_uids == [] and again.bodies == 0
    assert len(inbox_subjects(tmp_path)) == 3
    assert len(pop3_server.server_uidls()) == 3


def test_local_folders_with_roles(pop3_server: Pop3Account, tmp_path: Path) -> None:
    fetch(pop3_server, tmp_path)
    with opened_store(tmp_path) as store:
        folders = {f.name: f for f in store.cache.folders()}
        assert {name: folders[name].role for name, _ in LOCAL_FOLDERS} == dict(LOCAL_FOLDERS)
        assert folders["INBOX"].role is FolderRole.INBOX
        assert store.refresh_counts() == (3, 3)


def test_headers_come_before_bodies_newest_first(pop3_server: Pop3Account, tmp_path: Path) -> None:
    seen: list[tuple[str, object]] = []
    result = fetch(
        pop3_server,
        tmp_path,
        on_headers=lambda uids: seen.append(("headers", tuple(uids))),
        on_body=lambda uid: seen.append(("body", uid)),
    )
    assert seen[0] == ("headers", tuple(result.new_uids))
    assert [kind for kind, _ in seen[1:]] == ["body"] * 3
    with opened_store(tmp_path) as store:
        newest = store.cache.summary("INBOX", result.new_uids[0])
        assert newest is not None and newest.subject == "POP3 message 3"


def test_new_delivery_is_fetched_next_time(pop3_server: Pop3Account, tmp_path: Path) -> None:
    fetch(pop3_server, tmp_path)
    pop3_server.deliver()
    result = fetch(pop3_server, tmp_path)
    assert len(result.new_uids) == 1
    assert inbox_subjects(tmp_path)[-1] == "POP3 message 4"


def test_leave_on_server_false_empties_the_server_and_keeps_every_message(
    pop3_server: Pop3Account, tmp_path: Path
) -> None:
    result = fetch(pop3_server, tmp_path, FetchPolicy(leave_on_server=False))
    assert result.deleted == 3
    assert pop3_server.server_uidls() == []
    with opened_store(tmp_path) as store:  # a restart: every message still readable
        cache = store.cache
        bodies = [cache.body("INBOX", uid) for uid in cache.uids("INBOX")]
        assert len(bodies) == 3 and all(b and b"Body of message" in b for b in bodies)
        assert all(not entry.on_server for entry in store.entries().values())


def test_delete_after_days_deletes_only_old_fetches(
    pop3_server: Pop3Account, tmp_path: Path
) -> None:
    policy = FetchPolicy(leave_on_server=True, delete_after_days=2)
    assert fetch(pop3_server, tmp_path, policy).deleted == 0
    pop3_server.deliver()
    assert len(fetch(pop3_server, tmp_path, policy).new_uids) == 1
    # The first three were fetched a day before the fourth; a day and a half on, they
    # are 2.5 days old and the fourth 1.5 days.
    with opened_store(tmp_path) as store:
        first = [e.key for e in store.entries().values() if e.uid <= 3]
        store.cache._conn.executemany(
            "UPDATE pop3_messages SET fetched_at = fetched_at - 86400 WHERE key = ?",
            [(key,) for key in first],
        )
    later = fetch(pop3_server, tmp_path, policy, clock=lambda: time.time() + 1.5 * 86400)
    assert later.deleted == 3  # the fourth is under 2 days old: it stays
    assert len(pop3_server.server_uidls()) == 1
    assert len(inbox_subjects(tmp_path)) == 4


def test_a_crash_between_retr_and_commit_loses_and_doubles_nothing(
    pop3_server: Pop3Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second body's commit fails as if the process died there (after RETR)."""
    real = Pop3Ledger.complete
    calls = {"n": 0}

    def dies_on_second(self: Pop3Ledger, *args: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("killed between RETR and commit")
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Pop3Ledger, "complete", dies_on_second)
    policy = FetchPolicy(leave_on_server=False)
    with pytest.raises(SystemExit):
        fetch(pop3_server, tmp_path, policy)
    assert len(pop3_server.server_uidls()) == 3  # nothing deleted: DELE comes after commits
    monkeypatch.setattr(Pop3Ledger, "complete", real)
    after = fetch(pop3_server, tmp_path, policy)
    assert after.new_uids == [] and after.bodies == 2  # the two unfinished ones, resumed
    assert inbox_subjects(tmp_path) == [f"POP3 message {n}" for n in (1, 2, 3)]
    assert pop3_server.server_uidls() == []


def test_flags_set_before_the_body_arrives_are_kept(
    pop3_server: Pop3Account, tmp_path: Path
) -> None:
    def read_them(uids: list[int]) -> None:
        with opened_store(tmp_path) as store:
            store.cache.set_flags("INBOX", {uid: frozenset({SEEN}) for uid in uids})

    fetch(pop3_server, tmp_path, on_headers=read_them)
    with opened_store(tmp_path) as store:
        assert store.refresh_counts() == (3, 0)
