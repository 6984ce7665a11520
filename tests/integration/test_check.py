"""``tui-mail check`` against the test Dovecot over TLS."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import account_config
from tui_mail.backend.check import run_check
from tui_mail.config import load_config

pytestmark = pytest.mark.integration


def _dovecot_only(imap_server: Any) -> None:
    if imap_server.kind != "dovecot":
        pytest.skip("TLS needs the test Dovecot")


def test_check_over_tls_with_ca_file_passes(imap_server: Any, tmp_path: Path) -> None:
    _dovecot_only(imap_server)
    out = io.StringIO()
    assert run_check(account_config(imap_server, tmp_path, security="tls"), None, out) == 0, (
        out.getvalue()
    )
    report = out.getvalue()
    assert "TLSv1." in report and "commonName=localhost" in report
    assert " IDLE " in report
    lines = report.splitlines()
    for name, role in (
        ("Sent", "sent"),
        ("Drafts", "drafts"),
        ("Trash", "trash"),
        ("Archive", "archive"),
    ):
        assert any(line.split()[:2] == [name, role] for line in lines), (
            f"{name} ({role}) not listed"
        )
    assert "All checks passed" in report


def test_check_reports_an_unverified_certificate(imap_server: Any, tmp_path: Path) -> None:
    _dovecot_only(imap_server)
    path = imap_server.config_toml(tmp_path, security="tls")
    path.write_text(
        "\n".join(x for x in path.read_text().splitlines() if not x.startswith("ca_file"))
    )
    out = io.StringIO()
    assert run_check(load_config(path), None, out) == 1
    failures = [line for line in out.getvalue().splitlines() if "FAIL" in line]
    assert len(failures) == 1 and "certificate" in failures[0] and "did not verify" in failures[0]


def test_check_reports_a_refused_login(imap_server: Any, tmp_path: Path) -> None:
    out = io.StringIO()
    config = account_config(imap_server, tmp_path, password="wrong")
    assert run_check(config, None, out) == 1
    failures = [line for line in out.getvalue().splitlines() if "FAIL" in line]
    assert len(failures) == 1 and "login" in failures[0]


def test_check_includes_smtp(imap_server: Any, smtp_server: Any, tmp_path: Path) -> None:
    config = load_config(imap_server.config_toml(tmp_path, smtp=smtp_server))
    out = io.StringIO()
    assert run_check(config, None, out) == 0, out.getvalue()
    report = out.getvalue()
    assert f"SMTP {smtp_server.host}:{smtp_server.port}" in report
    assert "AUTH as" in report and "EHLO:" in report
    assert not smtp_server.messages  # nothing was sent


def test_check_output_is_terminal_safe(imap_server: Any, tmp_path: Path) -> None:
    """A folder name is server-controlled text: escapes in it never reach the terminal."""
    from tests.integration.backend_helpers import other_client

    if imap_server.kind != "pymap":
        pytest.skip("Dovecot refuses control characters in folder names; pymap stores them")
    client = other_client(imap_server)
    client.create_folder("Evil\x1b]52;c;aGk=\x07Name")
    client.logout()
    out = io.StringIO()
    assert run_check(account_config(imap_server, tmp_path), None, out) == 0, out.getvalue()
    report = out.getvalue()
    assert "\x1b" not in report and "\x07" not in report
    assert "Evil" in report
