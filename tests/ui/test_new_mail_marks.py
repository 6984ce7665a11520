"""New mail as the user sees it (issue 21 items 3-4), on real servers.

Another client delivers a message to Archive while the user reads INBOX: the
tree's count for Archive grows and Archive is marked until the user opens it;
new INBOX mail rings the bell when ``new_mail_bell`` is on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.integration.backend_helpers import make_message, other_client
from tests.ui.helpers import imap_server_folder, real_app, settle, wait_until
from tui_mail.ui.widgets.folder_tree import NEW_MAIL_MARK

OPTIONS = {
    "general": {"new_mail_bell": True, "new_mail_notify": False},
    "account_extra": {"folder_poll_interval": 1},  # pymap has no NOTIFY: it is polled
}


def archive_label(screen: Any) -> str:
    return str(screen.folder_tree._folder_nodes[("test", "Archive")].label.plain)


async def test_mail_delivered_to_archive_is_counted_and_marked_until_opened(
    imap_server: Any, tmp_path: Path
) -> None:
    app = real_app(imap_server, tmp_path, **OPTIONS)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.main_screen is not None)
        screen = app.main_screen
        await wait_until(
            pilot, lambda: len(screen.message_list.rows) == imap_server.seeded["INBOX"]
        )
        screen.open_folder("test", "Archive")  # opened once: its next mail is new mail
        await wait_until(pilot, lambda: screen.folder == "Archive")
        await settle(pilot, app)
        screen.open_folder("test", "INBOX")
        await wait_until(pilot, lambda: screen.folder == "INBOX")
        await settle(pilot, app)
        assert NEW_MAIL_MARK not in archive_label(screen)
        before = screen.folder_tree.folders["test"]["Archive"]

        client = other_client(imap_server)
        client.append(imap_server_folder(client, "Archive"), make_message(1, "filed by a rule"))
        await wait_until(pilot, lambda: NEW_MAIL_MARK in archive_label(screen), 10)
        after = screen.folder_tree.folders["test"]["Archive"]
        assert (after.total, after.unread) == (before.total + 1, before.unread + 1)
        assert f" {after.unread}{NEW_MAIL_MARK}" in archive_label(screen)
        assert bells == []  # Archive is not in notify_folders

        client.append("INBOX", make_message(2, "for the inbox"))
        await wait_until(pilot, lambda: bells == [1], 10)
        client.logout()

        screen.open_folder("test", "Archive")
        await wait_until(pilot, lambda: screen.folder == "Archive")
        await wait_until(pilot, lambda: NEW_MAIL_MARK not in archive_label(screen))
