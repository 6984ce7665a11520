"""New mail everywhere (issue 21 items 3-4), on real servers.

Another client delivers mail as a mail server would; the service must see it in
folders IDLE does not watch (NOTIFY on Dovecot, polling on pymap), and announce
new INBOX mail through ``new_mail_command`` (recorded here by a tiny script)
once per burst, sanitised, never for mail the user moved there.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import (
    FAST,
    make_message,
    other_client,
    running_service,
)
from tui_mail.backend import FolderCountsChanged, MessagesAdded, MoveMessages, SyncFolder
from tui_mail.backend.api import NewMailArrived
from tui_mail.config import load_config

pytestmark = pytest.mark.integration

RECORDER = """\
import json, sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps(sys.argv[2:]) + "\\n")
"""

HOSTILE_SUBJECT = "pay \x1b]52;c;cm0gLXJmIH4=\x07now $(touch {marker}) `id` \u202eevil\x9b31m"


def _recorded(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _config(server: Any, tmp_path: Path, record: Path) -> Any:
    recorder = tmp_path / "recorder.py"
    recorder.write_text(RECORDER)
    command = [sys.executable, str(recorder), str(record), "{from}", "{subject}", "{folder}"]
    return load_config(
        server.config_toml(
            tmp_path,
            general={"new_mail_command": [*command, "{account}"], "new_mail_notify": False},
        )
    )


def _counted(log: Any, folder: str, total: int) -> bool:
    return any(e.folder == folder and e.total == total for e in log.of(FolderCountsChanged))


def _start_watching(service: Any, log: Any) -> Any:
    service.submit(SyncFolder("test", "INBOX")).result(30)  # the app opens INBOX
    watcher = service.watchers["test"]
    assert log.wait_for(watcher.watching.is_set, 10)
    return watcher


def test_mail_delivered_to_another_folder_shows_in_its_count(
    imap_server: Any, tmp_path: Path
) -> None:
    """Dovecot: NOTIFY reports it within 5 s; pymap (no NOTIFY): the folder poll does."""
    client = other_client(imap_server)
    client.create_folder("Projects")
    client.subscribe_folder("Projects")
    config = _config(imap_server, tmp_path, tmp_path / "record.jsonl")
    options = replace(FAST, folder_poll_interval=1.0)
    with running_service(config, tmp_path, options) as (service, log):
        watcher = _start_watching(service, log)
        assert watcher.notifying == imap_server.has("NOTIFY")
        client.append("Projects", make_message(1, "for projects"))
        started = time.monotonic()
        assert log.wait_for(lambda: _counted(log, "Projects", 1), 5), "count not updated in 5 s"
        took = time.monotonic() - started
        how = "NOTIFY" if watcher.notifying else "polling every 1 s"
        print(f"\n[{imap_server.kind}] other folder's count updated after {took:.2f} s ({how})")
        client.append("Projects", make_message(2, "second"))
        assert log.wait_for(lambda: _counted(log, "Projects", 2), 5)
    client.logout()


def test_new_inbox_mail_runs_new_mail_command_once_sanitised_and_inert(
    imap_server: Any, tmp_path: Path
) -> None:
    record, marker = tmp_path / "record.jsonl", tmp_path / "pwned"
    config = _config(imap_server, tmp_path, record)
    with running_service(config, tmp_path) as (service, log):
        _start_watching(service, log)
        client = other_client(imap_server)
        client.append("INBOX", _encoded_subject(HOSTILE_SUBJECT.format(marker=marker)))
        client.logout()
        assert log.wait_for(lambda: bool(_recorded(record)), 15), "new_mail_command never ran"
        time.sleep(1.5)  # a second run would come within the burst delay
    runs = _recorded(record)
    assert len(runs) == 1, runs
    sender, shown, folder, account = runs[0]
    assert (sender, folder, account) == ("Sender 7", "INBOX", "test")
    assert "$(touch" in shown and "`id`" in shown  # arrived as text...
    assert not marker.exists()  # ...and nothing ran it
    assert not any(c in shown for c in "\x1b\x07\x9b\u202e"), repr(shown)
    assert len(log.of(NewMailArrived)) == 1


def test_a_burst_is_one_notice_and_mail_we_moved_into_inbox_is_none(
    imap_server: Any, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    config = _config(imap_server, tmp_path, record)
    client = other_client(imap_server)
    client.create_folder("Keep")
    client.append("Keep", make_message(1, "kept unread"))
    with running_service(config, tmp_path) as (service, log):
        _start_watching(service, log)
        service.submit(SyncFolder("test", "Keep")).result(30)
        client.select_folder("Keep")
        (uid,) = client.search("ALL")
        service.submit(MoveMessages("test", "Keep", (uid,), "INBOX")).result(30)
        assert log.wait_for(
            lambda: any(
                s.subject == "kept unread 1" for e in log.of(MessagesAdded) for s in e.summaries
            ),
            15,
        ), "the moved message never reached INBOX's rows"
        time.sleep(2.0)
        assert _recorded(record) == [] and log.of(NewMailArrived) == []
        for index in range(2, 5):  # a burst of three
            client.append("INBOX", make_message(index, "burst"))
        assert log.wait_for(lambda: bool(_recorded(record)), 15)
        time.sleep(2.0)
    client.logout()
    runs = _recorded(record)
    assert len(runs) == 1, runs
    assert runs[0][1].startswith("3 new messages; newest: burst")


def _encoded_subject(subject: str) -> bytes:
    """A message whose Subject carries ``subject`` (escapes included) as an encoded word."""
    encoded = base64.b64encode(subject.encode()).decode()
    return (
        "From: Sender 7 <sender7@example.org>\r\nTo: me@example.org\r\n"
        f"Subject: =?utf-8?b?{encoded}?=\r\nMessage-ID: <hostile.7@example.org>\r\n"
        "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\nBody.\r\n"
    ).encode()
