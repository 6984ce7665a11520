"""A long first sync does not make the user wait: their jobs run between its batches."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import (
    account_config,
    dovecot_user,
    other_client,
    running_service,
    write_maildir_folder,
)
from tui_mail.backend import FetchBody, SetFlags, SyncFolder, SyncProgress

pytestmark = pytest.mark.integration

BIG = 20_000


def test_a_body_opened_during_a_big_sync_arrives_before_the_sync_ends(
    dovecot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    account = dovecot_user(dovecot, monkeypatch)
    write_maildir_folder(dovecot, account.username, "Big", BIG)
    client = other_client(account)
    client.append("INBOX", b"From: a@example.org\r\nSubject: read me\r\n\r\nthe body\r\n")
    inbox_uid = client.select_folder("INBOX")[b"UIDNEXT"] - 1
    client.logout()
    config = account_config(account, tmp_path)
    with running_service(config, tmp_path) as (service, log):
        sync = service.submit(SyncFolder("test", "Big"))
        deadline = time.monotonic() + 60
        while not any(isinstance(e, SyncProgress) and e.done for e in log.events):
            assert time.monotonic() < deadline, "the sync never started fetching"
            time.sleep(0.02)
        body = service.submit(FetchBody("test", "INBOX", inbox_uid))
        flag = service.submit(SetFlags("test", "INBOX", (inbox_uid,), ("\\Flagged",)))
        raw = body.result(timeout=60)
        flag.result(timeout=60)
        assert b"the body" in raw
        assert not sync.done(), "the body waited for the whole sync"
        folder = sync.result(timeout=300)
    assert folder.total == BIG  # and the sync still finished, in the right folder
