"""``cert_fingerprint`` (issue 15 item 4) on [imap], [pop3] and [smtp]: its form and its errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tui_mail.config import parse_config
from tui_mail.config_writer import NewAccount, ServerEntry, prepare
from tui_mail.errors import ConfigError

PIN = "sha256:" + "0123456789abcdef" * 4


def account(protocol: str, table: str, smtp: str = "") -> str:
    return (
        f'[accounts.home]\nemail = "jo@home.test"\n[accounts.home.{protocol}]\n'
        f'host = "mail.home.test"\n{table}\n' + (f"[accounts.home.smtp]\n{smtp}\n" if smtp else "")
    )


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_config(text, Path("config.toml")).account()


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_the_incoming_server_takes_a_pin_in_setups_form(protocol: str) -> None:
    found = parse(account(protocol, f'cert_fingerprint = "{PIN}"')).incoming
    assert found.cert_fingerprint == PIN


def test_openssls_form_is_accepted_and_stored_as_setup_writes_it() -> None:
    openssl = "SHA256:" + ":".join(PIN[7:][i : i + 2].upper() for i in range(0, 64, 2))
    assert parse(account("imap", f'cert_fingerprint = "{openssl}"')).imap.cert_fingerprint == PIN


def test_smtp_has_its_own_pin_and_does_not_inherit_the_incoming_one() -> None:
    other = "sha256:" + "f" * 64
    found = parse(account("imap", f'cert_fingerprint = "{PIN}"', f'cert_fingerprint = "{other}"'))
    assert found.smtp is not None and found.smtp.cert_fingerprint == other
    plain = parse(account("imap", f'cert_fingerprint = "{PIN}"', 'security = "tls"'))
    assert plain.smtp is not None and plain.smtp.cert_fingerprint == ""


@pytest.mark.parametrize(
    "value",
    ["ab" * 32, "sha1:" + "ab" * 20, "sha256:" + "ab" * 31, "sha256:" + "zz" * 32, "sha256:"],
)
@pytest.mark.parametrize("protocol", ["imap", "pop3", "smtp"])
def test_a_malformed_pin_names_the_key(protocol: str, value: str) -> None:
    pin = f'cert_fingerprint = "{value}"'
    text = account("imap", "", pin) if protocol == "smtp" else account(protocol, pin)
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert caught.value.key == f"accounts.home.{protocol}.cert_fingerprint"
    assert "64 hex digits" in caught.value.message


def test_a_pin_without_tls_is_refused() -> None:
    text = account("imap", f'security = "none"\ncert_fingerprint = "{PIN}"')
    with pytest.raises(ConfigError, match=r"imap\.cert_fingerprint: pins a TLS certificate"):
        parse_config(text.replace("mail.home.test", "127.0.0.1"), Path("config.toml"))


def test_what_setup_writes_for_a_trusted_certificate_loads(tmp_path: Path) -> None:
    """Before pinning was built this was a config error: setup could not save a pin."""
    entry = ServerEntry("imap", "127.0.0.1", 993, cert_fingerprint=PIN)
    new = NewAccount("home", "jo@home.test", "", entry, replace(entry, protocol="smtp", port=465))
    _text, config = prepare(new, tmp_path / "config.toml")
    home = config.account("home")
    assert home.imap is not None and home.imap.cert_fingerprint == PIN
    assert home.smtp is not None and home.smtp.cert_fingerprint == PIN
