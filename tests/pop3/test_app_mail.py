"""Searching and answering a POP3 account's mail in the app (issue 16 must-show), with Pilot.

On Dovecot's POP3 and aiosmtpd: a word found only in a body is found (every
body is local); a reply threads, goes out once, is filed in the local Sent and
marks the original answered; emptying Trash deletes for good. What reached the
SMTP server is parsed back; the local store is read with a separate ``MailCache``.
"""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from tests.pop3.app_helpers import NO_POLL, opened, stored, subjects
from tests.servers.pop3_account import Pop3Account, sample_message
from tests.ui.helpers import settle, wait_until
from tui_mail.backend import MailServiceImpl
from tui_mail.config import load_config
from tui_mail.models import ANSWERED, SEEN
from tui_mail.ui.screens.compose import ComposeScreen
from tui_mail.ui.screens.dialogs import ConfirmScreen

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Outbox and local drafts in the test's own folder."""
    state = tmp_path / "state"
    monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(state))
    return state


def app_with_smtp(server: Pop3Account, smtp: Any, tmp_path: Path) -> Any:
    """The app on a POP3 account ``pop`` that sends through ``smtp`` (STARTTLS, AUTH)."""
    from tui_mail.app import TuiMailApp

    path = server.config_toml(tmp_path, security="starttls")
    document = tomlkit.parse(path.read_text())
    server.set_env("TUI_MAIL_TEST_POP3_SMTP", smtp.password)
    document["accounts"]["pop"]["smtp"] = {  # type: ignore[index]
        "host": smtp.host,
        "port": smtp.port,
        "security": "starttls",
        "username": smtp.username,
        "password_env": "TUI_MAIL_TEST_POP3_SMTP",
        "ca_file": str(smtp.ca_file),
    }
    path.write_text(tomlkit.dumps(document))
    config = load_config(path)
    return TuiMailApp(
        config,
        lambda listener: MailServiceImpl(
            config, listener, cache_dir=tmp_path / "cache", options=NO_POLL
        ),
    )


async def test_search_finds_a_word_only_a_body_holds(
    pop3_server: Pop3Account, smtp_server: Any, tmp_path: Path
) -> None:
    pop3_server.deliver(sample_message(9, subject="Zoo news", body="We saw a pangolin today.\n"))
    app = app_with_smtp(pop3_server, smtp_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, 4)
        await pilot.press("slash")
        await wait_until(pilot, lambda: screen.search_bar.display)
        await pilot.press(*"pangolin")
        await wait_until(pilot, lambda: subjects(screen) == ["Zoo news"])
        await pilot.press("enter")  # with the "server" part: nothing more, nothing failed
        await settle(pilot, app)
        assert subjects(screen) == ["Zoo news"]
        assert "failed" not in screen.status.render().plain


async def test_reply_is_sent_once_filed_in_the_local_sent_and_marks_the_original(
    pop3_server: Pop3Account, smtp_server: Any, tmp_path: Path
) -> None:
    app = app_with_smtp(pop3_server, smtp_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, 3)
        await wait_until(pilot, lambda: screen.preview.body is not None)
        original = screen.preview.body
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        for char in "Sounds good.":
            await pilot.press(char if char != " " else "space")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(smtp_server.messages) == 1)
        await wait_until(pilot, lambda: len(stored(tmp_path, "Sent")) == 1)
        await wait_until(
            pilot, lambda: ANSWERED in stored(tmp_path, "INBOX").get(original.subject, ())
        )
    reply = email.message_from_bytes(smtp_server.messages[0].data, policy=email.policy.default)
    assert reply["In-Reply-To"] == original.message_id
    assert reply.get_body(("plain",)).get_content().startswith("Sounds good.")
    [(subject, flags)] = stored(tmp_path, "Sent").items()
    assert subject == reply["Subject"] and SEEN in flags


async def test_deleting_in_trash_deletes_for_good(
    pop3_server: Pop3Account, smtp_server: Any, tmp_path: Path
) -> None:
    app = app_with_smtp(pop3_server, smtp_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, 3)
        await pilot.press("d")
        await wait_until(pilot, lambda: len(stored(tmp_path, "Trash")) == 1)
        await settle(pilot, app)
        screen.open_folder("pop", "Trash")
        await wait_until(pilot, lambda: len(screen.message_list.rows) == 1)
        await settle(pilot, app)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")  # "Delete 1 message(s) for good?" yes
        await wait_until(pilot, lambda: stored(tmp_path, "Trash") == {})
        await settle(pilot, app)
    assert len(stored(tmp_path, "INBOX")) == 2
    app = app_with_smtp(pop3_server, smtp_server, tmp_path)  # a restart fetches again
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot, app, 2)
        await settle(pilot, app)
    assert len(stored(tmp_path, "INBOX")) == 2, "deleted for good: never downloaded again"
