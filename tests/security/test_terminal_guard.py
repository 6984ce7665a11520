"""Nothing from a hostile message reaches the real terminal as a control sequence.

The real app (``python -m tui_mail --config ...``) runs on a 120x40 pseudo-terminal
against Dovecot serving every hostile message (``tests/hostile.py``) but the
20 MB one. The test walks the list with ``j``, opens each message (Enter), shows
all headers (``H``) and the raw source (``V``), goes back (Escape), quits, and
then reads every byte the app wrote: each escape sequence must be one of
Textual's own (``terminal_stream.is_allowed``); no OSC (52 clipboard, 8 links,
0/2 titles), no DCS, no title report, no C1 control, no invalid UTF-8.
``tui-mail show`` on every hostile file is the lighter second check: it must
write no escape sequence at all.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from imapclient import imap_utf7

from tests.hostile import MARKUP, hostile_messages, write_hostile
from tests.security.scripted_imap import (
    ImapConnection,
    Mailbox,
    Message,
    Script,
    ScriptedImapServer,
)
from tests.security.terminal_stream import (
    C1,
    ESC,
    PtyProgram,
    escape_sequences,
    forbidden_sequences,
)
from tui_mail.demo.config_file import write_config

pytestmark = pytest.mark.integration

#: Time only: its parse is covered by tests/unit/test_hostile.py.
SKIPPED = {"attachment_20mb"}
_SEQUENCE_TEXT = re.compile(r"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|\x1b\][^\x07]*\x07|\x1b.")
#: Bytes of hostile payloads that must never sit inside an escape sequence.
PAYLOADS = ("52;", "cm0gLXJmIH4", "QUFB", "evil.example", "pwned", "21t", "$q")


def _environment(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "40",
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "PYTHONFAULTHANDLER": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        **extra,
    }
    return env


def _check_stream(raw: bytes) -> list[str]:
    """Every problem with what reached the terminal (empty when clean)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"invalid UTF-8 at byte {exc.start}: {raw[max(0, exc.start - 40):exc.start + 40]!r}"]
    problems = [f"forbidden sequence {s!r}" for s in forbidden_sequences(text)]
    problems += [f"C1 control {m.group()!r} at {m.start()}" for m in C1.finditer(text)][:5]
    for sequence in escape_sequences(text):
        problems += [f"payload {p!r} inside {sequence!r}" for p in PAYLOADS if p in sequence]
    return problems


@pytest.fixture
def hostile_account(dovecot: Any, tmp_path: Path) -> tuple[Path, dict[str, str], int]:
    """A Dovecot user whose INBOX holds the hostile messages; (config, env, message count).

    The files go straight into the Maildir: APPEND would refuse some (NUL bytes), but
    a server can still hold such mail (delivered by other means) and serve it.
    """
    username = "g" + uuid.uuid4().hex[:10]
    password = "pw-" + uuid.uuid4().hex[:8]
    dovecot.add_user(username, password)
    inbox = dovecot.homes / username / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (inbox / sub).mkdir(parents=True, exist_ok=True)
    names = [name for name in sorted(hostile_messages()) if name not in SKIPPED]
    raws = hostile_messages()
    for index, name in enumerate(names):
        (inbox / "cur" / f"{1700000000 + index}.M{index}P1.{name}:2,").write_bytes(raws[name])
    dovecot.chown_maildir(username)
    variable = "TUI_MAIL_GUARD_PASSWORD"
    config = write_config(
        tmp_path / "config.toml", "guard", email="tester@example.com", display_name="Tester",
        imap={"host": dovecot.host, "port": dovecot.imap_port, "security": "none",
              "username": username, "password_env": variable},
    )
    return config, _environment(tmp_path, {variable: password}), len(names)


@pytest.mark.slow
def test_app_on_hostile_mailbox_writes_only_textual_sequences(
    hostile_account: tuple[Path, dict[str, str], int], tmp_path: Path
) -> None:
    config, env, count = hostile_account
    app = PtyProgram([sys.executable, "-m", "tui_mail", "--config", str(config)], env, cwd=str(tmp_path))
    try:
        assert app.wait_for(b"many recipients", 30), app.output[-2000:]
        app.wait_quiet(1.0, 15)
        for _ in range(count):
            for key in ("j", "\r", "H", "V", ESC):
                app.send(key)
                app.wait_quiet(0.15, 5)
        # A "q" read in one chunk with the Escape before it is Alt+Q to Textual: let the
        # last Escape settle first, and press q again if the app is still running.
        app.wait_quiet(1.0, 15)
        for _attempt in range(3):
            app.send("q")
            with contextlib.suppress(subprocess.TimeoutExpired):
                app.process.wait(8)
                break
    finally:
        code = app.close(15)
    output = app.output
    assert code == 0, output[-3000:]
    assert output.count(b"\x1b[?1049h") == 1 and b"\x1b[?1049l" in output  # alt screen left
    visible = _SEQUENCE_TEXT.sub("", output.decode("utf-8", "replace"))
    # Textual redraws only changed cells, so only short runs are sure to appear whole.
    for shown in (MARKUP, "click me", "Bankevil", "many recipients"):
        assert shown in visible, f"{shown!r} never reached the screen"
    assert b"Traceback" not in output
    problems = _check_stream(output)
    assert not problems, "\n".join(problems[:30])


def test_show_writes_no_escape_sequence_for_any_hostile_file(tmp_path: Path) -> None:
    files = [p for p in write_hostile(tmp_path / "hostile") if p.stem != "attachment_20mb"]
    script = (
        "import sys\nfrom tui_mail.__main__ import main\n"
        "codes = [main(['show', '--headers', f]) for f in sys.argv[1:]]\n"
        "sys.exit(max(codes))\n"
    )
    program = PtyProgram([sys.executable, "-c", script, *map(str, files)], _environment(tmp_path, {}))
    code = program.close(120)
    output = program.output
    assert code == 0, output[-2000:]
    text = output.decode("utf-8")
    assert ESC not in text and not C1.search(text)
    assert "after the huge header" in text and "many recipients" in text


@pytest.mark.parametrize("attack", [
    b"\x1b]52;c;cm0gLXJmIH4=\x07", b"\x1b]8;;https://evil.example/\x1b\\", b"\x1b]0;pwned\x07",
    b"\x1b[21t", b'\x1bP$q"p\x1b\\', "\u009b31m".encode(), b"\xff", b"\x1b[?1049;9999h",
    b"\x1b]22;default;\x1b]52;c;QUFB\x07", b"\x1b[6;2;52;c;QUFBm",
])
def test_the_checker_flags_each_attack_between_textual_drawing(attack: bytes) -> None:
    """The allowlist is not vacuous: each attack inside ordinary drawing is reported."""
    drawing = b"\x1b[?1049h\x1b[1;1H\x1b[38;5;253;48;5;233mtext\x1b[0m\x1b]22;default\x07"
    assert _check_stream(drawing) == []
    assert _check_stream(drawing + attack + drawing)


HOSTILE_TEXT = b"\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x07\x1b[2J\x9b31m\x1bP$q\x1b\\"


def _hostile_server_script() -> Script:
    """Folder names, subjects, a NO and a BYE, each carrying escape sequences."""
    mailbox = Mailbox(
        [Message(1, b"Subject: one\r\n\r\nfirst body\r\n", subject=b"clip " + HOSTILE_TEXT),
         Message(2, b"Subject: two\r\n\r\nsecond\r\n", subject=b"=?utf-8?b?G10yO3B3bmVkBw==?= two"),
         Message(3, b"Subject: three\r\n\r\nthird\r\n", subject="bidi \u202eevil".encode())],
        folders=[b"INBOX", imap_utf7.encode("Evil\x1b]52;c;QUFB\x07folder"), b"[bold]x[/]",
                 imap_utf7.encode("Rechnungen\u202egpj.exe")],
    )
    said_bye = threading.Event()

    def fetch(conn: ImapConnection, tag: bytes, arguments: bytes) -> bool | None:
        wanted = arguments.split(b" ", 1)[0]
        if b"BODY.PEEK[]" in arguments.upper() and wanted == b"2":
            conn.send(tag + b" NO [ALERT] " + HOSTILE_TEXT + b" cannot fetch\r\n")
            return None
        if b"BODY.PEEK[]" in arguments.upper() and wanted == b"3" and not said_bye.is_set():
            said_bye.set()
            conn.send(b"* BYE " + HOSTILE_TEXT + b" going away\r\n")
            return True
        mailbox.do_FETCH(conn, tag, arguments)
        return None

    mailbox.overrides["FETCH"] = fetch
    return lambda conn, index: mailbox.serve(conn)


@pytest.mark.slow
def test_app_against_a_hostile_server_writes_only_textual_sequences(tmp_path: Path) -> None:
    """Folder names, ENVELOPE subjects and server error texts with escapes (scripted FAKE server)."""
    with ScriptedImapServer(_hostile_server_script()) as server:
        variable = "TUI_MAIL_GUARD_PASSWORD"
        config = write_config(
            tmp_path / "config.toml", "guard", email="tester@example.com", display_name="Tester",
            imap={"host": server.host, "port": server.port, "security": "none",
                  "username": "tester", "password_env": variable},
        )
        app = PtyProgram([sys.executable, "-m", "tui_mail", "--config", str(config)],
                         _environment(tmp_path, {variable: "pw"}), cwd=str(tmp_path))
        try:
            assert app.wait_for(b"clip", 30), app.output[-2000:]
            app.wait_quiet(1.0, 10)
            for _ in range(3):
                for key in ("\r", "H", "V", ESC, "j"):
                    app.send(key)
                    app.wait_quiet(0.2, 5)
            app.wait_quiet(1.0, 10)  # the reconnect after BYE
            app.send("q")
        finally:
            code = app.close(15)
        assert not server.failures
        assert server.connection_count >= 3  # worker, IDLE watcher, worker again after BYE
    output = app.output
    assert code == 0, output[-3000:]
    assert b"Traceback" not in output
    problems = _check_stream(output)
    assert not problems, "\n".join(problems[:30])
    visible = _SEQUENCE_TEXT.sub("", output.decode("utf-8", "replace"))
    # "/" is the delimiter: the markup-looking name is a folder "[bold]x[" with a child "]".
    assert "[bold]x[" in visible and "Evilfolder" in visible and "fetch failed: [ALERT]" in visible
