"""The user's side of the app's sign-in dialog, for the OAuth2 Pilot tests."""

from __future__ import annotations

import re
from typing import Any

from tests.ui.helpers import wait_until
from tui_mail.ui.screens.password import PasswordScreen
from tui_mail.ui.screens.sign_in import SignInScreen


async def sign_in_dialog(pilot: Any, app: Any) -> SignInScreen:
    """Wait for the sign-in dialog saying "needs sign-in" (never the password prompt)."""
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, SignInScreen) and app.screen.query("#sign-in-ok"),
        20,
    )
    dialog = app.screen
    assert isinstance(dialog, SignInScreen) and "needs sign-in" in dialog.reason
    assert not any(isinstance(s, PasswordScreen) for s in app.screen_stack)
    return dialog


async def approve_in_dialog(
    pilot: Any, app: Any, dialog: SignInScreen, bed: Any, transcript: list[str]
) -> None:
    """Press "Sign in", approve the device code the dialog shows, wait until it closes."""
    await pilot.pause()  # laid out, so the click lands on the button
    await pilot.click("#sign-in-ok")
    await pilot.pause()
    await wait_until(pilot, lambda: any("enter the code" in p for p in dialog.prompts), 15)
    text = next(p for p in dialog.prompts if "enter the code" in p)
    transcript.append(text)
    found = re.search(r"enter the code (\S+)", text)
    assert found is not None
    bed.auth.approve(found.group(1))
    await wait_until(pilot, lambda: not isinstance(app.screen, SignInScreen), 20)
