"""The setup screen's config writer: a new file, a second account with every comment kept."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import pytest

from tui_mail.config import load_config
from tui_mail.config_writer import (
    NewAccount,
    OAuth2Entry,
    ServerEntry,
    account_name_for,
    existing_accounts,
    prepare,
    render_config,
    write_config,
)
from tui_mail.errors import ConfigError

EXISTING = """\
# My mail setup -- hand written, keep this comment
[general]
theme = "nord"   # the dark one

# work first
[accounts.work]
email = "me@work.example"
display_name = "Me"

[accounts.work.imap]
host = "imap.work.example"   # port defaults from security
port = 993

# trailing comment at the end
"""


def _fastmail() -> NewAccount:
    return NewAccount(
        name="fastmail",
        email="jo@fastmail.com",
        display_name="Jo Example",
        incoming=ServerEntry("imap", "imap.fastmail.com", 993, "tls", "jo@fastmail.com"),
        smtp=ServerEntry("smtp", "smtp.fastmail.com", 465, "tls", "jo@fastmail.com"),
    )


def test_a_new_file_is_0600_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    text, config = prepare(_fastmail(), path)
    assert config.account("fastmail").imap_server.host == "imap.fastmail.com"
    write_config(path, text)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_config(path).account()
    assert (loaded.email, loaded.display_name) == ("jo@fastmail.com", "Jo Example")
    assert loaded.smtp is not None and loaded.smtp.port == 465
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left


def test_the_config_directory_setup_creates_is_0700_an_existing_one_is_kept(
    tmp_path: Path,
) -> None:
    made = tmp_path / "home" / ".config" / "tui-mail" / "config.toml"
    write_config(made, prepare(_fastmail(), made)[0])
    assert stat.S_IMODE(made.parent.stat().st_mode) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    write_config(shared / "config.toml", prepare(_fastmail(), shared / "config.toml")[0])
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755  # not the writer's to change


def test_a_second_account_keeps_every_comment_and_the_order(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(EXISTING)
    text, config = prepare(_fastmail(), path)
    assert text.startswith(EXISTING.rstrip("\n"))  # the old text untouched, byte for byte
    for comment in ("keep this comment", "the dark one", "work first", "port defaults", "trailing"):
        assert comment in text
    assert list(config.accounts) == ["work", "fastmail"]
    assert config.general.theme == "nord"


def test_oauth2_and_a_pinned_certificate(tmp_path: Path) -> None:
    pin = "sha256:" + "ab" * 32
    account = NewAccount(
        name="gmail",
        email="jo@gmail.com",
        display_name="",
        incoming=ServerEntry("imap", "imap.gmail.com", 993, auth="xoauth2"),
        smtp=ServerEntry("smtp", "smtp.gmail.com", 465, auth="xoauth2"),
        oauth2=OAuth2Entry("google", "id.apps.googleusercontent.com", "s3"),
    )
    text, config = prepare(account, tmp_path / "c.toml")
    assert '[accounts.gmail.oauth2]\nprovider = "google"' in text
    assert config.account("gmail").oauth2 is not None
    pinned = replace(account, incoming=replace(account.incoming, cert_fingerprint=pin))
    assert f'cert_fingerprint = "{pin}"' in render_config(pinned, None)


def test_an_account_name_taken_or_a_broken_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(EXISTING)
    assert existing_accounts(path) == {"work"}
    assert account_name_for("jo@work.example", existing_accounts(path)) == "work-2"
    assert account_name_for("x@Mail.Example.org") == "mail"
    taken = NewAccount("work", "a@b.c", "", ServerEntry("imap", "h", 993), None)
    with pytest.raises(ConfigError, match="accounts.work: exists already"):
        prepare(taken, path)
    path.write_text("[general\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        prepare(_fastmail(), path)
