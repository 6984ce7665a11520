"""Mailing lists from the user's side, on Dovecot and pymap (issue 18 item 1).

``L`` writes to List-Post (never To or From), a message from no list says so,
``U`` with RFC 8058 one-click asks first and then POSTs to a real HTTPS server
on 127.0.0.1 (trusting the test CA through the unsubscriber's ``ssl_context``),
``U`` with only a mailto: opens compose prefilled, and the preview names the list.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.https_server import LocalHTTPS, Reply
from tests.servers.tls import CertPair
from tests.ui.daily_helpers import LEAVE_ADDRESS, LIST_ADDRESS, add_to_inbox, list_message, toasts
from tests.ui.helpers import opened, real_app, settle, wait_until
from tui_mail.ui.screens.compose import ComposeScreen
from tui_mail.ui.screens.dialogs import ConfirmScreen

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def https(test_cert: CertPair) -> Iterator[LocalHTTPS]:
    with LocalHTTPS(test_cert, default=Reply(b"ok")) as server:
        yield server


async def shown_list_message(pilot: Any, app: Any, imap_server: Any) -> Any:
    screen = await opened(pilot, app, imap_server)
    await pilot.press("g")
    await wait_until(pilot, lambda: screen.preview.body is not None)
    assert screen.preview.body.subject.startswith("[python]")
    return screen


async def test_L_writes_to_list_post_and_the_preview_names_the_list(
    imap_server: Any, tmp_path: Path
) -> None:
    add_to_inbox(imap_server, list_message())
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await shown_list_message(pilot, app, imap_server)
        await wait_until(pilot, lambda: "List" in screen.preview.text.plain)
        assert "Python users <python-list.lists.example.org>" in screen.preview.text.plain
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        draft = app.screen.current_draft()
        assert [a.email for a in draft.to] == [LIST_ADDRESS] and draft.cc == []
        assert draft.subject == "Re: [python] Packaging in 2026"
        await pilot.press("escape")
        await pilot.press("d")  # discard
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("j")  # a message from no list
        await wait_until(pilot, lambda: not screen.preview.body.subject.startswith("[python]"))
        await pilot.press("L")
        await wait_until(pilot, lambda: any("Not a list message" in t for t in toasts(app)))
        assert app.screen is screen


async def test_U_one_click_asks_then_posts_once(
    imap_server: Any, tmp_path: Path, https: LocalHTTPS, test_cert: CertPair
) -> None:
    add_to_inbox(imap_server, list_message(unsubscribe_url=f"{https.base}/leave?u=42"))
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await shown_list_message(pilot, app, imap_server)
        screen.unsubscriber.ssl_context = test_cert.client_context()
        await pilot.press("U")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert f"{https.base}/leave?u=42" in app.screen.message
        await pilot.press("escape")  # no: nothing is sent
        await settle(pilot, app)
        assert https.requests == []
        await pilot.press("U")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: any("request sent" in t for t in toasts(app)))
        assert any("200" in t for t in toasts(app))
    [seen] = https.requests
    assert (seen.method, seen.path, seen.body) == (
        "POST",
        "/leave?u=42",
        b"List-Unsubscribe=One-Click",
    )


async def test_U_with_only_mailto_opens_compose_prefilled(imap_server: Any, tmp_path: Path) -> None:
    add_to_inbox(imap_server, list_message(one_click=False))
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await shown_list_message(pilot, app, imap_server)
        await pilot.press("U")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        draft = app.screen.current_draft()
        assert [a.email for a in draft.to] == [LEAVE_ADDRESS]
        assert draft.subject == "unsubscribe"
