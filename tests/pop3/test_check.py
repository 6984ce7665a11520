"""``tui-mail check`` on a POP3 account (issue 16 item 4) against Dovecot's POP3."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers.pop3_account import Pop3Account
from tui_mail.backend.check import run_check
from tui_mail.config import load_config

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def test_check_over_stls_with_ca_file_exits_0(pop3_server: Pop3Account, tmp_path: Path) -> None:
    out = io.StringIO()
    config = load_config(pop3_server.config_toml(tmp_path, security="starttls"))
    assert run_check(config, None, out) == 0, out.getvalue()
    report = out.getvalue()
    assert f"POP3 {pop3_server.host}:{pop3_server.port} (starttls)" in report
    assert "TLSv1." in report and "by STLS" in report and "commonName=localhost" in report
    assert "CAPA: " in report and " UIDL" in report and "SASL PLAIN" in report
    assert f"logged in as {pop3_server.username} with SASL PLAIN" in report
    assert "3 messages, " in report and "kept on the server" in report
    assert "All checks passed" in report
    assert pop3_server.password not in report
    assert len(pop3_server.server_uidls()) == 3  # nothing fetched nor deleted


def test_the_command_line_check_exits_0(pop3_server: Pop3Account, tmp_path: Path) -> None:
    """The same through ``python -m tui_mail check`` (the environment holds the password)."""
    path = pop3_server.config_toml(tmp_path, security="starttls")
    done = subprocess.run(
        [sys.executable, "-m", "tui_mail", "--config", str(path), "check"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All checks passed" in done.stdout


def test_check_over_pop3s(pop3_server: Pop3Account, tmp_path: Path) -> None:
    out = io.StringIO()
    config = load_config(pop3_server.config_toml(tmp_path, security="tls"))
    assert run_check(config, None, out) == 0, out.getvalue()
    assert "by TLS" in out.getvalue()


def test_check_reports_a_refused_login(pop3_server: Pop3Account, tmp_path: Path) -> None:
    out = io.StringIO()
    config = load_config(pop3_server.config_toml(tmp_path, security="starttls", password="nope"))
    assert run_check(config, None, out) == 1
    failures = [line for line in out.getvalue().splitlines() if "FAIL" in line]
    assert len(failures) == 1 and "login as" in failures[0]


def test_check_reports_an_unverified_certificate(pop3_server: Pop3Account, tmp_path: Path) -> None:
    path = pop3_server.config_toml(tmp_path, security="starttls")
    path.write_text("\n".join(x for x in path.read_text().splitlines() if "ca_file" not in x))
    out = io.StringIO()
    assert run_check(load_config(path), None, out) == 1
    failures = [line for line in out.getvalue().splitlines() if "FAIL" in line]
    assert len(failures) == 1 and "did not verify" in failures[0]
