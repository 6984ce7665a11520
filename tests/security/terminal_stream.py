"""Run a program in a pseudo-terminal and check what it writes there.

:class:`PtyProgram` starts a command on a fresh pty of a fixed size and keeps
every byte written to the terminal. :func:`escape_sequences` splits that stream
into its escape sequences; :func:`forbidden_sequences` names each one that is
not on the allowlist of what Textual itself sends (cursor moves, SGR colours,
erase, DEC private modes, its keyboard/sync-output queries).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ESC = "\x1b"
#: One escape sequence: CSI, OSC (BEL or ST ends it), DCS/SOS/PM/APC (ST ends it), or ESC + one char.
_SEQUENCE = re.compile(
    r"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[\x20-\x7e]?",
    re.DOTALL,
)
#: CSI sequences Textual draws with: SGR, cursor position/moves, erase, scroll region.
_DRAWING = re.compile(r"\x1b\[[0-9;:]*[mHABCDEFGJKfr]")
#: DEC private modes Textual sets/resets: cursor, alt screen, mouse, paste, focus, sync output.
_MODES = {
    "1",
    "7",
    "25",
    "1000",
    "1002",
    "1003",
    "1004",
    "1006",
    "1015",
    "1049",
    "2004",
    "2026",
    "2048",
}
_MODE_SET = re.compile(r"\x1b\[\?([0-9;]+)[hl]")
#: Textual's own queries and keyboard protocol: DECRQM for sync output, kitty keys, cursor report.
_TEXTUAL_QUERIES = re.compile(
    r"\x1b\[\?2026\$p|\x1b\[\?2048\$p|\x1b\[[<>=]\d*u|\x1b\[<u|\x1b\[6n|\x1b\[\?u"
)
#: Textual's mouse pointer shape (OSC 22 with a CSS cursor name such as ``default``).
_POINTER = re.compile(r"\x1b\]22;[a-z-]{1,20}\x07")
#: Two-byte escapes Textual may use: keypad modes, save/restore cursor.
_SHORT = {f"{ESC}=", f"{ESC}>", f"{ESC}7", f"{ESC}8"}
#: C1 control characters (U+0080-U+009F) must never be in the text stream.
C1 = re.compile("[\x80-\x9f]")


def escape_sequences(text: str) -> list[str]:
    """Every escape sequence in ``text``, in order (a lone ESC counts as one)."""
    return _SEQUENCE.findall(text)


def is_allowed(sequence: str) -> bool:
    """True for the sequences Textual's own drawing and setup produce."""
    if sequence in _SHORT or any(
        pattern.fullmatch(sequence) for pattern in (_DRAWING, _TEXTUAL_QUERIES, _POINTER)
    ):
        return True
    mode = _MODE_SET.fullmatch(sequence)
    return bool(mode and set(mode[1].split(";")) <= _MODES)


def forbidden_sequences(text: str) -> list[str]:
    """The escape sequences in ``text`` that are not on the allowlist (deduplicated, in order)."""
    seen: dict[str, None] = {}
    for sequence in escape_sequences(text):
        if not is_allowed(sequence):
            seen.setdefault(sequence, None)
    return list(seen)


class PtyProgram:
    """A command running on its own pseudo-terminal; ``output`` is all it wrote."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        columns: int = 120,
        rows: int = 40,
        cwd: str | None = None,
    ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self._master = master
        self._output = bytearray()
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self._last_write = time.monotonic()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO: the child closed its side
                return
            if not chunk:
                return
            with self._lock:
                self._output += chunk
                self._last_write = time.monotonic()

    @property
    def output(self) -> bytes:
        """Everything written to the terminal so far."""
        with self._lock:
            return bytes(self._output)

    def send(self, keys: str | bytes) -> None:
        """Type ``keys`` (bytes as a terminal sends them)."""
        with self._lock:
            self._last_write = time.monotonic()  # quiet is measured from the key press too
        os.write(self._master, keys.encode() if isinstance(keys, str) else keys)

    def wait_quiet(self, quiet: float, timeout: float) -> bool:
        """Wait until nothing was sent or written for ``quiet`` s (False on ``timeout``).

        Measuring from the last key press too keeps keys apart: an Escape followed
        at once by ``q`` would reach the app as Alt+Q.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = time.monotonic() - self._last_write
            if idle >= quiet:
                return True
            time.sleep(min(0.02, quiet / 4))
        return False

    def wait_for(self, needle: bytes, timeout: float) -> bool:
        """Wait until ``needle`` appears in the output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.output:
                return True
            time.sleep(0.05)
        return False

    def close(self, timeout: float = 10.0) -> int | None:
        """Wait for the program to end (killing its group after ``timeout``); its exit code."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
            code = None
        self._reader.join(2)
        with contextlib.suppress(OSError):
            os.close(self._master)
        return code


REPO = Path(__file__).resolve().parents[2]


def app_environment(tmp_path: Path) -> dict[str, str]:
    """The environment for the real CLI under test: its state, cache and logs under ``tmp_path``."""
    env = {
        **os.environ,  # the test bed put the account's password variable here
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "HOME": str(tmp_path / "home"),
        "TUI_MAIL_STATE_DIR": str(tmp_path / "state"),
        "TUI_MAIL_CACHE_DIR": str(tmp_path / "cache"),
        "TUI_MAIL_LOG_DIR": str(tmp_path / "log"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "PYTHONPATH": str(REPO),
    }
    env.pop("CI", None)
    return env
