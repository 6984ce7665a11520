"""The config schema: what a user writes, and the one-line errors they get for mistakes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tui_mail import paths
from tui_mail.config import load_config, parse_config
from tui_mail.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """
[accounts.personal]
email = "alice@example.org"
[accounts.personal.imap]
host = "imap.example.org"
"""


def parse(text: str):
    return parse_config(text, Path("config.toml"))


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return str(info.value)


def test_example_config_parses_with_every_section():
    config = load_config(REPO / "config.example.toml")
    account = config.account()
    assert account.name == "personal"
    assert account.imap.port == 993 and account.imap.security == "tls"
    assert account.smtp is not None and account.smtp.password_command == "pass show mail/example"
    assert account.smtp.username == "alice@example.org"
    assert account.folders.by_role() == {"sent": "Sent"}
    assert (
        account.identities[0].signature_file
        == Path("~/.config/tui-mail/signature.txt").expanduser()
    )
    assert config.keys == {"mail.reply": "r"}


def test_defaults_follow_security():
    config = parse(
        MINIMAL.replace(
            'host = "imap.example.org"', 'host = "imap.example.org"\nsecurity = "starttls"'
        )
        + '[accounts.personal.smtp]\nhost = "smtp.example.org"\nsecurity = "starttls"\n'
    )
    account = config.account("personal")
    assert account.imap.port == 143
    assert account.imap.username == "alice@example.org"
    assert account.smtp is not None and account.smtp.port == 587
    assert account.identities[0].email == "alice@example.org"
    assert config.general.theme == "textual-dark"


def test_unknown_key_is_named_with_its_path():
    text = MINIMAL.replace('host = "imap.example.org"', 'hots = "imap.example.org"')
    assert error_of(text) == "config.toml: accounts.personal.imap.hots: unknown key"


def test_unknown_top_level_and_general_keys():
    assert "general.colour: unknown key" in error_of("[general]\ncolour = 1\n" + MINIMAL)
    assert "bogus: unknown key" in error_of("bogus = 1\n" + MINIMAL)


def test_wrong_types_name_the_key():
    assert "accounts.personal.imap.port: expected an integer, got str" in error_of(
        MINIMAL + 'port = "993"\n'
    )
    assert "expected an integer, got a boolean" in error_of(MINIMAL + "port = true\n")
    assert "folders.save_sent: expected true or false" in error_of(
        MINIMAL + '[accounts.personal.folders]\nsave_sent = "yes"\n'
    )


def test_bad_values():
    assert "security: must be one of tls, starttls, none" in error_of(
        MINIMAL + 'security = "ssl"\n'
    )
    assert "port: 70000 is not a TCP port" in error_of(MINIMAL + "port = 70000\n")
    assert "email: missing or not an address" in error_of(
        MINIMAL.replace("alice@example.org", "alice")
    )
    assert "imap: missing" in error_of('[accounts.x]\nemail = "a@b.c"\n')
    assert "no account configured" in error_of("[general]\n")
    assert "not valid TOML" in error_of("[accounts\n")
    assert "general.default_account: no account named 'work'" in error_of(
        '[general]\ndefault_account = "work"\n' + MINIMAL
    )
    both = MINIMAL + 'password_command = "x"\npassword_env = "Y"\n'
    assert "not both" in error_of(both)


def test_plaintext_to_a_remote_host_is_refused_unless_allowed():
    insecure = MINIMAL + 'security = "none"\n'
    assert 'accounts.personal.imap.security: "none" sends your password in clear' in error_of(
        insecure
    )
    allowed = insecure.replace(
        "[accounts.personal.imap]", "allow_insecure = true\n[accounts.personal.imap]"
    )
    assert parse(allowed).account().imap.security == "none"
    loopback = insecure.replace("imap.example.org", "127.0.0.1")
    assert parse(loopback).account().imap.is_loopback


def test_unknown_account_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown account 'work'"):
        parse(MINIMAL).account("work")


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml")


def test_config_path_order(monkeypatch, tmp_path):
    monkeypatch.delenv("TUI_MAIL_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert paths.config_path() == tmp_path / "xdg" / "tui-mail" / "config.toml"
    monkeypatch.setenv("TUI_MAIL_CONFIG", str(tmp_path / "env.toml"))
    assert paths.config_path() == tmp_path / "env.toml"
    assert paths.config_path(str(tmp_path / "cli.toml")) == tmp_path / "cli.toml"
    monkeypatch.delenv("TUI_MAIL_CONFIG")
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert paths.config_path() == tmp_path / "home" / ".config" / "tui-mail" / "config.toml"


def test_state_dirs_honour_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("TUI_MAIL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert paths.cache_dir() == tmp_path / "cache" / "tui-mail"
    assert paths.account_cache_file("a/b").name == "a_b.sqlite3"


def test_private_files_are_0600(tmp_path):
    target = tmp_path / "sub" / "config.toml"
    paths.write_private_file(target, "x = 1\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text() == "x = 1\n"


def test_index_bodies_is_opened_by_default_and_checked():
    assert parse(MINIMAL).general.index_bodies == "opened"
    assert load_config(REPO / "config.example.toml").general.index_bodies == "opened"
    assert parse('[general]\nindex_bodies = "all"\n' + MINIMAL).general.index_bodies == "all"
    assert error_of('[general]\nindex_bodies = "everything"\n' + MINIMAL) == (
        'config.toml: general.index_bodies: must be "opened" or "all", not \'everything\''
    )
