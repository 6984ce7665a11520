"""``auth`` on the servers and the ``[accounts.X.oauth2]`` table (issue 14, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import parse_config
from tui_mail.errors import ConfigError

BASE = """
[accounts.work]
email = "alice@example.org"
[accounts.work.imap]
host = "imap.example.org"
auth = "{auth}"
[accounts.work.smtp]
host = "smtp.example.org"
"""


def account(oauth2: str, auth: str = "xoauth2"):
    text = BASE.format(auth=auth) + ("[accounts.work.oauth2]\n" + oauth2 if oauth2 else "")
    return parse_config(text, Path("config.toml")).account()


def error_of(oauth2: str, auth: str = "xoauth2") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        account(oauth2, auth)
    return info.value


def test_microsoft_preset_fills_endpoints_scopes_and_hint():
    chosen = account('provider = "microsoft"\nclient_id = "abc"\ntenant = "contoso.example"\n')
    oauth2 = chosen.oauth2
    assert oauth2 is not None
    assert chosen.imap.auth == "xoauth2" and chosen.smtp is not None
    assert chosen.smtp.auth == "xoauth2"  # smtp inherits the IMAP mechanism
    assert oauth2.token_endpoint == (
        "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token"
    )
    assert oauth2.device_authorization_endpoint.endswith("/devicecode")
    assert "offline_access" in oauth2.scopes
    assert any(s.endswith("IMAP.AccessAsUser.All") for s in oauth2.scopes)
    assert oauth2.login_hint == "alice@example.org"
    assert oauth2.flow == "auto"


def test_google_preset_has_mail_scope_and_no_device_flow():
    oauth2 = account('provider = "google"\nclient_id = "abc"\n').oauth2
    assert oauth2 is not None
    assert oauth2.scopes == ("https://mail.google.com/",)
    assert not oauth2.device_allowed
    err = error_of('provider = "google"\nclient_id = "abc"\nflow = "device"\n')
    assert err.key == "accounts.work.oauth2.flow"


def test_client_secret_is_not_in_repr():
    oauth2 = account(
        'provider = "google"\nclient_id = "abc"\nclient_secret = "s3cr3t-value"\n'
    ).oauth2
    assert oauth2 is not None and oauth2.client_secret == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(oauth2)


@pytest.mark.parametrize(
    ("oauth2", "key"),
    [
        ('provider = "yahoo"\nclient_id = "a"\n', "accounts.work.oauth2.provider"),
        ('provider = "google"\n', "accounts.work.oauth2.client_id"),
        ('provider = "google"\nclient_id = "a"\ncolor = 1\n', "accounts.work.oauth2.color"),
        ('provider = "google"\nclient_id = "a"\ntenant = "x"\n', "accounts.work.oauth2.tenant"),
        ('provider = "microsoft"\nclient_id = "a"\nflow = "magic"\n', "accounts.work.oauth2.flow"),
        ('provider = "generic"\nclient_id = "a"\nscopes = ["s"]\n', "accounts.work.oauth2.issuer"),
        (
            'provider = "generic"\nclient_id = "a"\nissuer = "https://id.example"\n',
            "accounts.work.oauth2.scopes",
        ),
        (
            'provider = "generic"\nclient_id = "a"\nscopes = ["s"]\n'
            'token_endpoint = "http://id.example.org/token"\n',
            "accounts.work.oauth2.token_endpoint",
        ),
        (
            'provider = "google"\nclient_id = "a"\nclient_secret = "x"\nclient_secret_command = "y"\n',
            "accounts.work.oauth2.client_secret_command",
        ),
        ('provider = "google"\nclient_id = "a"\nscopes = [1]\n', "accounts.work.oauth2.scopes"),
    ],
)
def test_bad_values_name_the_key(oauth2: str, key: str):
    assert error_of(oauth2).key == key


def test_http_is_accepted_for_loopback_only():
    oauth2 = account(
        'provider = "generic"\nclient_id = "a"\nscopes = ["mail"]\n'
        'token_endpoint = "http://127.0.0.1:8080/token"\n'
        'authorization_endpoint = "http://localhost:8080/authorize"\n'
    ).oauth2
    assert oauth2 is not None and oauth2.token_endpoint.startswith("http://127.0.0.1")
    err = error_of(
        'provider = "generic"\nclient_id = "a"\nscopes = ["mail"]\nissuer = "http://10.0.0.1/"\n'
    )
    assert err.key == "accounts.work.oauth2.issuer" and "loopback" in err.message


def test_bad_auth_and_missing_table_name_the_key():
    assert error_of("", auth="kerberos").key == "accounts.work.imap.auth"
    assert error_of("", auth="oauthbearer").key == "accounts.work.imap.auth"
    assert account("", auth="password").oauth2 is None
