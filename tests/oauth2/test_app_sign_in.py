"""In the app: an OAuth2 account that needs sign-in shows it and signs in from the dialog.

The real app (TuiMailApp + MailServiceImpl) on the OAuth2 test bed; the test is
the user who presses "Sign in" and approves the device code the dialog shows.
Nothing stored yet -> "needs sign-in" in the status bar -> the dialog (not the
password prompt) -> signed in -> online, folders listed.
"""

from __future__ import annotations

import pytest

from tests.integration.backend_helpers import FAST
from tests.oauth2.dialog_helpers import approve_in_dialog, sign_in_dialog
from tests.ui.helpers import wait_until
from tui_mail.app import TuiMailApp
from tui_mail.backend import AccountState, MailServiceImpl
from tui_mail.config import load_config

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
        dialog = await sign_in_dialog(pilot, app)
        status = app.main_screen.status
        assert status.line.state is AccountState.AUTH_FAILED
        assert "needs sign-in" in str(status.render())
        await approve_in_dialog(pilot, app, dialog, oauth_bed, transcript)
        await wait_until(pilot, lambda: status.line.state is AccountState.ONLINE, 20)
        transcript.append(str(status.render()))
