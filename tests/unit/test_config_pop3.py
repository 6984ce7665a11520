"""``[accounts.X.pop3]`` (issue 16 item 1): defaults, and one-line errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail import secrets
from tui_mail.config import parse_config
from tui_mail.errors import ConfigError

BASE = """
[accounts.old]
email = "bob@example.org"
[accounts.old.pop3]
host = "pop.example.org"
"""


def parse(text: str):
    return parse_config(text, Path("config.toml"))


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return info.value


def test_defaults():
    account = parse(BASE).account()
    assert account.imap is None and account.pop3 is not None
    pop3 = account.pop3
    assert (pop3.host, pop3.port, pop3.security) == ("pop.example.org", 995, "tls")
    assert pop3.username == "bob@example.org"
    assert pop3.leave_on_server is True
    assert pop3.delete_after_days == 0 and pop3.poll_interval == 300.0
    assert pop3.ca_file is None and pop3.password_command == pop3.password_env == ""
    assert account.incoming is pop3


@pytest.mark.parametrize(("security", "port"), [("tls", 995), ("starttls", 110)])
def test_port_follows_security(security: str, port: int):
    pop3 = parse(BASE + f'security = "{security}"\n').account().pop3
    assert pop3 is not None and pop3.port == port


def test_plain_pop3_on_loopback_defaults_to_110():
    text = BASE.replace("pop.example.org", "127.0.0.1") + 'security = "none"\n'
    pop3 = parse(text).account().pop3
    assert pop3 is not None and pop3.port == 110 and pop3.is_loopback


def test_every_key_read():
    pop3 = (
        parse(
            BASE
            + 'port = 1995\nusername = "bob"\npassword_env = "POP_PW"\nca_file = "~/ca.pem"\n'
            "leave_on_server = true\ndelete_after_days = 30\npoll_interval = 60\n"
        )
        .account()
        .pop3
    )
    assert pop3 is not None
    assert (pop3.port, pop3.username, pop3.password_env) == (1995, "bob", "POP_PW")
    assert pop3.ca_file == Path("~/ca.pem").expanduser()
    assert pop3.delete_after_days == 30 and pop3.poll_interval == 60.0


def test_plaintext_to_a_remote_host_is_refused_unless_allowed():
    insecure = BASE + 'security = "none"\n'
    err = error_of(insecure)
    assert err.key == "accounts.old.pop3.security"
    assert '"none" sends your password in clear to pop.example.org' in str(err)
    allowed = insecure.replace("[accounts.old.pop3]", "allow_insecure = true\n[accounts.old.pop3]")
    pop3 = parse(allowed).account().pop3
    assert pop3 is not None and pop3.security == "none"


@pytest.mark.parametrize(
    ("extra", "key", "words"),
    [
        ("hots = 1\n", "accounts.old.pop3.hots", "unknown key"),
        ('security = "ssl"\n', "accounts.old.pop3.security", "must be one of tls, starttls"),
        ("port = 70000\n", "accounts.old.pop3.port", "not a TCP port"),
        ('port = "995"\n', "accounts.old.pop3.port", "expected an integer"),
        ('leave_on_server = "no"\n', "accounts.old.pop3.leave_on_server", "true or false"),
        ("delete_after_days = -1\n", "accounts.old.pop3.delete_after_days", "must be 0"),
        (
            "leave_on_server = false\ndelete_after_days = 3\n",
            "accounts.old.pop3.delete_after_days",
            "only means something with leave_on_server = true",
        ),
        ("poll_interval = 1\n", "accounts.old.pop3.poll_interval", "must be 10 to 86400"),
        (
            'password_command = "x"\npassword_env = "Y"\n',
            "accounts.old.pop3.password_env",
            "not both",
        ),
        ('auth = "kerberos"\n', "accounts.old.pop3.auth", "must be one of password, xoauth2"),
        ('auth = "xoauth2"\n', "accounts.old.pop3.auth", "needs an [accounts.old.oauth2] table"),
    ],
)
def test_bad_values_name_the_key(extra: str, key: str, words: str):
    err = error_of(BASE + extra)
    assert err.key == key and words in err.message, str(err)


def test_missing_host_is_named():
    err = error_of('[accounts.old]\nemail = "b@example.org"\n[accounts.old.pop3]\nport = 995\n')
    assert err.key == "accounts.old.pop3.host"


def test_both_imap_and_pop3_is_an_error_naming_pop3():
    err = error_of(BASE + '[accounts.old.imap]\nhost = "imap.example.org"\n')
    assert err.key == "accounts.old.pop3" and "not both" in err.message


def test_neither_imap_nor_pop3_is_an_error_naming_both():
    err = error_of('[accounts.x]\nemail = "a@b.c"\n')
    assert err.key == "accounts.x.imap"
    assert "[accounts.NAME.imap] or [accounts.NAME.pop3]" in err.message


def test_imap_server_of_a_pop3_account_is_a_config_error():
    account = parse(BASE).account()
    with pytest.raises(ConfigError, match="a POP3 account has none"):
        _ = account.imap_server


def test_smtp_defaults_come_from_pop3():
    text = BASE + 'username = "bob"\npassword_env = "POP_PW"\n[accounts.old.smtp]\n'
    account = parse(text).account()
    assert account.smtp is not None
    assert account.smtp.host == "pop.example.org" and account.smtp.port == 465
    assert account.smtp.username == "bob" and account.smtp.password_env == "POP_PW"


def test_password_sources_use_the_pop3_table(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("POP_PW", "s3cret")
    account = parse(BASE + 'password_env = "POP_PW"\n').account()
    assert secrets.get_password(account, "pop3") == "s3cret"
    assert secrets.keyring_user("old", "pop3") == "old/pop3"


OAUTH2 = '[accounts.old.oauth2]\nprovider = "microsoft"\nclient_id = "abc"\n'


@pytest.mark.parametrize("auth", ["xoauth2", "oauthbearer"])
def test_oauth2_auth_with_the_oauth2_table_and_smtp_inherits_it(auth: str):
    text = BASE + f'auth = "{auth}"\n[accounts.old.smtp]\n' + OAUTH2
    account = parse(text).account()
    assert account.pop3 is not None and account.pop3.auth == auth and account.pop3.uses_oauth2
    assert account.incoming.uses_oauth2 and account.oauth2 is not None
    assert account.smtp is not None and account.smtp.auth == auth


def test_password_is_the_default_auth():
    pop3 = parse(BASE).account().pop3
    assert pop3 is not None and pop3.auth == "password" and not pop3.uses_oauth2
