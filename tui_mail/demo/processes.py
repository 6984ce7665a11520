"""Small helpers for local server processes: free ports, readiness, clean shutdown.

Shared by the demo's pymap server and the test bed's Dovecot. Every child is
started in its own session (so it can be stopped by its own process group) and,
on Linux, asked to die with its parent, so a crashed test run leaves no server.

``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child ends, not the
process. So children are always forked by one long-lived spawner thread: a
server started from a short-lived worker thread must not die with that thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1
# Its single worker thread lives until interpreter shutdown (idle workers are kept).
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tui-mail-spawner")


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free a moment ago (some servers cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def die_with_parent() -> None:
    """``preexec_fn``: have the kernel SIGTERM the child when its parent dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(args: list[str], log_path: os.PathLike[str] | str) -> subprocess.Popen[bytes]:
    """Start ``args`` in a new session, output appended to ``log_path``.

    The fork happens on the spawner thread (see the module docstring).
    """
    return _SPAWNER.submit(_popen, args, log_path).result()


def _popen(args: list[str], log_path: os.PathLike[str] | str) -> subprocess.Popen[bytes]:
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )


def wait_for_greeting(
    host: str, port: int, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> bytes:
    """Wait until ``host:port`` accepts a connection and sends a greeting line.

    Raises ``RuntimeError`` if ``process`` exits first or ``timeout`` passes.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=1.0) as sock:
                greeting = sock.recv(512)
                if greeting:
                    return greeting
        except OSError as exc:
            last_error = exc
        time.sleep(0.02)
    raise RuntimeError(f"no greeting on {host}:{port} after {timeout:.0f} s: {last_error}")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """SIGTERM the child (a master shuts its workers down itself), then SIGKILL its
    whole process group if it lingers; reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
