"""kill -9 of the app in the middle of a POP3 fetch, then a restart: nothing lost, nothing twice.

The real CLI runs on a pseudo-terminal against Dovecot's POP3 with
``leave_on_server = false`` (the hard case: a message deleted from the server
before it was stored would be lost for good). It is killed (SIGKILL of its
process group: none of its shutdown runs) while the bodies come in, then
started again until the fetch ends. The store is read with plain sqlite3 and
the server with plain poplib.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from tests.security.terminal_stream import PtyProgram, app_environment
from tests.servers.pop3_account import Pop3Account, sample_message

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MESSAGES = 120
#: Bodies big enough that the download takes a while (about 30 MB in all).
BODY = "A line of a long message body, written so the download takes time.\n" * 3500


def start(config: Path, tmp_path: Path) -> PtyProgram:
    argv = [sys.executable, "-m", "tui_mail", "--config", str(config)]
    return PtyProgram(argv, app_environment(tmp_path), columns=120, rows=40, cwd=str(tmp_path))


def stored(tmp_path: Path) -> tuple[int, int, int]:
    """(rows in the ledger, of them stored whole, distinct Message-IDs in INBOX)."""
    path = tmp_path / "cache" / "pop.sqlite3"
    if not path.exists():
        return 0, 0, 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            ledger = conn.execute("SELECT count(*), sum(state = 'stored') FROM pop3_messages")
            rows, whole = ledger.fetchone()
            (ids,) = conn.execute(
                "SELECT count(DISTINCT s.message_id) FROM summaries AS s"
                " JOIN folders AS f ON f.id = s.folder_id WHERE f.name = 'INBOX'"
            ).fetchone()
    except sqlite3.OperationalError:  # not created yet
        return 0, 0, 0
    return int(rows or 0), int(whole or 0), int(ids or 0)


def wait(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.mark.pop3_mail(0)
def test_sigkill_mid_fetch_then_restart_loses_nothing_and_stores_nothing_twice(
    pop3_server: Pop3Account, tmp_path: Path
) -> None:
    for number in range(1, MESSAGES + 1):
        pop3_server.deliver(sample_message(number, body=BODY))
    config = pop3_server.config_toml(tmp_path, pop3_extra={"leave_on_server": False})
    app = start(config, tmp_path)
    try:
        assert wait(lambda: 5 <= stored(tmp_path)[1], 60), app.output[-2000:]
    finally:
        os.killpg(app.process.pid, signal.SIGKILL)
        app.process.wait(10)
    rows, whole, _ids = stored(tmp_path)
    assert rows == MESSAGES and whole < MESSAGES, "killed in the middle of the bodies"
    on_server = len(pop3_server.server_uidls())
    assert on_server + whole >= MESSAGES, "none deleted from the server unless stored whole"

    again = start(config, tmp_path)
    try:
        assert wait(lambda: stored(tmp_path)[1] == MESSAGES, 120), again.output[-2000:]
        assert wait(lambda: pop3_server.server_uidls() == [], 30)
    finally:
        os.killpg(again.process.pid, signal.SIGKILL)
        again.process.wait(10)
    assert stored(tmp_path) == (MESSAGES, MESSAGES, MESSAGES)
    path = tmp_path / "cache" / "pop.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        (summaries,) = conn.execute("SELECT count(*) FROM summaries").fetchone()
        (bodies,) = conn.execute("SELECT count(*) FROM bodies").fetchone()
    assert summaries == bodies == MESSAGES
