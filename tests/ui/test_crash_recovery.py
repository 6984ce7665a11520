"""A draft survives the app being killed (SIGKILL) mid-message, and is offered again.

The real CLI runs on a pseudo-terminal against the IMAP test bed; the kill is a
real SIGKILL of its process group, so nothing of the app's own shutdown runs.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.security.terminal_stream import PtyProgram, app_environment
from tui_mail.backend.send.drafts import DraftStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def start(config: Path, tmp_path: Path) -> PtyProgram:
    argv = [sys.executable, "-m", "tui_mail", "--config", str(config)]
    return PtyProgram(argv, app_environment(tmp_path), columns=120, rows=40, cwd=str(tmp_path))


async def test_sigkill_while_composing_keeps_the_draft_and_offers_it(
    imap_server: Any, tmp_path: Path
) -> None:
    if imap_server.kind != "dovecot":
        pytest.skip("one server is enough: nothing here depends on IMAP")
    config = imap_server.config_toml(tmp_path)
    app = start(config, tmp_path)
    try:
        assert app.wait_for(b"INBOX", 30), app.output[-2000:]
        app.wait_quiet(1.0, 20)
        app.send("c")
        app.wait_quiet(0.5, 10)
        for text in ("dora@example.net", "\t", "\t", "Plans", "\t", "Unsent words here"):
            app.send(text)
            app.wait_quiet(0.3, 10)
        app.wait_quiet(7.0, 20)  # past the autosave interval
    finally:
        os.killpg(app.process.pid, signal.SIGKILL)
        app.process.wait(10)
    [draft] = DraftStore(tmp_path / "state" / "drafts").load_all()
    assert draft.subject == "Plans" and "Unsent words here" in draft.body
    assert [a.email for a in draft.to] == ["dora@example.net"]

    again = start(config, tmp_path)
    try:
        assert again.wait_for(b"unsent draft", 30), again.output[-3000:]
        again.wait_quiet(0.5, 10)
        again.send("r")  # Resume
        assert again.wait_for(b"Unsent words here", 15), again.output[-3000:]
    finally:
        os.killpg(again.process.pid, signal.SIGKILL)
        again.process.wait(10)
