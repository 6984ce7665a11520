"""Setup signs a new OAuth2 account in before it writes the config (issue 15 item 2).

The real setup screen on the OAuth2 test bed (authlib authorization server,
Dovecot's oauth2 passdb over POP3, aiosmtpd with XOAUTH2), all on 127.0.0.1.
Discovery is injected: it proposes the bed's servers with a "generic" OAuth2
provider, whose endpoints (the local server) the screen is given the way the
bed's own configs point at it. The test is the user: address -> proposal with
OAuth2 -> the sign-in dialog shows the device code -> the user approves it at
the server -> the live test passes -> config 0600 with [oauth2] and no token
-> the mailbox opens with its mail and no sign-in dialog. Escape in the
dialog leaves no config and no stored token.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Select

from tests.pop3.app_helpers import app_on, subjects
from tests.ui.helpers import wait_until
from tui_mail.backend import AccountProposal, ServerProposal
from tui_mail.backend.auth.store import TokenStore
from tui_mail.ui.screens.setup import SetupScreen
from tui_mail.ui.screens.sign_in import SignInScreen
from tui_mail.ui.setup.app import SetupApp
from tui_mail.ui.setup.oauth import SetupSignInScreen

pytestmark = pytest.mark.integration


def setup_app(bed: Any, path: Path) -> SetupApp:
    """Setup whose discovery proposes the bed, signing in with its authorization server."""

    def discover(email: str) -> AccountProposal:
        def server(protocol: Any, port: int) -> ServerProposal:
            return ServerProposal(
                protocol, "127.0.0.1", port, "none", bed.user, "xoauth2", True, "test"
            )

        return AccountProposal(
            email,
            server("pop3", bed.dovecot.pop3_port),
            server("smtp", bed.smtp.port),
            "generic",
            "",
            "",
        )

    generic = {**bed.auth.endpoints, "scopes": ["mail"]}
    return SetupApp(path, discover=discover, generic_oauth2=generic)


async def to_the_sign_in(pilot: Any, bed: Any) -> SetupSignInScreen:
    """Address, the proposal (OAuth2 chosen), the client id, Enter: the dialog with its code."""
    app = pilot.app
    await pilot.press(*f"{bed.user}@example.org", "enter")
    screen = app.screen
    await wait_until(pilot, lambda: screen.query_one("#setup-proposal").has_class("shown"), 8)
    assert screen.query_one("#signin", Select).value == "generic"
    assert screen.query_one("#oauth-row").has_class("shown")
    screen.query_one("#client-id", Input).value = bed.auth.client_id
    await pilot.press("enter")  # in #display-name: test and save
    await wait_until(pilot, lambda: isinstance(app.screen, SetupSignInScreen), 15)
    dialog = app.screen
    await wait_until(pilot, lambda: any("enter the code" in p for p in dialog.prompts), 15)
    return dialog


def code_in(dialog: SetupSignInScreen, transcript: list[str]) -> str:
    text = next(p for p in dialog.prompts if "enter the code" in p)
    transcript.append(text)
    shown = str(dialog.query_one("#setup-sign-in-prompt").render())
    assert "enter the code" in shown  # on the screen, as plain text
    found = re.search(r"enter the code (\S+)", text)
    assert found is not None
    return found.group(1)


async def test_setup_signs_in_tests_writes_and_the_mailbox_opens_signed_in(
    pop3_oauth_bed, oauth_env, tmp_path, transcript, monkeypatch
):
    bed = pop3_oauth_bed
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):  # no browser here: the device flow
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "xdg" / "tui-mail" / "config.toml"
    app = setup_app(bed, path)
    async with app.run_test(size=(160, 45)) as pilot:
        dialog = await to_the_sign_in(pilot, bed)
        assert not path.exists()  # nothing written while signing in
        bed.auth.approve(code_in(dialog, transcript))
        await wait_until(
            pilot, lambda: not isinstance(app.screen, (SetupSignInScreen, SetupScreen)), 40
        )
    assert app.return_value == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    transcript.append(text)  # greped for every token and code the server handed out
    assert ".oauth2]" in text and 'provider = "generic"' in text
    assert "refresh_token" not in text and "access_token" not in text
    name = "example"
    assert TokenStore(name).load() is not None  # where the app looks for it

    app2 = app_on(path, tmp_path)
    async with app2.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app2.main_screen is not None, 10)
        screen = app2.main_screen
        await wait_until(pilot, lambda: len(screen.message_list.rows) == 3, 30)
        assert subjects(screen) == [f"POP3 message {n}" for n in (3, 2, 1)]
        assert not any(isinstance(s, SignInScreen) for s in app2.screen_stack)


async def test_escape_in_the_sign_in_leaves_no_config_and_no_token(
    pop3_oauth_bed, oauth_env, tmp_path, transcript, monkeypatch
):
    bed = pop3_oauth_bed
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.toml"
    app = setup_app(bed, path)
    async with app.run_test(size=(160, 45)) as pilot:
        dialog = await to_the_sign_in(pilot, bed)
        code = code_in(dialog, transcript)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, SetupSignInScreen), 10)
        assert "nothing was saved" in str(app.screen.query_one("#setup-status").render())
        bed.auth.approve(code)  # too late: the flow has stopped
        await pilot.pause(1.0)
        await pilot.press("escape")
    assert app.return_value is None
    assert not path.exists()
    assert TokenStore("example").load() is None
    assert not TokenStore("example").file.exists()


async def test_a_failed_live_test_after_the_sign_in_removes_the_token(
    pop3_oauth_bed, oauth_env, tmp_path, transcript, monkeypatch
):
    bed = pop3_oauth_bed
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.toml"
    app = setup_app(bed, path)
    async with app.run_test(size=(160, 45)) as pilot:
        dialog = await to_the_sign_in(pilot, bed)
        bed.auth.bad_access_tokens = True  # signed in, but the servers refuse what it got
        bed.auth.approve(code_in(dialog, transcript))
        await wait_until(pilot, lambda: not isinstance(app.screen, SetupSignInScreen), 20)
        status = app.screen.query_one("#setup-status")
        await wait_until(pilot, lambda: "problem" in str(status.render()), 30)
        assert TokenStore("example").load() is None  # the sign-in's token is gone again
        await pilot.press("escape")
    assert app.return_value is None
    assert not path.exists()
