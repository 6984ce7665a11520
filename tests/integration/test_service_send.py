"""MailServiceImpl.send: the outbox, SMTP and the Sent copy through the account worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import running_service, server_state
from tui_mail.backend import ListFolders, SetFlags, SyncFolder
from tui_mail.config import load_config
from tui_mail.models import Address, Draft

pytestmark = pytest.mark.integration


def test_send_delivers_and_files_a_copy_in_sent(
    imap_server: Any, smtp_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(tmp_path / "state"))
    config = load_config(imap_server.config_toml(tmp_path, smtp=smtp_server))
    with running_service(config, tmp_path) as (service, _log):
        folders = service.submit(ListFolders("test")).result(30)
        sent = service.sent_folder("test")
        assert sent is not None and sent in {f.name for f in folders}
        before = set(server_state(imap_server, sent))
        service.submit(SyncFolder("test", "INBOX")).result(30)
        draft = Draft(
            account="test",
            from_=Address("Test User", imap_server.email),
            to=[Address("Bob", "bob@example.org")],
            subject="sent through the service",
            body="Hello Bob.",
        )
        outcome = service.send(draft).result(60)
        assert outcome.delivered_now and outcome.sent_saved and outcome.removed
        assert len(smtp_server.messages) == 1
        new = set(server_state(imap_server, sent)) - before
        assert len(new) == 1 and "\\Seen" in server_state(imap_server, sent)[new.pop()]
        assert service.retry_outbox("test") == []  # nothing left to resend
        # The worker still serves ordinary commands after the send's IMAP steps.
        uid = max(server_state(imap_server, "INBOX"))
        service.submit(SetFlags("test", "INBOX", (uid,), ("\\Flagged",))).result(30)
