"""The setup screen as a new user meets it: the cursor, what discovery proposes, Escape.

Discovery is the backend's real ``discover_account``, with its resolver and
autoconfig base pointed at a closed port on 127.0.0.1: no lookup can leave the
machine, so what is proposed here comes from the bundled provider table alone,
as it would offline.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from tests.ui.helpers import wait_until
from tests.ui.setup_helpers import offline_discover
from tui_mail.ui.screens.setup import SetupScreen
from tui_mail.ui.setup.app import SetupApp
from tui_mail.ui.setup.fields import NOT_VERIFIED


def setup_app(tmp_path: Path) -> SetupApp:
    return SetupApp(tmp_path / "cfg" / "config.toml", discover=offline_discover())


def field(app: SetupApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Input).value)


async def test_the_cursor_starts_in_the_email_field(tmp_path: Path) -> None:
    app = setup_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        assert app.focused is not None and app.focused.id == "email"
        assert not app.screen.query_one("#setup-proposal").has_class("shown")


@pytest.mark.parametrize(
    ("email", "incoming", "smtp", "signin"),
    [
        ("jo@gmail.com", "imap.gmail.com", "smtp.gmail.com", "google"),
        ("jo@outlook.com", "outlook.office365.com", "smtp.office365.com", "microsoft"),
        ("jo@fastmail.com", "imap.fastmail.com", "smtp.fastmail.com", "app-password"),
    ],
)
async def test_an_address_proposes_its_provider_within_a_second(
    tmp_path: Path, email: str, incoming: str, smtp: str, signin: str
) -> None:
    app = setup_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        await pilot.press(*email)
        started = time.monotonic()
        await pilot.press("enter")
        await wait_until(pilot, lambda: field(app, "#incoming-host") != "", 5)
        took = time.monotonic() - started
        assert took < 1.0, f"proposal took {took:.2f} s"
        screen = app.screen
        assert field(app, "#incoming-host") == incoming
        assert field(app, "#smtp-host") == smtp
        assert field(app, "#incoming-user") == email
        assert screen.query_one("#signin", Select).value == signin
        assert screen.query_one("#setup-proposal").has_class("shown")
        # The bundled table is a fact, not a guess: nothing says "not verified".
        assert NOT_VERIFIED not in str(screen.query_one("#incoming-found", Static).render())
        hint = str(screen.query_one("#signin-hint", Static).render())
        if signin == "app-password":
            assert "app password" in hint.lower()
        else:
            assert "browser" in hint
            assert screen.query_one("#oauth-row").has_class("shown")
        assert app.focused is not None and app.focused.id == "display-name"


async def test_every_proposed_field_is_editable(tmp_path: Path) -> None:
    app = setup_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press(*"jo@fastmail.com", "enter")
        await wait_until(pilot, lambda: field(app, "#incoming-host") != "", 5)
        await pilot.click("#incoming-port")
        await pilot.press("end", "backspace", "backspace", "backspace", *"1993")
        await pilot.click("#smtp-user")
        await pilot.press("end", *"x")
        assert field(app, "#incoming-port") == "1993"
        assert field(app, "#smtp-user") == "jo@fastmail.comx"


async def test_an_unknown_domain_offline_lets_the_user_type_the_servers(tmp_path: Path) -> None:
    app = setup_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press(*"jo@nowhere.invalid", "enter")
        await wait_until(
            pilot, lambda: app.screen.query_one("#setup-proposal").has_class("shown"), 6
        )
        status = app.screen.query_one("#setup-status", Static)
        assert status.has_class("problem") and "by hand" in str(status.render())
        assert app.focused is not None and app.focused.id == "incoming-host"


async def test_a_bad_address_is_refused_and_the_screen_stays(tmp_path: Path) -> None:
    app = setup_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press(*"not-an-address", "enter")
        await pilot.pause()
        assert "whole address" in str(app.screen.query_one("#setup-status", Static).render())
        assert isinstance(app.screen, SetupScreen)


async def test_escape_on_the_first_screen_writes_nothing(tmp_path: Path) -> None:
    app = setup_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press(*"jo@gmail.com", "enter")
        await wait_until(pilot, lambda: field(app, "#incoming-host") != "", 5)
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_value is None
    assert not (tmp_path / "cfg").exists()
