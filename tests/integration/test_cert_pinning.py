"""Certificate pinning (issue 15 item 4): ``cert_fingerprint`` on IMAP, POP3 and SMTP.

Against the test bed's real servers with self-signed certificates (Dovecot
IMAPS, IMAP STARTTLS, POP3S, POP3 STLS; aiosmtpd STARTTLS) and no ``ca_file``:
the right pin connects and logs in as ``tui-mail check`` does; a wrong pin is
refused with both fingerprints, before any login (aiosmtpd counts AUTH tries).
The pin is the fingerprint ``inspect_certificate`` reports (what setup writes).
"""

from __future__ import annotations

import io
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.account import dovecot_account
from tests.servers.dovecot import DovecotServer
from tests.servers.tls import CertPair
from tui_mail.backend import inspect_certificate, run_check
from tui_mail.backend.send.smtp import DeliveryError, close_smtp, open_smtp
from tui_mail.config import ServerConfig, load_config
from tui_mail.demo.smtp_server import SmtpServer

pytestmark = pytest.mark.integration

WRONG = "sha256:" + "ab" * 32


class CountingSmtp(SmtpServer):
    """aiosmtpd that counts every AUTH attempt (a wrong pin must make none)."""

    auth_attempts = 0

    def _authenticate(self, *args: Any) -> Any:
        self.auth_attempts += 1
        return super()._authenticate(*args)


@pytest.fixture
def smtp(test_cert: CertPair) -> Iterator[CountingSmtp]:
    context = test_cert.server_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with CountingSmtp("sender", "smtp-" + uuid.uuid4().hex[:8], tls_context=context) as server:
        yield server


PORTS = {
    ("imap", "tls"): "imaps_port",
    ("imap", "starttls"): "imap_port",
    ("pop3", "tls"): "pop3s_port",
    ("pop3", "starttls"): "pop3_port",
}


def _config(
    tmp_path: Path,
    dovecot: DovecotServer,
    monkeypatch: pytest.MonkeyPatch,
    protocol: str,
    security: str,
    pin: str,
) -> tuple[Path, str]:
    """A one-account config for a fresh Dovecot user, pinned to ``pin``; and its right pin."""
    account = dovecot_account(dovecot, monkeypatch.setenv)
    variable = "TUI_MAIL_TEST_PIN_" + uuid.uuid4().hex[:8].upper()
    monkeypatch.setenv(variable, account.password)
    port = getattr(dovecot, PORTS[(protocol, security)])
    right = inspect_certificate(dovecot.host, port, security, protocol=protocol).fingerprint
    path = tmp_path / "config.toml"
    path.write_text(
        f'[accounts.home]\nemail = "{account.email}"\n\n'
        f"[accounts.home.{protocol}]\n"
        f'host = "{dovecot.host}"\nport = {port}\nsecurity = "{security}"\n'
        f'username = "{account.username}"\npassword_env = "{variable}"\n'
        f'cert_fingerprint = "{pin or right}"\n'
    )
    return path, right


@pytest.mark.parametrize(("protocol", "security"), list(PORTS))
def test_the_right_pin_connects_and_logs_in_without_any_ca(
    tmp_path: Path,
    pop3_dovecot: DovecotServer,
    monkeypatch: pytest.MonkeyPatch,
    protocol: str,
    security: str,
) -> None:
    path, right = _config(tmp_path, pop3_dovecot, monkeypatch, protocol, security, "")
    out = io.StringIO()
    assert run_check(load_config(path), None, out) == 0, out.getvalue()
    text = out.getvalue()
    assert f"certificate is the pinned one ({right}" in text
    assert "logged in as" in text


@pytest.mark.parametrize(("protocol", "security"), list(PORTS))
def test_a_wrong_pin_is_refused_with_both_fingerprints_before_the_login(
    tmp_path: Path,
    pop3_dovecot: DovecotServer,
    monkeypatch: pytest.MonkeyPatch,
    protocol: str,
    security: str,
) -> None:
    path, right = _config(tmp_path, pop3_dovecot, monkeypatch, protocol, security, WRONG)
    out = io.StringIO()
    assert run_check(load_config(path), None, out) == 1
    text = out.getvalue()
    assert f"certificate changed: expected {WRONG}, server sent {right}" in text, text
    assert "FAIL  connect:" in text
    assert "logged in" not in text and "login" not in text


def test_without_a_pin_the_self_signed_certificate_still_fails(
    tmp_path: Path, pop3_dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pin is what makes it pass: the same server unpinned does not verify."""
    path, _right = _config(tmp_path, pop3_dovecot, monkeypatch, "imap", "tls", "")
    path.write_text(
        "\n".join(line for line in path.read_text().splitlines() if "cert_" not in line)
    )
    out = io.StringIO()
    assert run_check(load_config(path), None, out) == 1
    assert "did not verify" in out.getvalue()


def _smtp_server(smtp: SmtpServer, pin: str) -> ServerConfig:
    return ServerConfig(smtp.host, smtp.port, "starttls", smtp.username, cert_fingerprint=pin)


def test_smtp_starttls_with_the_right_pin_logs_in(smtp: CountingSmtp) -> None:
    pin = inspect_certificate(smtp.host, smtp.port, "starttls", protocol="smtp").fingerprint
    client = open_smtp(_smtp_server(smtp, pin), smtp.password)
    close_smtp(client)
    assert smtp.auth_attempts == 1


def test_smtp_starttls_with_a_wrong_pin_is_refused_and_sends_no_password(
    smtp: CountingSmtp,
) -> None:
    right = inspect_certificate(smtp.host, smtp.port, "starttls", protocol="smtp").fingerprint
    with pytest.raises(DeliveryError) as caught:
        open_smtp(_smtp_server(smtp, WRONG), smtp.password)
    error = caught.value
    assert error.step == "tls" and error.permanent
    assert f"certificate changed: expected {WRONG}, server sent {right}" in str(error)
    assert smtp.auth_attempts == 0
