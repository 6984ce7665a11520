"""SVG snapshots of the reader (baselines in ``screenshots/test_snapshots/``).

Deterministic: the test double holds seeded mail, the list's clock is fixed
(``NOW``), and every run waits until workers are done. Update the baselines
with ``pytest tests/ui/test_snapshots.py --snapshot-update`` and look at them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui.service_double import CacheBackedService, make_summary
from tests.ui.test_actions import settle
from tui_mail.backend.api import AccountState, AccountStateChanged
from tui_mail.models import FLAGGED, SEEN, Address
from tui_mail.ui.bridge import BackendMessage

PEOPLE = [
    Address("Ada Lovelace", "ada@example.org"),
    Address("Grace Hopper", "grace@example.org"),
    Address("", "linus@example.org"),
    Address("Margaret Hamilton", "margaret@example.org"),
]
SUBJECTS = ["Quarterly report", "Lunch on Friday?", "Build is green again", "Release notes draft"]

ATTACHMENT_MESSAGE = (
    b"From: Ada Lovelace <ada@example.org>\r\nTo: Me <me@example.org>\r\n"
    b"Subject: Slides and notes\r\nMessage-ID: <att@example.org>\r\n"
    b"Date: Sat, 14 Mar 2026 14:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
    b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere are the slides and my notes.\r\n"
    b"--XX\r\nContent-Type: application/pdf\r\n"
    b'Content-Disposition: attachment; filename="slides.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    b"JVBERi0xLjQK\r\n--XX--\r\n"
)


def seeded(double: CacheBackedService) -> None:
    """Twenty messages from four people, some read or flagged, plus one with an attachment."""
    summaries = [
        make_summary(
            uid,
            from_=(PEOPLE[uid % 4],),
            subject=SUBJECTS[uid % 4] + ("" if uid < 5 else f" #{uid}"),
            flags=frozenset({SEEN} if uid % 3 else set())
            | (frozenset({FLAGGED}) if uid % 7 == 0 else frozenset()),
        )
        for uid in range(180, 200)
    ]
    double.add("INBOX", summaries)
    attachment = make_summary(
        200,
        from_=(PEOPLE[0],),
        subject="Slides and notes",
        has_attachment=True,
        message_id="<att@example.org>",
    )
    double.add("INBOX", [attachment], {200: ATTACHMENT_MESSAGE})


def threaded(double: CacheBackedService) -> None:
    """Two threads and a lone message."""
    seeded(double)
    double.add(
        "INBOX",
        [
            make_summary(201, subject="Plans", message_id="<p1@x>", from_=(PEOPLE[0],)),
            make_summary(
                202,
                subject="Re: Plans",
                message_id="<p2@x>",
                in_reply_to="<p1@x>",
                references=("<p1@x>",),
                from_=(PEOPLE[1],),
            ),
            make_summary(
                203,
                subject="Re: Plans",
                message_id="<p3@x>",
                in_reply_to="<p2@x>",
                references=("<p1@x>", "<p2@x>"),
                from_=(PEOPLE[3],),
            ),
            make_summary(
                204,
                subject="Re: Plans",
                message_id="<p4@x>",
                in_reply_to="<p1@x>",
                references=("<p1@x>",),
                from_=(PEOPLE[2],),
            ),
        ],
    )


async def ready(pilot: Any) -> None:
    await settle(pilot, pilot.app)
    pilot.app.clear_notifications()
    await pilot.pause()


def test_main_view(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    assert snap_compare(app_factory(seeded), terminal_size=(160, 45), run_before=ready)


def test_main_view_small_terminal(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    assert snap_compare(app_factory(seeded), terminal_size=(80, 24), run_before=ready)


def test_threaded_view(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("T")
        await ready(pilot)

    assert snap_compare(app_factory(threaded), terminal_size=(160, 45), run_before=run_before)


def test_message_with_attachment(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("enter")
        await ready(pilot)

    assert snap_compare(app_factory(seeded), terminal_size=(160, 45), run_before=run_before)


def test_help_screen(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app_factory(seeded), terminal_size=(160, 45), run_before=run_before)


def test_offline_error_state(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await ready(pilot)
        event = AccountStateChanged(
            "test", AccountState.OFFLINE, "Connection refused by 127.0.0.1:1143"
        )
        pilot.app.post_message(BackendMessage(event))
        await pilot.pause(0.2)

    assert snap_compare(app_factory(seeded), terminal_size=(160, 45), run_before=run_before)
