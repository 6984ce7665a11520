"""Each password source, for real: a shell command, an environment variable, a keyring."""

from __future__ import annotations

import sys
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from tui_mail import secrets
from tui_mail.config import parse_config
from tui_mail.errors import AuthError

BASE = """
[accounts.acct]
email = "alice@example.org"
[accounts.acct.imap]
host = "127.0.0.1"
security = "none"
{imap}
[accounts.acct.smtp]
host = "127.0.0.1"
security = "none"
{smtp}
"""


def account(imap: str = "", smtp: str = ""):
    return parse_config(BASE.format(imap=imap, smtp=smtp), Path("c.toml")).account("acct")


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    """A real keyring backend storing to a file in tmp_path (keyrings.alt)."""
    ring = PlaintextKeyring()
    monkeypatch.setattr(PlaintextKeyring, "file_path", str(tmp_path / "keyring.cfg"), raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def null_keyring():
    from keyring.backends.null import Keyring

    previous = keyring.get_keyring()
    keyring.set_keyring(Keyring())
    yield
    keyring.set_keyring(previous)


def test_password_command_first_line_of_stdout():
    acct = account(imap="password_command = \"printf 's3cret\\\\nsecond line'\"")
    assert secrets.get_password(acct, "imap") == "s3cret"
    # smtp inherits the imap source
    assert secrets.get_password(acct, "smtp") == "s3cret"


def test_password_command_failure_shows_its_stderr():
    acct = account(imap="password_command = \"echo 'gpg: decryption failed' >&2; exit 3\"")
    with pytest.raises(AuthError) as info:
        secrets.get_password(acct, "imap")
    assert "exit 3" in info.value.summary
    assert "gpg: decryption failed" in info.value.details


def test_password_command_timeout():
    with pytest.raises(AuthError, match="timed out"):
        secrets.run_password_command(
            f"{sys.executable} -c 'import time; time.sleep(5)'", timeout=0.5
        )


def test_password_command_printing_nothing():
    with pytest.raises(AuthError, match="printed nothing"):
        secrets.run_password_command("true")


def test_password_env(monkeypatch):
    acct = account(
        imap='password_env = "TUI_MAIL_TEST_PW"', smtp='password_env = "TUI_MAIL_TEST_SMTP_PW"'
    )
    monkeypatch.setenv("TUI_MAIL_TEST_PW", "from-env")
    monkeypatch.setenv("TUI_MAIL_TEST_SMTP_PW", "smtp-env")
    assert secrets.get_password(acct, "imap") == "from-env"
    assert secrets.get_password(acct, "smtp") == "smtp-env"
    monkeypatch.delenv("TUI_MAIL_TEST_PW")
    with pytest.raises(AuthError, match="TUI_MAIL_TEST_PW is not set"):
        secrets.get_password(acct, "imap")


def test_keyring_file_backend_and_smtp_fallback(file_keyring):
    acct = account()
    assert secrets.get_password(acct, "imap") is None
    secrets.store_password("acct", "imap", "kr-pass")
    assert keyring.get_password("tui-mail", "acct/imap") == "kr-pass"
    assert secrets.get_password(acct, "imap") == "kr-pass"
    assert secrets.get_password(acct, "smtp") == "kr-pass"  # falls back to imap
    secrets.store_password("acct", "smtp", "kr-smtp")
    assert secrets.get_password(acct, "smtp") == "kr-smtp"
    assert secrets.keyring_status().available


def test_no_keyring_backend_falls_through_to_asking(null_keyring):
    acct = account()
    assert secrets.get_password(acct, "imap") is None
    status = secrets.keyring_status()
    assert not status.available and "password_command" in status.note
