"""Optimistic actions and undo, on the cache-backed test double (UI logic only).

The double stores mail in a real ``MailCache`` and answers like the service;
it stands in for the server so these tests can check the list's immediate
change, the rollback on a refusal and the undo bookkeeping quickly. The same
keys against real Dovecot/pymap are in ``test_main_screen.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui.helpers import settle
from tests.ui.service_double import CacheBackedService, make_summary
from tui_mail.errors import ServerError
from tui_mail.models import FLAGGED, SEEN


def fill_inbox(double: CacheBackedService) -> None:
    """Five messages; uid 5 (the newest) is flagged and unread, the rest read."""
    double.add("INBOX", [make_summary(uid, flags=frozenset({SEEN})) for uid in range(1, 5)])
    double.add("INBOX", [make_summary(5, flags=frozenset({FLAGGED}))])


def uids_shown(app: Any) -> list[int]:
    rows = app.main_screen.message_list.rows
    return [rows.row(i).summary.uid for i in range(len(rows))]


async def test_delete_hides_at_once_and_undo_brings_it_back_with_flags(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(fill_inbox, extra_config="")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        double = app.double
        assert uids_shown(app) == [5, 4, 3, 2, 1]
        await pilot.press("d")
        assert uids_shown(app)[0] == 4, "the row goes at once, before the backend answers"
        await settle(pilot, app)
        assert 5 not in double.cache.uids("INBOX")
        trash_uid = double.cache.uids("Trash")[0]
        assert FLAGGED in double.flags_of("Trash", trash_uid)
        await pilot.press("u")
        await settle(pilot, app)
        assert double.cache.uids("Trash") == []
        back = max(double.cache.uids("INBOX"))
        assert back > 5 and FLAGGED in double.flags_of("INBOX", back)
        assert len(uids_shown(app)) == 5


async def test_a_refused_action_rolls_back_with_an_error_toast(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(fill_inbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.double.fail_next = ServerError("Mailbox is read-only", "NO [READ-ONLY]")
        await pilot.press("d")
        await settle(pilot, app)
        assert uids_shown(app) == [5, 4, 3, 2, 1]
        assert any("read-only" in str(n.message) for n in app._notifications)
        assert app.main_screen.actions.undo_stack == [] or all(
            "Deleted" not in step.description for step in app.main_screen.actions.undo_stack
        )


async def test_read_and_flag_toggles_reach_the_store_and_undo(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(fill_inbox, extra_config="")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        double = app.double
        assert double.is_seen("INBOX", 5), "the newest message was shown, so it was marked read"
        await pilot.press("N")
        assert app.main_screen.message_list.current.summary.unread, "shown unread at once"
        await settle(pilot, app)
        assert not double.is_seen("INBOX", 5)
        await pilot.press("F")
        await settle(pilot, app)
        assert FLAGGED not in double.flags_of("INBOX", 5)
        await pilot.press("u")
        await settle(pilot, app)
        assert FLAGGED in double.flags_of("INBOX", 5)
        await pilot.press("u")
        await settle(pilot, app)
        assert double.is_seen("INBOX", 5)


async def test_tagged_messages_are_acted_on_together(app_factory: Callable[..., Any]) -> None:
    app = app_factory(fill_inbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("t", "t", "t")
        assert [key.uid for key in app.main_screen.message_list.selected()] == [5, 4, 3]
        await pilot.press("d")
        assert uids_shown(app) == [2, 1]
        await settle(pilot, app)
        assert app.double.cache.uids("INBOX") == [1, 2]
        assert len(app.double.cache.uids("Trash")) == 3
        await pilot.press("u")
        await settle(pilot, app)
        assert len(app.double.cache.uids("INBOX")) == 5


async def test_archive_moves_to_the_archive_folder_and_undo_returns(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(fill_inbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "a")
        await settle(pilot, app)
        assert 4 not in app.double.cache.uids("INBOX")
        assert len(app.double.cache.uids("Archive")) == 1
        assert any(
            "Archived" in str(n.message) and "u undoes" in str(n.message)
            for n in app._notifications
        )
        await pilot.press("u")
        await settle(pilot, app)
        assert app.double.cache.uids("Archive") == []
        assert len(uids_shown(app)) == 5


async def test_mark_read_delay_reads_only_what_stays_shown(app_factory: Callable[..., Any]) -> None:
    """The delay is long (2 s) so a slow, loaded machine cannot outrun it between steps."""
    app = app_factory(fill_inbox, general="mark_read_delay = 2.0")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        double = app.double
        double.cache.set_flags("INBOX", {4: frozenset()})  # 4 unread too
        assert not double.is_seen("INBOX", 5), "not read before the delay"
        await pilot.pause(2.3)
        await settle(pilot, app)
        assert double.is_seen("INBOX", 5)
        app.main_screen.rebuild_view()
        await settle(pilot, app)
        await pilot.press("j")  # onto 4 (unread) ...
        await pilot.pause(0.2)
        await pilot.press("j")  # ... and away before the delay
        await pilot.pause(2.3)
        await settle(pilot, app)
        assert not double.is_seen("INBOX", 4)


async def test_keys_on_an_empty_folder_do_nothing(app_factory: Callable[..., Any]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert len(app.main_screen.message_list.rows) == 0
        before = list(app.double.commands)
        await pilot.press("d", "a", "N", "F", "t", "j", "G", "enter", "u")
        await settle(pilot, app)
        sent = [type(c).__name__ for c in app.double.commands[len(before) :]]
        assert not {"DeleteMessages", "MoveMessages", "SetFlags"} & set(sent)
        assert app.screen is app.main_screen
