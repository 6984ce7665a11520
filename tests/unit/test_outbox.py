"""Outbox and draft autosave: atomic files, private modes, retry timing, crash leftovers."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tui_mail.backend.api import OutboxEntry
from tui_mail.backend.send.drafts import DraftStore
from tui_mail.backend.send.outbox import (
    MESSAGE_FILE,
    STATUS_FILE,
    Outbox,
    load_attachments,
    retry_delay,
)
from tui_mail.errors import NotFound, SendError
from tui_mail.mail.compose import build_message, message_bytes
from tui_mail.models import Address, Draft

MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n"


def add(outbox: Outbox, **overrides: object) -> str:
    fields: dict[str, object] = {
        "account": "work",
        "mail_from": "a@example.com",
        "recipients": ["b@example.com"],
        "subject": "hi",
    }
    fields.update(overrides)
    return outbox.add(MESSAGE, **fields)  # type: ignore[arg-type]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_add_writes_private_files_and_lists_the_entry(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    entry_id = add(outbox, original=("INBOX", 42), reply_kind="reply")
    entry = outbox.get(entry_id)
    assert entry.recipients == ("b@example.com",) and entry.original == ("INBOX", 42)
    assert entry.attempts == 0 and not entry.smtp_accepted
    assert outbox.message(entry_id) == MESSAGE
    folder = tmp_path / "outbox" / entry_id
    assert mode(tmp_path / "outbox") == 0o700 and mode(folder) == 0o700
    assert mode(folder / MESSAGE_FILE) == 0o600 and mode(folder / STATUS_FILE) == 0o600
    assert [e.id for e in outbox.list()] == [entry_id]
    assert [e.id for e in Outbox(tmp_path / "outbox").list()] == [entry_id]


def test_half_written_entries_are_never_listed(tmp_path: Path) -> None:
    """A crash between writing and the final rename leaves only a hidden tmp folder."""
    outbox = Outbox(tmp_path)
    kept = add(outbox)
    crashed = tmp_path / ".tmp-00000000000000000001-deadbeef"
    crashed.mkdir()
    (crashed / MESSAGE_FILE).write_bytes(MESSAGE[:10])
    (tmp_path / "no-message-file").mkdir()
    assert [e.id for e in outbox.list()] == [kept]
    with pytest.raises(NotFound):
        outbox.get(crashed.name)
    # An old leftover is cleared when the outbox is opened again; a fresh one is not
    # (it may belong to an ``add`` still running).
    Outbox(tmp_path)
    assert crashed.exists()
    os.utime(crashed, (0, 0))
    Outbox(tmp_path)
    assert not crashed.exists()


def test_damaged_status_still_shows_the_mail(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    entry_id = add(outbox)
    (tmp_path / entry_id / STATUS_FILE).write_text("{not json")
    (entry,) = outbox.list()
    assert entry.id == entry_id and entry.problems
    assert outbox.due() == [] and outbox.message(entry_id) == MESSAGE


def test_status_steps_and_remove(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    entry_id = add(outbox)
    failed = outbox.mark_failed(entry_id, "connect", "refused")
    assert (failed.attempts, failed.last_step, failed.permanent) == (1, "connect", False)
    assert outbox.get(entry_id) == failed
    accepted = outbox.mark_accepted(entry_id)
    assert accepted.smtp_accepted and accepted.last_error == ""
    assert outbox.pending() == [] and outbox.due() == []
    assert [e.id for e in outbox.unfinished()] == [entry_id]
    assert outbox.mark_sent_saved(entry_id, "NO [TRYCREATE]").last_step == "sent"
    assert outbox.mark_sent_saved(entry_id).sent_saved is True
    outbox.remove(entry_id)
    assert outbox.list() == [] and list(tmp_path.iterdir()) == []


def test_due_uses_capped_exponential_backoff(tmp_path: Path) -> None:
    assert [retry_delay(n).total_seconds() for n in (0, 1, 2, 3, 7, 30)] == [
        0,
        60,
        120,
        240,
        3600,
        3600,
    ]
    outbox = Outbox(tmp_path)
    fresh = add(outbox)
    retried = add(outbox)
    hopeless = add(outbox)
    outbox.mark_failed(retried, "connect", "refused")
    outbox.mark_failed(retried, "connect", "refused")
    outbox.mark_failed(hopeless, "rcpt", "550 no such user", permanent=True)
    now = datetime.now(UTC)
    assert [e.id for e in outbox.due(now)] == [fresh]
    assert [e.id for e in outbox.due(now + timedelta(minutes=2, seconds=5))] == [fresh, retried]


def test_add_draft_puts_bcc_in_the_envelope_only(tmp_path: Path) -> None:
    draft = Draft(
        account="work",
        from_=Address("A", "a@example.com"),
        to=[Address("B", "b@example.com")],
        bcc=[Address("", "hidden@example.com")],
        subject="hi",
        body="x",
        original=("INBOX", 3),
        reply_kind="forward",
    )
    outbox = Outbox(tmp_path)
    entry = outbox.get(outbox.add_draft(draft, message_bytes(build_message(draft))))
    assert entry.recipients == ("b@example.com", "hidden@example.com")
    assert entry.reply_kind == "forward" and entry.original == ("INBOX", 3)
    assert b"hidden@" not in outbox.message(entry.id)


def test_load_attachments(tmp_path: Path) -> None:
    (tmp_path / "ä.txt").write_bytes(b"abc")
    assert load_attachments([str(tmp_path / "ä.txt")]) == [("ä.txt", b"abc", "")]
    with pytest.raises(NotFound):
        load_attachments([str(tmp_path / "missing.pdf")])
    with pytest.raises(SendError):
        load_attachments([str(tmp_path / "ä.txt")] * 2, max_total=5)


def test_draft_store_round_trip_and_private_mode(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    draft = Draft(
        account="work",
        from_=Address("Ä", "a@example.com"),
        to=[Address("B", "b@example.com")],
        subject="Grüße",
        body="line 1\nline 2",
        references=["<r@x>"],
        original=("INBOX", 9),
    )
    store.save(draft)
    assert draft.draft_id
    assert mode(tmp_path / "drafts" / f"{draft.draft_id}.json") == 0o600
    (tmp_path / "drafts" / "junk.json").write_text("[1, 2]")
    assert store.load_all() == [draft]
    draft.body = "changed"
    store.save(draft)
    assert store.load_all()[0].body == "changed"
    store.remove(draft.draft_id)
    assert store.load_all() == []
    with pytest.raises(NotFound):
        store.remove("../etc/passwd")


def test_draft_store_survives_sigkill_mid_saving(tmp_path: Path) -> None:
    """A child saves a draft in a tight loop and is SIGKILLed: the file is always whole."""
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from tui_mail.backend.send.drafts import DraftStore
        from tui_mail.models import Address, Draft
        store = DraftStore(Path({str(tmp_path)!r}))
        draft = Draft(account="w", from_=Address("", "a@x.org"), draft_id="d1")
        n = 0
        while True:
            n += 1
            draft.body = str(n) * 20000
            store.save(draft)
            if n == 3:
                print("ready", flush=True)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    (saved,) = DraftStore(tmp_path).load_all()
    count = saved.body[: len(saved.body) // 20000]
    assert saved.body == count * 20000 and int(count) >= 3


def test_overlapping_autosaves_of_one_draft_all_succeed_and_keep_the_newest(
    tmp_path: Path,
) -> None:
    """Autosaves run in worker threads: eight saving one draft at once must not fail
    (they used to race on one temporary file) and the file ends with the last text."""
    store = DraftStore(tmp_path)
    draft = Draft(account="w", from_=Address("", "a@x.org"), draft_id="d1")
    errors: list[BaseException] = []

    def save_many(worker: int) -> None:
        try:
            for n in range(40):
                draft.body = f"{worker}-{n} " * 2000
                store.save(draft)
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=save_many, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store.save(draft)
    assert [saved.body for saved in store.load_all()] == [draft.body]
    assert list(tmp_path.glob(".*.tmp")) == []


def test_entry_defaults_are_json_round_trippable(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    entry_id = add(outbox)
    assert isinstance(outbox.get(entry_id), OutboxEntry)
    assert outbox.get(entry_id).sent_saved is None and outbox.get(entry_id).problems == ()
