"""In the app: an OAuth2 account that needs sign-in shows it and signs in from the dialog.

The real app (TuiMailApp + MailServiceImpl) on the OAuth2 test bed; the test is
the user who presses "Sign in" and approves the device code the dialog shows.
Nothing stored yet -> "needs sign-in" in the status bar -> the dialog (not the
password prompt) -> signed in -> online, folders listed.
"""

from __future__ import annotations

import re

import pytest

from tests.integration.backend_helpers import FAST
from tests.ui.helpers import wait_until
from tui_mail.app import TuiMailApp
from tui_mail.backend import AccountState, MailServiceImpl
from tui_mail.config import load_config
from tui_mail.ui.screens.password import PasswordScreen
from tui_mail.ui.screens.sign_in import SignInScreen

pytestmark = pytest.mark.integration


async def test_needs_sign_in_then_the_dialog_signs_in(oauth_bed, tmp_path, transcript):
    config = load_config(oauth_bed.config_toml(tmp_path, flow="device"))
    app = TuiMailApp(
        config,
        lambda listener: MailServiceImpl(
            config, listener, cache_dir=tmp_path / "cache", options=FAST
        ),
    )
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, SignInScreen) and app.screen.query("#sign-in-ok"),
            20,
        )
        dialog = app.screen
        assert isinstance(dialog, SignInScreen) and "needs sign-in" in dialog.reason
        assert not any(isinstance(s, PasswordScreen) for s in app.screen_stack)
        status = app.main_screen.status
        assert status.line.state is AccountState.AUTH_FAILED
        assert "needs sign-in" in str(status.render())
        await pilot.pause()  # laid out, so the click lands on the button
        await pilot.click("#sign-in-ok")
        await pilot.pause()
        await wait_until(pilot, lambda: any("enter the code" in p for p in dialog.prompts), 15)
        text = next(p for p in dialog.prompts if "enter the code" in p)
        transcript.append(text)
        oauth_bed.auth.approve(re.search(r"enter the code (\S+)", text).group(1))
        await wait_until(pilot, lambda: not isinstance(app.screen, SignInScreen), 20)
        await wait_until(pilot, lambda: status.line.state is AccountState.ONLINE, 20)
        transcript.append(str(status.render()))
