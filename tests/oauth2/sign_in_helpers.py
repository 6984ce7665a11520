"""Signing in as a user would, for the OAuth2 tests: the CLI's login and check, the device code.

The test plays the user: it approves the device code the CLI (or a sign-in run
in the test) shows. Everything shown goes into the test's ``transcript``
(greped for secrets).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def cli(args: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen[str]:
    """``python -m tui_mail ARGS`` with the test's environment, pipes on every stream."""
    return subprocess.Popen(
        [sys.executable, "-m", "tui_mail", *args],
        cwd=REPO,
        env={**os.environ, **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def device_login(
    bed: Any, config: Path, env: dict[str, str], transcript: list[str], approve: bool = True
):
    """Run `tui-mail login --flow device`, approve (or deny) the printed code; (rc, out, err)."""
    proc = cli(["--config", str(config), "login", "--flow", "device"], env)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        found = re.search(r"enter the code (\S+)", line)
        if found:
            bed.auth.approve(found.group(1), approved=approve)
            break
    out, err = proc.communicate(timeout=60)
    transcript.extend([*lines, out, err])
    return proc.returncode, "".join(lines) + out, err


def check(config: Path, env: dict[str, str], transcript: list[str]) -> tuple[int, str, str]:
    """Run `tui-mail check`; (rc, out, err)."""
    proc = cli(["--config", str(config), "check"], env)
    out, err = proc.communicate(timeout=120)
    transcript.extend([out, err])
    return proc.returncode, out, err


def approve_from(bed: Any, transcript: list[str]) -> Callable[[str], None]:
    """A ``show`` for ``sign_in``: keeps the text and approves the device code it names."""

    def show(text: str) -> None:
        transcript.append(text)
        found = re.search(r"enter the code (\S+)", text)
        if found:
            bed.auth.approve(found.group(1))

    return show
