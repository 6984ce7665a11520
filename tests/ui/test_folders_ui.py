"""Folder keys from the user's side, on Dovecot and pymap (issue 18 item 3).

Create, rename and delete a folder from the tree; subscribe/unsubscribe; mark a
folder all read (and undo it); empty Trash (it says how many first); expunge
what another program marked deleted; Mark as junk / Not junk with their
keywords. Every outcome is read back with a second, independent connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import other_client
from tests.ui.daily_helpers import toasts
from tests.ui.helpers import imap_server_folder, on_server, opened, real_app, settle, wait_until
from tui_mail.models import FolderRole
from tui_mail.ui.daily.name_dialog import AskLineScreen
from tui_mail.ui.screens.dialogs import ConfirmScreen

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(tmp_path / "state"))


def server_folders(imap_server: Any, subscribed: bool = False) -> set[str]:
    client = other_client(imap_server)
    try:
        listed = client.list_sub_folders() if subscribed else client.list_folders()
        return {str(name) for _flags, _delimiter, name in listed}
    finally:
        client.logout()


def rows(screen: Any) -> list[Any]:
    """The rows the message list shows now."""
    found = (screen.message_list.rows.row(i) for i in range(len(screen.message_list.rows)))
    return [row for row in found if row is not None]


async def answer_line(pilot: Any, app: Any, text: str) -> None:
    """Replace what the one-line dialog holds with ``text`` and press Enter."""
    await wait_until(pilot, lambda: isinstance(app.screen, AskLineScreen))
    await pilot.press("end", *["backspace"] * 40, *text, "enter")


async def confirm(pilot: Any, app: Any) -> str:
    """Say yes to the question on screen; return the question."""
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    question = str(app.screen.message)
    await pilot.press("y")
    return question


async def test_create_rename_delete_a_folder_from_the_tree(
    imap_server: Any, tmp_path: Path
) -> None:
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        await pilot.press("shift+tab")  # the folder tree
        assert screen.folder_tree.has_focus
        await pilot.press("plus")
        await answer_line(pilot, app, "Projekte")
        await wait_until(pilot, lambda: "Projekte" in screen.folder_tree.folders["test"])
        assert "Projekte" in server_folders(imap_server)
        assert "Projekte" in server_folders(imap_server, subscribed=True)

        screen.folder_tree.select_folder("test", "Projekte")  # the tree's cursor on it
        await pilot.press("f2")
        await answer_line(pilot, app, "Projekte-2026")
        await wait_until(pilot, lambda: "Projekte-2026" in screen.folder_tree.folders["test"])
        assert "Projekte" not in screen.folder_tree.folders["test"]
        assert {"Projekte-2026"} <= server_folders(imap_server) - {"Projekte"}

        screen.folder_tree.select_folder("test", "Projekte-2026")
        await pilot.press("f8")
        question = await confirm(pilot, app)
        assert "Projekte-2026" in question and "0 messages" in question
        await wait_until(pilot, lambda: "Projekte-2026" not in screen.folder_tree.folders["test"])
        assert "Projekte-2026" not in server_folders(imap_server)

        # A refusal (the name is taken) changes nothing and says why.
        before = set(screen.folder_tree.folders["test"])
        await pilot.press("plus")
        await answer_line(pilot, app, "Archive")
        await wait_until(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        await settle(pilot, app)
        assert set(screen.folder_tree.folders["test"]) == before


async def test_unsubscribe_then_subscribe(imap_server: Any, tmp_path: Path) -> None:
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        client = other_client(imap_server)
        listed = imap_server_folder(client, "Lists/python")  # Dovecot keeps role folders subscribed
        client.subscribe_folder(listed)
        client.logout()
        await pilot.press("shift+tab")
        screen.folder_tree.select_folder("test", listed)
        await pilot.press("f10")
        await wait_until(pilot, lambda: any("Unsubscribed from" in t for t in toasts(app)))
        assert listed not in server_folders(imap_server, subscribed=True)
        await pilot.press("f9")
        await wait_until(pilot, lambda: any("Subscribed to" in t for t in toasts(app)))
        assert listed in server_folders(imap_server, subscribed=True)


async def test_mark_all_read_then_undo(imap_server: Any, tmp_path: Path) -> None:
    def unread() -> set[str]:
        return {m for m, f in on_server(imap_server, "INBOX").items() if "\\Seen" not in f}

    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        before = unread()  # the message shown first is read already
        assert len(before) > 1
        await pilot.press("M")
        await wait_until(pilot, lambda: unread() == set())
        await wait_until(
            pilot,
            lambda: any(f"Marked {len(before)} messages read in INBOX" in t for t in toasts(app)),
        )
        await wait_until(pilot, lambda: not any(r.summary.unread for r in rows(screen)))
        await pilot.press("u")
        await wait_until(pilot, lambda: unread() == before)


async def test_empty_trash_says_how_many_and_leaves_the_rest(
    imap_server: Any, tmp_path: Path
) -> None:
    in_trash = imap_server.seeded["Trash"]
    inbox_before = on_server(imap_server, "INBOX")
    assert in_trash > 0
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot, app, imap_server)
        await pilot.press("E")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")  # no: nothing goes
        await settle(pilot, app)
        assert len(on_server(imap_server, "Trash")) == in_trash
        await pilot.press("E")
        question = await confirm(pilot, app)
        assert f"{in_trash} messages" in question and "Trash" in question
        await wait_until(pilot, lambda: on_server(imap_server, "Trash") == {})
        await wait_until(pilot, lambda: any("for good" in t for t in toasts(app)))
    assert set(on_server(imap_server, "INBOX")) == set(inbox_before)  # all still there


async def test_expunge_removes_only_what_is_marked_deleted(
    imap_server: Any, tmp_path: Path
) -> None:
    client = other_client(imap_server)
    archive = imap_server_folder(client, "Archive")
    client.select_folder(archive)
    uids = client.search("ALL")
    client.add_flags(uids[:1], ["\\Deleted"])
    client.logout()
    kept = len(uids) - 1
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        screen.open_folder("test", "Archive")
        await wait_until(pilot, lambda: screen.folder == "Archive")
        await pilot.press("X")
        question = await confirm(pilot, app)
        assert "1 message marked deleted" in question
        await wait_until(pilot, lambda: len(on_server(imap_server, "Archive")) == kept)
    assert all("\\Deleted" not in f for f in on_server(imap_server, "Archive").values())


async def test_junk_and_not_junk_move_with_keywords(imap_server: Any, tmp_path: Path) -> None:
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        junk = screen.folder_tree.folder_by_role("test", FolderRole.JUNK)
        assert junk is not None
        await wait_until(pilot, lambda: screen.preview.body is not None)
        message_id = screen.message_list.current.summary.message_id
        await pilot.press("J")
        await wait_until(pilot, lambda: message_id in on_server(imap_server, "Junk"))
        keeps_keywords = imap_server.kind == "dovecot"  # pymap's PERMANENTFLAGS has no \*
        assert ("$Junk" in on_server(imap_server, "Junk")[message_id]) is keeps_keywords
        assert message_id not in on_server(imap_server, "INBOX")
        screen.open_folder("test", junk.name)
        await wait_until(
            pilot, lambda: any(r.summary.message_id == message_id for r in rows(screen))
        )
        await settle(pilot, app)
        while screen.message_list.current.summary.message_id != message_id:
            await pilot.press("j")
        await pilot.press("K")
        await wait_until(pilot, lambda: message_id in on_server(imap_server, "INBOX"))
        flags = on_server(imap_server, "INBOX")[message_id]
        assert ("$NotJunk" in flags) is keeps_keywords and "$Junk" not in flags
        assert message_id not in on_server(imap_server, "Junk")
