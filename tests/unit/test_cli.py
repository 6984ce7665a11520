"""The command line as a user meets it: version, and one-line errors with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None, module: bool = True):
    full_env = {**os.environ, **(env or {})}
    command = [sys.executable, "-m", "tui_mail", *args]
    return subprocess.run(
        command, capture_output=True, text=True, env=full_env, timeout=60, cwd=REPO
    )


def test_version_from_module_and_script():
    from tui_mail import __version__

    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"tui-mail {__version__}"
    script = Path(sys.executable).with_name("tui-mail")
    if script.exists():
        scripted = subprocess.run(
            [str(script), "--version"], capture_output=True, text=True, timeout=60
        )
        assert scripted.stdout.strip() == f"tui-mail {__version__}"


def test_bad_config_names_the_key_before_any_ui(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[accounts.x]\nemail = "x@example.org"\n[accounts.x.imap]\nhots = "imap.example.org"\n'
    )
    done = run_cli("--config", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip() == "tui-mail: bad.toml: accounts.x.imap.hots: unknown key"
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_missing_config_says_where_it_looked(tmp_path):
    """`check` with no config is an error; plain `tui-mail` opens setup (tests/ui/test_setup*)."""
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "TUI_MAIL_CONFIG": ""}
    done = run_cli("check", env=env)
    assert done.returncode == 2
    assert str(tmp_path / "xdg" / "tui-mail" / "config.toml") in done.stderr
    assert "tui-mail setup" in done.stderr and "tui-mail --demo" in done.stderr
    assert "Traceback" not in done.stderr
    explicit = run_cli("--config", str(tmp_path / "nope.toml"))
    assert explicit.returncode == 2 and "no such config file" in explicit.stderr


def test_unknown_account(tmp_path):
    good = tmp_path / "c.toml"
    good.write_text(
        '[accounts.x]\nemail = "x@example.org"\n[accounts.x.imap]\nhost = "imap.example.org"\n'
    )
    done = run_cli("--config", str(good), "--account", "work")
    assert done.returncode == 2
    assert "unknown account 'work' (known: x)" in done.stderr and "Traceback" not in done.stderr


def test_setup_writes_a_private_example_once(tmp_path):
    target = tmp_path / "cfg" / "config.toml"
    done = run_cli("--config", str(target), "setup", "--example")
    assert done.returncode == 0, done.stderr
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert "[accounts.personal.imap]" in target.read_text()
    again = run_cli("--config", str(target), "setup", "--example")
    assert again.returncode == 2 and "exists already" in again.stderr


@pytest.mark.parametrize("args", [["show"], ["--nope"]])
def test_bad_arguments_exit_2(args):
    done = run_cli(*args)
    assert done.returncode == 2 and "Traceback" not in done.stderr
