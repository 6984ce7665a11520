"""Per-account IDLE options: ``idle``, ``idle_verify_after``, ``poll_interval`` (issue 22)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import load_config, parse_config
from tui_mail.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """
[accounts.personal]
email = "alice@example.org"
{extra}
[accounts.personal.imap]
host = "imap.example.org"
"""


def account(extra: str = ""):
    return parse_config(MINIMAL.format(extra=extra), Path("config.toml")).account()


def error_of(extra: str) -> str:
    with pytest.raises(ConfigError) as info:
        account(extra)
    return str(info.value)


def test_defaults_idle_auto_verify_after_60_poll_every_60():
    chosen = account()
    assert chosen.idle == "auto"
    assert chosen.idle_verify_after == 60.0
    assert chosen.poll_interval == 60.0


def test_options_are_read():
    chosen = account('idle = "poll"\nidle_verify_after = 90\npoll_interval = 2.5')
    assert chosen.idle == "poll"
    assert chosen.idle_verify_after == 90.0 and isinstance(chosen.idle_verify_after, float)
    assert chosen.poll_interval == 2.5


def test_bad_values_name_the_key():
    assert error_of('idle = "push"') == (
        "config.toml: accounts.personal.idle: must be \"auto\" or \"poll\", not 'push'"
    )
    assert "accounts.personal.idle: expected a string, got a boolean" in error_of("idle = true")
    assert "accounts.personal.idle_verify_after: expected an integer or a number, got str" in error_of(
        'idle_verify_after = "60"'
    )
    assert "accounts.personal.idle_verify_after: expected an integer or a number, got a boolean" in error_of(
        "idle_verify_after = true"
    )
    assert "accounts.personal.idle_verify_after: must be" in error_of("idle_verify_after = 0")
    assert "accounts.personal.idle_verify_after: must be" in error_of("idle_verify_after = 5000")
    assert "accounts.personal.poll_interval: must be" in error_of("poll_interval = -1")
    assert "accounts.personal.poll_interval: must be" in error_of("poll_interval = 0.1")


def test_unknown_idle_key_is_named():
    assert error_of("idle_verify = 60") == (
        "config.toml: accounts.personal.idle_verify: unknown key"
    )


def test_example_config_documents_the_idle_keys():
    for name in ("config.example.toml", "tui_mail/config.example.toml"):  # (one is a link)
        text = (REPO / name).read_text()
        for key in ("idle =", "idle_verify_after =", "poll_interval ="):
            assert key in text, f"{name} does not show {key}"
        chosen = load_config(REPO / name).account()
        assert chosen.idle == "auto" and chosen.idle_verify_after == 60.0
    readme = (REPO / "README.md").read_text()
    assert "idle_verify_after" in readme and "poll_interval" in readme
