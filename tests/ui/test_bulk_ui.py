"""Tags in bulk and unread moves, from the user's side, on Dovecot and pymap (issue 18 item 4).

Tag by query then delete: exactly the messages the server also finds for that
sender move to Trash. Tag the thread then N: the whole thread is read on the
server. n/p go to unread messages, j/k work from the preview, * inverts and
ctrl+u clears the tags.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import other_client
from tests.ui.daily_helpers import toasts
from tests.ui.helpers import on_server, opened, real_app, settle, wait_until
from tui_mail.ui.daily.name_dialog import AskLineScreen
from tui_mail.ui.selection import MessageKey

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(tmp_path / "state"))


def ids_from(imap_server: Any, sender: str) -> set[str]:
    """Message-IDs in INBOX whose From holds ``sender``, as the server's own SEARCH finds them."""
    client = other_client(imap_server)
    try:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["FROM", sender])
        data = client.fetch(uids, ["ENVELOPE"]) if uids else {}
        return {(d[b"ENVELOPE"].message_id or b"").decode() for d in data.values()}
    finally:
        client.logout()


def rows(screen: Any) -> list[Any]:
    found = (screen.message_list.rows.row(i) for i in range(len(screen.message_list.rows)))
    return [row for row in found if row is not None]


async def test_tag_by_query_then_delete_moves_exactly_the_matches(
    imap_server: Any, tmp_path: Path
) -> None:
    expected = ids_from(imap_server, "priya.patel@example.in")
    inbox_before = set(on_server(imap_server, "INBOX"))
    assert 1 < len(expected) < len(inbox_before)
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, AskLineScreen))
        await pilot.press(*"from:priya.patel@example.in", "enter")
        await wait_until(pilot, lambda: any("Tagged" in t for t in toasts(app)))
        tagged = {
            r.summary.message_id
            for r in rows(screen)
            if MessageKey.of(r.summary) in screen.message_list.tagged
        }
        assert tagged == expected
        await pilot.press("d")
        await wait_until(
            pilot, lambda: set(on_server(imap_server, "INBOX")) == inbox_before - expected
        )
        await wait_until(pilot, lambda: expected <= set(on_server(imap_server, "Trash")))
        await settle(pilot, app)
        assert not screen.message_list.tagged


async def test_thread_tags_unread_moves_and_preview_keys(imap_server: Any, tmp_path: Path) -> None:
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        listed = screen.message_list
        # n/p: to the next unread messages (each is read once shown), p finds none above
        unread = [i for i, r in enumerate(rows(screen)) if r.summary.unread and i > listed.cursor]
        await pilot.press("n")
        await wait_until(pilot, lambda: listed.cursor == unread[0])
        await pilot.press("n")
        await wait_until(pilot, lambda: listed.cursor == unread[1])
        await settle(pilot, app)  # both shown, so both read now: nothing unread above
        await pilot.press("p")
        await wait_until(
            pilot, lambda: any("No more unread messages above" in t for t in toasts(app))
        )
        assert listed.cursor == unread[1]
        # j/k with the preview focused
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.preview.has_focus)
        at = listed.cursor
        await pilot.press("j")
        await wait_until(pilot, lambda: listed.cursor == at + 1)
        await pilot.press("k")
        await wait_until(pilot, lambda: listed.cursor == at)
        await pilot.press("escape")
        # invert and untag all
        await pilot.press("asterisk")
        assert len(listed.tagged) == len(rows(screen))
        await pilot.press("ctrl+u")
        assert not listed.tagged
        # the threaded view: tag a thread of several messages, then N reads all of it
        await pilot.press("T")
        await wait_until(pilot, lambda: listed.order.threaded)
        await settle(pilot, app)
        shown = rows(screen)
        start = next(i for i, r in enumerate(shown[:-1]) if r.depth == 0 and shown[i + 1].depth > 0)
        thread = [shown[start]]
        for row in shown[start + 1 :]:
            if row.depth == 0:
                break
            thread.append(row)
        listed.move_cursor(start + 1)  # anywhere in the thread
        await pilot.press("alt+t", "alt+t")  # tag the thread, untag it
        assert not listed.tagged
        await pilot.press("alt+t")
        ids = {r.summary.message_id for r in thread}
        assert {k.uid for k in listed.tagged} == {r.summary.uid for r in thread}
        if all(not r.summary.unread for r in thread):
            await pilot.press("N")  # all read: N marks unread first, then read again
            await settle(pilot, app)
            await pilot.press("alt+t")
        await pilot.press("N")
        await wait_until(
            pilot,
            lambda: all("\\Seen" in on_server(imap_server, "INBOX")[m] for m in ids),
        )
        # alt+z folds every thread (the list gets shorter by the replies), then unfolds all
        replies = sum(1 for r in rows(screen) if r.depth > 0)
        total = len(rows(screen))
        await pilot.press("alt+z")
        await wait_until(pilot, lambda: len(rows(screen)) == total - replies)
        assert all(r.depth == 0 for r in rows(screen))
        await pilot.press("alt+z")
        await wait_until(pilot, lambda: len(rows(screen)) == total)
