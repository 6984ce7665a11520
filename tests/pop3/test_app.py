"""A POP3 account in the app (issue 16 must-show), on Dovecot's POP3, driven with Pilot.

The account's INBOX lists the server's mail newest first; new mail comes with
``$`` and with the poll; a restart shows each message once; with
``leave_on_server = false`` the server is emptied and every message still reads
after a restart; flag, archive, delete and undo work on the local store.
The server's side is read with plain poplib (``Pop3Account.server_uidls``) and
the local store with a separate ``MailCache``, never through the app.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.integration.backend_helpers import FAST
from tests.pop3.app_helpers import opened, pop3_app, stored, subjects
from tests.servers.pop3_account import Pop3Account
from tests.ui.helpers import settle, wait_until
from tui_mail.models import FLAGGED, SEEN

pytestmark = pytest.mark.integration


async def test_inbox_newest_first_new_mail_with_dollar_and_once_after_restart(
    pop3_server: Pop3Account, tmp_path: Path
) -> None:
    app = pop3_app(pop3_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, 3)
        assert subjects(screen) == [f"POP3 message {n}" for n in (3, 2, 1)]
        pop3_server.deliver()
        await pilot.press("dollar_sign")
        await wait_until(pilot, lambda: len(screen.message_list.rows) == 4)
        assert subjects(screen)[0] == "POP3 message 4"
    app = pop3_app(pop3_server, tmp_path)  # a restart: the same store, the same server
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, 4)
        await settle(pilot, app)
        assert sorted(subjects(screen)) == [f"POP3 message {n}" for n in (1, 2, 3, 4)]
    assert len(pop3_server.server_uidls()) == 4  # leave_on_server (the default) kept them


async def test_new_mail_comes_with_the_poll(pop3_server: Pop3Account, tmp_path: Path) -> None:
    app = pop3_app(pop3_server, tmp_path, replace(FAST, poll_interval=1.0))
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, 3)
        pop3_server.deliver()
        await wait_until(pilot, lambda: len(screen.message_list.rows) == 4, timeout=10)
        assert subjects(screen)[0] == "POP3 message 4"


async def test_leave_on_server_false_empties_the_server_and_every_message_still_reads(
    pop3_server: Pop3Account, tmp_path: Path
) -> None:
    app = pop3_app(pop3_server, tmp_path, leave_on_server=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot, app, 3)
        await wait_until(pilot, lambda: pop3_server.server_uidls() == [])
    app = pop3_app(pop3_server, tmp_path, leave_on_server=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, 3)
        for number in (3, 2, 1):
            current = screen.message_list.current.summary
            await wait_until(
                pilot,
                lambda c=current: (
                    screen.preview.key == ("pop", "INBOX", c.uid)  # type: ignore[misc]
                    and screen.preview.body
                ),
            )
            assert f"Body of message {number}." in screen.preview.body.text
            await pilot.press("j")
            await settle(pilot, app)


async def test_flag_archive_delete_and_undo_on_the_local_store(
    pop3_server: Pop3Account, tmp_path: Path
) -> None:
    app = pop3_app(pop3_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, 3)
        await pilot.press("F")  # the newest, shown and so read
        await wait_until(
            pilot, lambda: stored(tmp_path, "INBOX")["POP3 message 3"] >= {FLAGGED, SEEN}
        )
        await settle(pilot, app)
        await pilot.press("a")
        await wait_until(pilot, lambda: "POP3 message 3" in stored(tmp_path, "Archive"))
        assert "POP3 message 3" not in stored(tmp_path, "INBOX")
        assert stored(tmp_path, "Archive")["POP3 message 3"] >= {FLAGGED, SEEN}
        await settle(pilot, app)
        await pilot.press("u")
        await wait_until(pilot, lambda: "POP3 message 3" in stored(tmp_path, "INBOX"))
        assert stored(tmp_path, "Archive") == {}
        await wait_until(pilot, lambda: len(screen.message_list.rows) == 3)
        await settle(pilot, app)

        target = screen.message_list.current.summary.subject
        await pilot.press("d")
        await wait_until(pilot, lambda: target in stored(tmp_path, "Trash"))
        assert target not in stored(tmp_path, "INBOX")
        await settle(pilot, app)
        await pilot.press("u")
        await wait_until(pilot, lambda: target in stored(tmp_path, "INBOX"))
        assert stored(tmp_path, "Trash") == {}
        await wait_until(pilot, lambda: target in subjects(screen))
        assert "offline" not in screen.status.render().plain
    assert len(pop3_server.server_uidls()) == 3  # local actions never touch the server
