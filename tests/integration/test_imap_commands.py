"""Every command through the service, against Dovecot and pymap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cache_helpers import text_hits
from tests.integration.backend_helpers import (
    account_config,
    make_message,
    other_client,
    running_service,
    server_state,
)
from tui_mail.backend import (
    AppendMessage,
    CopyMessages,
    CreateFolder,
    DeleteFolder,
    DeleteMessages,
    FetchBody,
    FlagsChanged,
    FoldersChanged,
    ListFolders,
    MessagesAdded,
    MessagesRemoved,
    MoveMessages,
    RenameFolder,
    ServerSearch,
    SetFlags,
    SyncAll,
    SyncFolder,
)
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.service import cache_file
from tui_mail.errors import ServerError
from tui_mail.models import FolderRole

pytestmark = pytest.mark.integration
WAIT = 15


def _ensure_folders(server: Any, *names: str) -> None:
    client = other_client(server)
    try:
        existing = {name for _flags, _delim, name in client.list_folders()}
        for name in names:
            if name not in existing:
                client.create_folder(name)
    finally:
        client.logout()


def test_folders_roles_and_counts(
    imap_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ensure_folders(imap_server, "Sent", "Trash", "Drafts", "Lists/Pythön")
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, log):
        folders = service.submit(ListFolders("test")).result(WAIT)
        by_name = {f.name: f for f in folders}
        assert by_name["INBOX"].role == FolderRole.INBOX
        assert by_name["Sent"].role == FolderRole.SENT
        assert by_name["Trash"].role == FolderRole.TRASH
        assert "Lists/Pythön" in by_name  # modified UTF-7 decoded
        assert by_name["Lists/Pythön"].parts == ("Lists", "Pythön")
        state = server_state(imap_server, "INBOX")
        assert by_name["INBOX"].total == len(state)
        assert by_name["INBOX"].unread == sum("\\Seen" not in f for f in state.values())
        assert log.of(FoldersChanged)[-1].folders == tuple(folders)
        assert [f.name for f in service.cached_folders("test")] == [f.name for f in folders]


def test_body_flags_copy_move_delete_append_search(
    imap_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ensure_folders(imap_server, "Trash", "Archive")
    client = other_client(imap_server)
    client.append("INBOX", make_message(1, "findme =?utf-8?q?Gr=C3=BC=C3=9Fe?="))
    client.logout()
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, log):
        service.submit(ListFolders("test")).result(WAIT)
        service.submit(SyncFolder("test", "INBOX")).result(WAIT)
        uids = sorted(server_state(imap_server, "INBOX"))
        first, second, last = uids[0], uids[1], uids[-1]

        raw = service.submit(FetchBody("test", "INBOX", last)).result(WAIT)
        assert b"Body of message 1." in raw
        assert "\\Seen" not in server_state(imap_server, "INBOX")[last]  # PEEK: still unread

        service.submit(SetFlags("test", "INBOX", (first, second), ("\\Seen", "\\Flagged"))).result(
            WAIT
        )
        assert {"\\Seen", "\\Flagged"} <= server_state(imap_server, "INBOX")[first]
        assert log.of(FlagsChanged)[-1].flags[first] >= {"\\Seen", "\\Flagged"}
        service.submit(SetFlags("test", "INBOX", (first,), ("\\Flagged",), add=False)).result(WAIT)
        assert "\\Flagged" not in server_state(imap_server, "INBOX")[first]

        assert service.submit(ServerSearch("test", "INBOX", ("SUBJECT", "findme"))).result(
            WAIT
        ) == [last]
        evil = service.submit(ServerSearch("test", "INBOX", ("SUBJECT", "x\r\nA1 LOGOUT"))).result(
            WAIT
        )
        assert evil == []
        with pytest.raises(ServerError):
            service.submit(ServerSearch("test", "INBOX", ("NOSUCHKEY",))).result(WAIT)

        copied = service.submit(CopyMessages("test", "INBOX", (first,), "Archive")).result(WAIT)
        archive = server_state(imap_server, "Archive")
        assert set(copied) == {first} and copied[first] in archive

        moved = service.submit(MoveMessages("test", "INBOX", (second,), "Archive")).result(WAIT)
        assert set(moved) == {second} and moved[second] in server_state(imap_server, "Archive")
        assert second not in server_state(imap_server, "INBOX")
        assert log.of(MessagesRemoved)[-1].uids == (second,)

        deleted = service.submit(DeleteMessages("test", "INBOX", (first,))).result(WAIT)
        assert deleted.trash == "Trash" and deleted.uid_map[first] in server_state(
            imap_server, "Trash"
        )
        trashed = deleted.uid_map[first]
        gone = service.submit(DeleteMessages("test", "Trash", (trashed,))).result(WAIT)
        assert gone.trash is None and trashed not in server_state(imap_server, "Trash")

        new_uid = service.submit(
            AppendMessage("test", "Archive", make_message(9), ("\\Seen",))
        ).result(WAIT)
        assert new_uid is not None and "\\Seen" in server_state(imap_server, "Archive")[new_uid]


def test_expunge_in_trash_spares_other_deleted_messages(
    imap_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ensure_folders(imap_server, "Trash")
    client = other_client(imap_server)
    for index in range(3):
        client.append("Trash", make_message(index))
    client.select_folder("Trash")
    keep, delete, _other = sorted(client.search("ALL"))[-3:]
    client.add_flags([keep], ["\\Deleted"])  # marked by someone else, not to be expunged by us
    client.logout()
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, _log):
        service.submit(ListFolders("test")).result(WAIT)
        service.submit(DeleteMessages("test", "Trash", (delete,))).result(WAIT)
    state = server_state(imap_server, "Trash")
    assert delete not in state
    assert keep in state and "\\Deleted" in state[keep]


def test_sync_all_refreshes_folders_and_open_folders(imap_server: Any, tmp_path: Path) -> None:
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, log):
        service.submit(SyncFolder("test", "INBOX")).result(WAIT)
        client = other_client(imap_server)
        client.append("INBOX", make_message(5, "while away"))
        client.logout()
        assert service.submit(SyncAll("test")).result(WAIT) is None
        assert log.of(FoldersChanged)
        assert any(s.subject == "while away 5" for e in log.of(MessagesAdded) for s in e.summaries)


def test_create_rename_delete_folder(
    imap_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, log):
        service.submit(CreateFolder("test", "Projekte")).result(WAIT)
        assert "Projekte" in {f.name for f in service.cached_folders("test")}
        service.submit(RenameFolder("test", "Projekte", "Projekte-alt")).result(WAIT)
        names = {f.name for f in log.of(FoldersChanged)[-1].folders}
        assert "Projekte-alt" in names and "Projekte" not in names
        service.submit(DeleteFolder("test", "Projekte-alt")).result(WAIT)
        assert "Projekte-alt" not in {f.name for f in service.cached_folders("test")}


def test_fetched_body_is_cached_and_indexed_for_local_search(
    imap_server: Any, tmp_path: Path
) -> None:
    client = other_client(imap_server)
    client.append("INBOX", b"Subject: indexed\r\nFrom: a@example.org\r\n\r\nA zebracorn body.\r\n")
    client.logout()
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, _log):
        service.submit(SyncFolder("test", "INBOX")).result(WAIT)
        uid = max(server_state(imap_server, "INBOX"))
        raw = service.submit(FetchBody("test", "INBOX", uid)).result(WAIT)
        assert b"zebracorn" in raw
        service.submit(ListFolders("test")).result(WAIT)  # jobs run in order: indexing is done
        cache = MailCache.open(cache_file(tmp_path / "cache", "test"), "test")
        try:
            assert cache.body("INBOX", uid) == raw
            assert text_hits(cache, "INBOX", "zebracorn") == [uid]
        finally:
            cache.close()
