"""The per-account SQLite cache (tui_mail.backend.cache.store), on real SQLite files in tmp_path."""

from __future__ import annotations

import sqlite3
import stat
import threading
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cache_helpers import ACCOUNT, summary, text_hits, uids_of
from tui_mail.backend.api import SortKey, ViewOrder
from tui_mail.backend.cache.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from tui_mail.backend.cache.store import FolderState, MailCache
from tui_mail.errors import MailError
from tui_mail.models import FLAGGED, SEEN, Address, Folder, FolderRole, MessageSummary


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[MailCache]:
    opened = MailCache.open(tmp_path / "cache" / f"{ACCOUNT}.sqlite3")
    yield opened
    opened.close()


def test_summaries_round_trip_with_unicode_flags_and_missing_date(cache: MailCache) -> None:
    rich = summary(
        1,
        flags=frozenset({SEEN, FLAGGED, "$Label1"}),
        from_=(Address("Jörg Müller", "joerg@müller.example"),),
        to=(Address("", "a@example.org"), Address('Zoë "Z" O\'Brien, Jr.', "z@example.org")),
        cc=(Address("李雷", "li@example.cn"),),
        subject="Re: Grüße aus Köln 🎉",
        references=("<a@x>", "<b@x>"),
        in_reply_to="<b@x>",
        has_attachment=True,
    )
    bare = MessageSummary(ACCOUNT, "INBOX", 2)  # no date, no addresses, no flags
    cache.add_summaries("INBOX", [rich, bare])
    assert cache.summary("INBOX", 1) == rich
    assert cache.summary("INBOX", 2) == bare
    assert cache.summary("INBOX", 3) is None
    assert cache.summary("Elsewhere", 1) is None


def test_undecodable_header_text_is_stored_not_refused(cache: MailCache) -> None:
    """Headers decoded with surrogateescape carry lone surrogates; the batch must still land."""
    broken = summary(2, subject="Gr\udcfc\udcdfe", from_=(Address("J\udcf6rg", "j@x"),))
    cache.add_summaries("INBOX", [summary(1), broken])
    assert cache.uids("INBOX") == [1, 2]
    stored = cache.summary("INBOX", 2)
    assert stored is not None
    assert stored.subject == "Gr\ufffd\ufffde"
    assert stored.from_[0].name == "J\ufffdrg"
    cache.save_body("INBOX", 2, b"raw", text="caf\udce9 au lait")
    assert text_hits(cache, "INBOX", "lait") == [2]


texts = st.text(max_size=40)
addresses = st.lists(st.builds(Address, texts, texts), max_size=3).map(tuple)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    flags=st.frozensets(st.sampled_from([SEEN, FLAGGED, "\\Answered", "$Junk", "Ünïcode"])),
    date=st.none() | st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0)),
    from_=addresses,
    to=addresses,
    subject=texts,
    references=st.lists(st.text(min_size=1, alphabet="<>@.abc1"), max_size=4).map(tuple),
    size=st.integers(0, 2**62),
)
def test_any_summary_round_trips(cache: MailCache, **fields: object) -> None:
    original = summary(1, **fields)
    cache.add_summaries("INBOX", [original])
    assert cache.summary("INBOX", 1) == original


def test_upsert_replaces_a_row_and_keeps_indexed_body_text(cache: MailCache) -> None:
    cache.add_summaries("INBOX", [summary(1)])
    cache.save_body("INBOX", 1, b"raw bytes", text="quarterly figures attached")
    changed = summary(1, subject="New subject", flags=frozenset({SEEN}))
    cache.add_summaries("INBOX", [changed])
    assert cache.summary("INBOX", 1) == changed
    assert cache.uids("INBOX") == [1]
    assert text_hits(cache, "INBOX", "quarterly") == [1]
    assert text_hits(cache, "INBOX", "new subject") == [1]
    assert cache.body("INBOX", 1) == b"raw bytes"


def test_counts_uids_max_uid_and_flags(cache: MailCache) -> None:
    cache.add_summaries(
        "INBOX",
        [
            summary(uid, flags=frozenset({SEEN}) if uid % 3 else frozenset())
            for uid in (5, 3, 9, 12)
        ],
    )
    assert cache.uids("INBOX") == [3, 5, 9, 12]
    assert cache.max_uid("INBOX") == 12
    assert cache.counts("INBOX") == (4, 3)  # 3, 9, 12 unread
    cache.set_flags("INBOX", {3: frozenset({SEEN, FLAGGED}), 99: frozenset({SEEN})})
    assert cache.counts("INBOX") == (4, 2)
    assert cache.flags("INBOX")[3] == frozenset({SEEN, FLAGGED})
    assert set(cache.flags("INBOX")) == {3, 5, 9, 12}
    assert cache.counts("Nowhere") == (0, 0)
    assert cache.max_uid("Nowhere") == 0
    assert cache.uids("Nowhere") == []


def test_remove_uids_drops_summaries_bodies_and_index(cache: MailCache) -> None:
    cache.add_summaries("INBOX", [summary(1), summary(2), summary(3)])
    cache.save_body("INBOX", 2, b"two", text="zebra")
    cache.remove_uids("INBOX", [2, 3, 42])
    assert cache.uids("INBOX") == [1]
    assert cache.body("INBOX", 2) is None
    assert text_hits(cache, "INBOX", "zebra") == []
    cache.remove_uids("Nowhere", [1])  # unknown folder: nothing to do


def test_reset_folder_drops_only_that_folder(cache: MailCache) -> None:
    for folder in ("INBOX", "Archive"):
        cache.add_summaries(folder, [summary(1, folder), summary(2, folder)])
        cache.save_body(folder, 1, folder.encode(), text=f"body of {folder}")
        cache.set_folder_state(folder, FolderState(7, 3, 100))
    cache.reset_folder("INBOX")
    assert cache.uids("INBOX") == []
    assert cache.body("INBOX", 1) is None
    assert cache.folder_state("INBOX") is None
    assert text_hits(cache, "INBOX", "body") == []
    assert cache.uids("Archive") == [1, 2]
    assert cache.body("Archive", 1) == b"Archive"
    assert cache.folder_state("Archive") == FolderState(7, 3, 100)
    assert text_hits(cache, "Archive", "body") == [1]
    cache.reset_folder("Nowhere")


def test_save_folders_replaces_the_set_and_keeps_rows_of_survivors(cache: MailCache) -> None:
    cache.save_folders(
        [
            Folder(ACCOUNT, "INBOX", role=FolderRole.INBOX, unread=2, total=5),
            Folder(ACCOUNT, "Old", delimiter="."),
            Folder(ACCOUNT, "Lists/py", selectable=False),
        ]
    )
    cache.add_summaries("INBOX", [summary(1)])
    cache.add_summaries("Old", [summary(1, "Old")])
    cache.save_body("Old", 1, b"x")
    cache.save_folders(
        [Folder(ACCOUNT, "Lists/py"), Folder(ACCOUNT, "INBOX", role=FolderRole.INBOX, total=5)]
    )
    assert [f.name for f in cache.folders()] == ["Lists/py", "INBOX"]
    assert cache.folders()[1] == Folder(ACCOUNT, "INBOX", role=FolderRole.INBOX, total=5)
    assert cache.uids("INBOX") == [1]
    assert cache.uids("Old") == []
    assert cache.body("Old", 1) is None
    cache.set_counts("INBOX", 10, 4)
    assert (cache.folders()[1].total, cache.folders()[1].unread) == (10, 4)
    cache.save_folders([])
    assert cache.folders() == []
    assert cache.uids("INBOX") == []


def test_folder_state_round_trip(cache: MailCache) -> None:
    assert cache.folder_state("INBOX") is None
    cache.set_folder_state("INBOX", FolderState(uidvalidity=3))
    assert cache.folder_state("INBOX") == FolderState(3, 0, 0)
    cache.set_folder_state("INBOX", FolderState(3, 50, 9_000_000_000))
    assert cache.folder_state("INBOX") == FolderState(3, 50, 9_000_000_000)


def test_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "acct.sqlite3"
    path.touch(mode=0o644)
    path.chmod(0o644)
    opened = MailCache.open(path)
    opened.add_summaries("INBOX", [summary(1)])
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        assert name.exists(), name
        assert stat.S_IMODE(name.stat().st_mode) == 0o600, name
    opened.close()


def test_search_ignores_case_and_accents(cache: MailCache) -> None:
    cache.add_summaries(
        "INBOX",
        [
            summary(1, from_=(Address("Jörg Müller", "jm@example.de"),), subject="Termin"),
            summary(2, to=(Address("", "mueller@example.de"),), subject="Café crème"),
            summary(3, cc=(Address("Ana", "ana@example.org"),)),
        ],
    )
    cache.save_body("INBOX", 3, b"...", text="The invoice is overdue.")
    assert text_hits(cache, "INBOX", "muller") == [1]
    assert text_hits(cache, "INBOX", "MÜLLER jorg") == [1]
    assert text_hits(cache, "INBOX", "cafe creme") == [2]
    assert text_hits(cache, "INBOX", "mueller") == [2]
    assert text_hits(cache, "INBOX", "ana") == [3]
    assert text_hits(cache, "INBOX", "invoice overdue") == [3]
    assert text_hits(cache, "INBOX", "invoice termin") == []
    assert text_hits(cache, "Archive", "muller") == []


def test_migrates_a_version_1_file(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=1) == 1
    conn.execute("INSERT INTO folders (name) VALUES ('INBOX')")
    conn.execute(
        "INSERT INTO summaries (folder_id, uid, from_addrs, subject)"
        " VALUES (1, 1, '[[\"Zed\",\"z@x\"]]', 'Re: beta'), (1, 2, '[[\"\",\"Amy@x\"]]', 'Alpha')"
    )
    conn.close()
    opened = MailCache.open(path, account="old")
    try:
        raw = sqlite3.connect(path)
        assert schema_version(raw) == SCHEMA_VERSION == len(MIGRATIONS)
        keys = raw.execute(
            "SELECT uid, sender_key, subject_key FROM summaries ORDER BY uid"
        ).fetchall()
        raw.close()
        assert keys == [(1, "zed", "beta"), (2, "amy@x", "alpha")]
        view = opened.open_view("INBOX", ViewOrder(SortKey.SUBJECT, descending=False))
        assert [row.summary.uid for row in view.rows(0, 10)] == [2, 1]
        assert opened.summary("INBOX", 1) is not None
        assert opened.summary("INBOX", 1).account == "old"  # type: ignore[union-attr]
    finally:
        opened.close()


def test_refuses_a_newer_schema_and_a_damaged_file(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    MailCache.open(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(MailError, match="newer"):
        MailCache.open(newer)
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"this is not a database" * 100)
    with pytest.raises(MailError, match="damaged"):
        MailCache.open(damaged)


def test_views_read_from_another_thread_while_the_worker_writes(cache: MailCache) -> None:
    cache.add_summaries("INBOX", [summary(uid) for uid in range(1, 201)])
    errors: list[BaseException] = []
    done = threading.Event()

    def ui_thread() -> None:
        try:
            while not done.is_set():
                view = cache.open_view("INBOX", ViewOrder())
                assert len(view.rows(0, 60)) == min(60, len(view))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    reader = threading.Thread(target=ui_thread)
    reader.start()
    try:
        for start in range(201, 2201, 100):
            cache.add_summaries("INBOX", [summary(uid) for uid in range(start, start + 100)])
            cache.remove_uids("INBOX", range(start - 150, start - 100))
    finally:
        done.set()
        reader.join(timeout=10)
    assert not errors
    assert len(cache.open_view("INBOX", ViewOrder())) == len(cache.uids("INBOX"))


@pytest.mark.parametrize("attempt", range(8))  # a race shows only some of the time
def test_concurrent_first_opens_migrate_once(tmp_path: Path, attempt: int) -> None:
    """The service and the worker may open the same new file at the same moment."""
    path = tmp_path / f"race{attempt}.sqlite3"
    opened: list[MailCache] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_it() -> None:
        barrier.wait()
        try:
            opened.append(MailCache.open(path))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(opened) == 4
    opened[0].add_summaries("INBOX", [summary(1)])
    assert opened[3].uids("INBOX") == [1]
    for cache in opened:
        cache.close()


def test_sqlite_failures_surface_as_mail_errors(tmp_path: Path) -> None:
    cache = MailCache.open(tmp_path / "c.sqlite3")
    cache.add_summaries("INBOX", [summary(1)])
    view = cache.open_view("INBOX", ViewOrder())
    cache.close()
    with pytest.raises(MailError):
        cache.uids("INBOX")
    with pytest.raises(MailError):
        cache.add_summaries("INBOX", [summary(2)])
    with pytest.raises(MailError):
        view.rows(0, 10)


def test_batches_larger_than_the_parameter_chunk(cache: MailCache) -> None:
    batch = [summary(uid) for uid in range(1, 2501)]
    cache.add_summaries("INBOX", batch)
    cache.save_body("INBOX", 2400, b"x", text="needle")
    cache.add_summaries("INBOX", batch)  # every row exists now: the re-index path
    assert cache.counts("INBOX") == (2500, 2500)
    assert text_hits(cache, "INBOX", "needle") == [2400]
    view = cache.open_view("INBOX", ViewOrder(SortKey.SIZE, descending=False))
    assert uids_of(view.rows(0, 2500)) == list(range(1, 2501))
