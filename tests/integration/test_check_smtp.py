"""``tui-mail check`` and sending share one SMTP connection path (issue 13, item 6).

Each scenario runs the SMTP step of ``tui-mail check`` and a real send through
``SendQueue`` (as the app sends) against the same aiosmtpd server on 127.0.0.1,
and asserts they reach the same verdict: check is only worth running when it
tests exactly what sending will do.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.servers.tls import CertPair, make_self_signed_cert
from tui_mail import secrets
from tui_mail.backend import api
from tui_mail.backend.check import Report, check_smtp
from tui_mail.backend.send.outbox import Outbox
from tui_mail.backend.send.pipeline import SendQueue
from tui_mail.config import AccountConfig, Config, FolderOverrides, GeneralConfig, ServerConfig
from tui_mail.demo.smtp_server import SmtpServer
from tui_mail.errors import MailError
from tui_mail.models import Address, Draft

pytestmark = pytest.mark.integration

NON_ASCII_PASSWORD = "pässwörd-✓"


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's real keyring must not answer for these accounts."""
    monkeypatch.setattr(secrets, "_from_keyring", lambda account, protocol: None)


@pytest.fixture
def server_cert(tmp_path: Path) -> CertPair:
    """The server's certificate: trusted by nobody unless a test says so."""
    return make_self_signed_cert(tmp_path / "server-cert", "smtp")


def _server(cert: CertPair, password: str, **options: Any) -> SmtpServer:
    return SmtpServer("sender", password, tls_context=cert.server_context(), **options)


def _account(
    server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    *,
    ca_file: Path | None,
    password: str | None,
    username: str = "sender",
) -> AccountConfig:
    variable = ""
    if password is not None:
        variable = f"TUI_MAIL_TEST_SMTP_{uuid.uuid4().hex[:8].upper()}"
        monkeypatch.setenv(variable, password)
    smtp = ServerConfig(
        server.host,
        server.port,
        "starttls",
        username,
        password_env=variable,
        ca_file=ca_file,
    )
    return AccountConfig(
        name="work",
        email="me@example.org",
        display_name="Me",
        imap=ServerConfig("127.0.0.1", 1),
        smtp=smtp,
        folders=FolderOverrides(save_sent=False),
    )


def _check(account: AccountConfig) -> tuple[bool, str]:
    out = io.StringIO()
    report = Report(out)
    check_smtp(account, report)
    return report.failures == 0, out.getvalue()


def _send(account: AccountConfig, tmp_path: Path) -> tuple[bool, str]:
    """Send one message the way the service does (password looked up the same way)."""
    config = Config(tmp_path / "config.toml", GeneralConfig(), {"work": account})

    def no_imap(command: api.Command) -> Future[Any]:
        raise AssertionError(f"no IMAP step expected, got {command!r}")

    queue = SendQueue(
        config,
        Outbox(tmp_path / f"outbox-{uuid.uuid4().hex[:6]}"),
        lambda event: None,
        no_imap,
        lambda name, message: no_imap(None),  # type: ignore[arg-type]
        lambda name: secrets.get_password(account, "smtp"),
    )
    draft = Draft(
        account="work",
        from_=Address("Me", "me@example.org"),
        to=[Address("You", "you@example.com")],
        subject="shared path",
        body="hello\n",
    )
    try:
        outcome = queue.send(draft).result(30)
    except MailError as exc:
        return False, str(exc)
    return outcome.removed, ""


@pytest.fixture
def running() -> Iterator[list[SmtpServer]]:
    servers: list[SmtpServer] = []
    yield servers
    for server in servers:
        server.stop()


def _start(running: list[SmtpServer], server: SmtpServer) -> SmtpServer:
    server.start()
    running.append(server)
    return server


def test_ca_file_trust_and_non_ascii_password_pass_check_and_send(
    server_cert: CertPair, running: list[SmtpServer], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The certificate is trusted only through ``ca_file``; smtplib.login can't send the password."""
    server = _start(running, _server(server_cert, NON_ASCII_PASSWORD))
    account = _account(
        server, monkeypatch, ca_file=server_cert.ca_file, password=NON_ASCII_PASSWORD
    )
    ok, report = _check(account)
    assert ok, report
    assert "AUTH as sender accepted" in report and "TLSv1." in report
    assert _send(account, tmp_path) == (True, "")
    assert len(server.wait_for_messages(1)) == 1
    assert NON_ASCII_PASSWORD not in report


def test_without_ca_file_check_and_send_both_refuse_the_certificate(
    server_cert: CertPair, running: list[SmtpServer], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    server = _start(running, _server(server_cert, "pw"))
    account = _account(server, monkeypatch, ca_file=None, password="pw")
    ok, report = _check(account)
    assert not ok and "certificate" in report, report
    sent, error = _send(account, tmp_path)
    assert not sent and "certificate" in error
    assert server.messages == []


def test_ca_file_adds_to_the_system_store_for_smtp_as_for_imap(
    server_cert: CertPair, running: list[SmtpServer], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """README: ``ca_file`` is an *extra* trust anchor. The server's certificate is in the
    "system" store (SSL_CERT_FILE stands in for it) and ``ca_file`` names an unrelated CA:
    check and send both trust the server, as IMAP does (``make_ssl_context``)."""
    unrelated = make_self_signed_cert(tmp_path / "other-ca", "other")
    monkeypatch.setenv("SSL_CERT_FILE", str(server_cert.ca_file))
    server = _start(running, _server(server_cert, "pw"))
    account = _account(server, monkeypatch, ca_file=unrelated.ca_file, password="pw")
    ok, report = _check(account)
    assert ok, report
    assert _send(account, tmp_path) == (True, "")
    assert len(server.wait_for_messages(1)) == 1


def test_auth_offered_but_no_username_configured_check_and_send_agree(
    server_cert: CertPair, running: list[SmtpServer], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """``username = ""`` means "this server takes mail without a login": neither check nor
    sending asks for a password, even though the server offers AUTH."""
    server = _start(running, _server(server_cert, "pw", auth_required=False))
    account = _account(
        server, monkeypatch, ca_file=server_cert.ca_file, password=None, username=""
    )
    ok, report = _check(account)
    assert ok, report
    assert "AUTH as" not in report and "without logging in" in report
    assert _send(account, tmp_path) == (True, "")
    assert len(server.wait_for_messages(1)) == 1


def test_a_refused_password_fails_check_and_send_alike(
    server_cert: CertPair, running: list[SmtpServer], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    server = _start(running, _server(server_cert, "right"))
    account = _account(server, monkeypatch, ca_file=server_cert.ca_file, password="wrong-✓")
    ok, report = _check(account)
    assert not ok and "login" in report, report
    assert "wrong-✓" not in report
    sent, error = _send(account, tmp_path)
    assert not sent and "login" in error
    assert server.messages == []


def test_no_password_found_is_one_failure_in_check(
    server_cert: CertPair, running: list[SmtpServer], monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = _start(running, _server(server_cert, "pw"))
    account = _account(server, monkeypatch, ca_file=server_cert.ca_file, password=None)
    out = io.StringIO()
    report = Report(out)
    check_smtp(replace(account), report)
    assert report.failures == 1, out.getvalue()
    assert "password" in out.getvalue()
