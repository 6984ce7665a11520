"""New-mail options (issue 21 items 3-4): folder polling, notify folders, notification."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import Config, parse_config
from tui_mail.errors import ConfigError

TEMPLATE = """
[general]
{general}
[accounts.personal]
email = "alice@example.org"
{account}
[accounts.personal.imap]
host = "imap.example.org"
"""


def config(general: str = "", account: str = "") -> Config:
    return parse_config(TEMPLATE.format(general=general, account=account), Path("config.toml"))


def error_of(general: str = "", account: str = "") -> str:
    with pytest.raises(ConfigError) as info:
        config(general, account)
    return str(info.value)


def test_defaults_poll_other_folders_every_120s_and_announce_inbox_with_notify_send():
    loaded = config()
    assert loaded.account().folder_poll_interval == 120.0
    assert loaded.account().notify_folders == ("INBOX",)
    assert loaded.general.new_mail_notify is True
    assert loaded.general.new_mail_bell is False
    assert loaded.general.new_mail_command == ()


def test_options_are_read():
    loaded = config(
        'new_mail_bell = true\nnew_mail_notify = false\nnew_mail_command = ["notify", "{from}"]',
        'folder_poll_interval = 30\nnotify_folders = ["INBOX", "Lists/python"]',
    )
    assert loaded.general.new_mail_bell is True
    assert loaded.general.new_mail_notify is False
    assert loaded.general.new_mail_command == ("notify", "{from}")
    assert loaded.account().folder_poll_interval == 30.0
    assert loaded.account().notify_folders == ("INBOX", "Lists/python")


def test_a_command_string_is_split_into_words_as_a_shell_would_but_never_run_by_one():
    loaded = config("new_mail_command = \"my-notifier --title 'New mail' {subject}\"")
    assert loaded.general.new_mail_command == ("my-notifier", "--title", "New mail", "{subject}")


def test_bad_values_name_the_key():
    assert "general.new_mail_command" in error_of("new_mail_command = \"a 'unclosed\"")
    assert "general.new_mail_command" in error_of("new_mail_command = [1, 2]")
    assert "accounts.personal.notify_folders" in error_of(account='notify_folders = "INBOX"')
    assert "accounts.personal.notify_folders" in error_of(account='notify_folders = [""]')
    assert "accounts.personal.folder_poll_interval" in error_of(account="folder_poll_interval = 0")
    assert "general.new_mail_bell" in error_of("new_mail_bell = 1")
