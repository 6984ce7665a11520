"""SVG snapshots of the reader (baselines in ``screenshots/test_snapshots/``).

Deterministic: the test double holds seeded mail, the list's clock is fixed
(``NOW``), and every run waits until workers are done. Update the baselines
with ``pytest tests/ui/test_snapshots.py --snapshot-update`` and look at them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui.helpers import make_summary, seeded, settle, threaded
from tui_mail.backend.api import AccountState, AccountStateChanged
from tui_mail.models import Address
from tui_mail.ui.bridge import BackendMessage


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


async def opened(pilot: Any) -> None:
    """Ready, then Enter on the newest message, and ready again."""
    await ready(pilot)
    await pilot.press("enter")
    await ready(pilot)


def test_message_with_attachment(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    assert snap_compare(app_factory(seeded), terminal_size=(160, 45), run_before=opened)


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


COLOURED_MESSAGE = (
    b"From: Grace Hopper <grace@example.org>\r\nTo: Me <me@example.org>\r\n"
    b"Subject: Re: [PATCH] parser: keep NIL apart from empty\r\nMessage-ID: <patch@example.org>\r\n"
    b"Date: Sat, 14 Mar 2026 15:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Looks right to me, one nit below.\r\n\r\n"
    b"> Ada wrote the first version,\r\n> > and the NIL case was lost there.\r\n"
    b"> > > Older still: [bold red]not markup[/]\r\n\r\n"
    b"Details in https://example.org/issues/42 .\r\n\r\n"
    b"diff --git a/parser.py b/parser.py\r\nindex 3f1..9a2 100644\r\n"
    b"--- a/parser.py\r\n+++ b/parser.py\r\n@@ -10,3 +10,3 @@ def atom(token):\r\n"
    b"     if token == b'NIL':\r\n-        return b''\r\n+        return None\r\n"
    b"     return token\r\n"
)


def coloured(double: Any) -> None:
    """The seeded mail plus a reply that quotes three levels deep and carries a patch."""
    seeded(double)
    summary = make_summary(
        205, subject="Re: [PATCH] parser: keep NIL apart from empty",
        message_id="<patch@example.org>",
    )
    double.add("INBOX", [summary], {205: COLOURED_MESSAGE})


def test_quote_colours_and_a_patch(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    assert snap_compare(app_factory(coloured), terminal_size=(160, 45), run_before=opened)


def wide_names(double: Any) -> None:
    """The seeded mail plus senders and subjects too long for their columns, some in
    CJK or with emoji (two cells a character)."""
    seeded(double)
    double.add(
        "INBOX",
        [
            make_summary(
                206,
                from_=(Address("山田太郎 (経理部 部長代理)", "yamada@example.jp"),),
                subject="請求書の確認をお願いします: 三月分と四月分の差額について",
            ),
            make_summary(
                207,
                from_=(Address("🎉 Party Planning Committee 🎉", "party@example.org"),),
                subject="🎂 Cake for Friday: chocolate or lemon? Vote by Thursday noon please",
            ),
            make_summary(
                208,
                from_=(Address("Margaret Hamilton-Lovelace", "margaret@example.org"),),
                subject="Apollo guidance computer: the restart protection and priority display",
            ),
        ],
    )


def test_cut_names_and_key_bar_small_terminal(
    app_factory: Callable[..., Any], snap_compare: Any
) -> None:
    """80x24: cut names and subjects end in "…" in aligned columns, the tree's count and the
    status bar's bold part keep their spaces, each key is a reverse block before its label."""
    assert snap_compare(app_factory(wide_names), terminal_size=(80, 24), run_before=ready)


def test_cut_names_and_key_bar(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    """The same at 160x45."""
    assert snap_compare(app_factory(wide_names), terminal_size=(160, 45), run_before=ready)


def test_layout_wide(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    """``[ui] layout = "wide"`` (or auto at 150 columns and more): the list left of the preview."""
    app = app_factory(seeded, extra_config='\n[ui]\nlayout = "wide"\n')
    assert snap_compare(app, terminal_size=(160, 45), run_before=ready)


def test_layout_list(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    """``layout = "list"`` (or auto below 100 columns): the list alone, as mutt's index."""
    app = app_factory(seeded, extra_config='\n[ui]\nlayout = "list"\n')
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


def test_layout_list_pager(app_factory: Callable[..., Any], snap_compare: Any) -> None:
    """The list layout after Enter: the message full screen, as mutt's pager."""
    app = app_factory(seeded, extra_config='\n[ui]\nlayout = "list"\n')
    assert snap_compare(app, terminal_size=(80, 24), run_before=opened)
