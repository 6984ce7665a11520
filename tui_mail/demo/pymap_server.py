"""pymap as a local IMAP server: a child process on a free loopback port.

pymap's ``dict`` backend keeps everything in memory and has exactly one user,
whose name and password we choose on the command line; it starts empty in about
0.3 s. So one server is one fresh, isolated mailbox: tests that need isolation
start a new server. The process dies with us: it runs in its own session with
``PR_SET_PDEATHSIG`` and is also stopped at interpreter exit.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tui_mail.demo.processes import LOOPBACK, free_port, spawn, stop_process, wait_for_greeting

_START_ATTEMPTS = 3


def _pymap_command() -> list[str]:
    # The console script sits next to the interpreter in a venv; fall back to -m.
    script = Path(sys.executable).with_name("pymap")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "pymap"]


class PymapServer:
    """One pymap process serving one user over plain IMAP on 127.0.0.1.

    ``start()`` picks a free port (retrying if another process grabs it first)
    and returns once the server sends its greeting; ``stop()`` ends it. Works as
    a context manager.
    """

    host = LOOPBACK

    def __init__(self, username: str = "demo", password: str = "demo-password") -> None:
        self.username = username
        self.password = password
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log_dir: Path | None = None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self.running and self._process else None

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def log_file(self) -> Path | None:
        """pymap's stdout/stderr, for failure messages."""
        return self._log_dir / "pymap.log" if self._log_dir else None

    def start(self, timeout: float = 15.0) -> None:
        """Start the server and wait for its greeting."""
        if self.running:
            return
        self._log_dir = Path(tempfile.mkdtemp(prefix="tui-mail-pymap-"))
        last_error: Exception | None = None
        for _attempt in range(_START_ATTEMPTS):
            self.port = free_port()
            args = [
                *_pymap_command(),
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--no-tls",
                "dict",
                "--demo-user",
                self.username,
                "--demo-password",
                self.password,
            ]
            self._process = spawn(args, self._log_dir / "pymap.log")
            try:
                wait_for_greeting(self.host, self.port, timeout, self._process)
            except RuntimeError as exc:  # most likely the port was taken meanwhile
                last_error = exc
                stop_process(self._process)
                continue
            atexit.register(self.stop)
            return
        log = self.log_file.read_text(errors="replace")[-2000:] if self.log_file else ""
        self._remove_log_dir()
        raise RuntimeError(f"pymap did not start: {last_error}\n{log}")

    def stop(self) -> None:
        """Stop the server (all its mail is gone with it)."""
        if self._process is not None:
            stop_process(self._process)
            self._process = None
        atexit.unregister(self.stop)
        self._remove_log_dir()

    def _remove_log_dir(self) -> None:
        if self._log_dir is not None:
            shutil.rmtree(self._log_dir, ignore_errors=True)
            self._log_dir = None

    def __enter__(self) -> PymapServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
