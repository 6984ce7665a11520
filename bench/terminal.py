"""A real terminal for the clients under test: a private tmux server, 200x50.

The driver starts each client in its own tmux session (``exec`` so the pane's
pid is the client itself), polls ``capture-pane -p`` every few milliseconds and
reads the client's memory and CPU time from ``/proc`` (psutil is not needed).
Only the tmux server this module started is ever stopped, by its own socket.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 200, 50
#: Seconds between two screen captures (a capture itself costs about 2 ms): startup is
#: polled gently, key steps closely (their targets are tens of milliseconds).
POLL_INTERVAL = 0.01
KEY_POLL_INTERVAL = 0.004
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

ScreenTest = Callable[[str], bool]
#: What a wait returns as the first line of the screen when the client has exited.
EXITED = "(the client exited)"


def contains(text: str) -> ScreenTest:
    """A screen test: ``text`` is visible."""
    return lambda screen: text in screen


def lacks(text: str) -> ScreenTest:
    """A screen test: ``text`` is no longer visible."""
    return lambda screen: text not in screen


def changed_from(before: str) -> ScreenTest:
    """A screen test: anything differs from ``before``."""
    return lambda screen: screen != before


@dataclass(frozen=True)
class ProcessStats:
    """What /proc says about one process."""

    peak_rss_mb: float
    rss_mb: float
    cpu_seconds: float


def process_stats(pid: int) -> ProcessStats | None:
    """Peak and current RSS (VmHWM, VmRSS) and user+system CPU time, or None if gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            # The command name may hold spaces; the fields after ")" are fixed.
            after_name = stat.read().rsplit(")", 1)[1].split()
    except (OSError, ValueError):
        return None
    utime, stime = int(after_name[11]), int(after_name[12])
    return ProcessStats(
        peak_rss_mb=int(fields["VmHWM"].split()[0]) / 1024,
        rss_mb=int(fields["VmRSS"].split()[0]) / 1024,
        cpu_seconds=(utime + stime) / _CLOCK_TICKS,
    )


def main_thread_cpu_ns(pid: int) -> int | None:
    """CPU time of ``pid``'s main thread in ns (schedstat), or None if gone.

    Textual runs its event loop on the main thread and tui-mail's backend on
    others, so this is the event loop's share of the work; neomutt is all main thread.
    """
    try:
        with open(f"/proc/{pid}/task/{pid}/schedstat", encoding="ascii") as schedstat:
            return int(schedstat.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def all_threads_cpu_ns(pid: int) -> int | None:
    """CPU time of all of ``pid``'s live threads in ns (schedstat), or None if gone.

    For a client whose UI work is spread over threads (aerc is Go: goroutines run
    on any thread), the per-key figure must count them all.
    """
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as schedstat:
                total += int(schedstat.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    return total


class Tmux:
    """A private tmux server (own socket name) hosting one session per client run."""

    def __init__(self, socket_name: str | None = None) -> None:
        self.socket_name = socket_name or f"tui-mail-bench-{os.getpid()}"
        # A keeper session keeps the server up, so no run pays for starting it.
        self._tmux(
            "new-session",
            "-d",
            "-s",
            "keeper",
            "-x",
            str(WIDTH),
            "-y",
            str(HEIGHT),
            "exec sleep 86400",
        )
        # A client that exits leaves its last screen (say, a traceback) to be recorded.
        self._tmux("set-option", "-g", "remain-on-exit", "on")

    def _tmux(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket_name, *args], capture_output=True, text=True, check=check
        )
        return result.stdout

    def launch(
        self, session: str, argv: Sequence[str], env: Mapping[str, str], cwd: str
    ) -> tuple[float, int]:
        """Start ``argv`` in a new 200x50 session; returns (monotonic start, client pid)."""
        assignments = [f"{key}={value}" for key, value in env.items()]
        command = f"cd {shlex.quote(cwd)} && exec env {shlex.join([*assignments, *argv])}"
        started = time.monotonic()
        self._tmux("new-session", "-d", "-s", session, "-x", str(WIDTH), "-y", str(HEIGHT), command)
        pid = int(self._tmux("list-panes", "-t", session, "-F", "#{pane_pid}").split()[0])
        return started, pid

    def capture(self, session: str) -> str:
        """The visible screen as text (empty if the session is gone)."""
        return self._tmux("capture-pane", "-p", "-t", session, check=False)

    def send(self, session: str, *keys: str, literal: bool = False) -> None:
        """Send tmux key names (``Enter``, ``PageDown``, ``G``), or text with ``literal``."""
        flags = ["-l"] if literal else []
        self._tmux("send-keys", "-t", session, *flags, *keys)

    def wait_for(
        self,
        session: str,
        test: ScreenTest,
        since: float,
        timeout: float,
        interval: float = POLL_INTERVAL,
        give_up: ScreenTest | None = None,
    ) -> tuple[float | None, str]:
        """Poll until ``test(screen)``; returns (seconds since ``since`` or None, last screen).

        Stops early (None) when ``give_up(screen)`` holds (an error dialog) or the
        session has ended (the client exited).
        """
        deadline = time.monotonic() + timeout
        screen = ""
        while True:
            dead, screen = self.snapshot(session)
            now = time.monotonic()
            if test(screen):
                return now - since, screen
            if dead:
                return None, f"{EXITED}\n{screen}"
            if now > deadline or (give_up is not None and give_up(screen)):
                return None, screen
            time.sleep(interval)

    def snapshot(self, session: str) -> tuple[bool, str]:
        """(the client has exited, the screen) in one tmux call."""
        out = self._tmux(
            "display-message",
            "-p",
            "-t",
            session,
            "#{pane_dead}",
            ";",
            "capture-pane",
            "-p",
            "-t",
            session,
            check=False,
        )
        state, _, screen = out.partition("\n")
        return state.strip() != "0", screen

    def alive(self, session: str) -> bool:
        """True while the client in ``session`` runs."""
        return not self.snapshot(session)[0]

    def close_session(self, session: str, pid: int, quit_keys: Sequence[str], grace: float) -> None:
        """Ask the client to quit with its keys; kill the session if it lingers."""
        if quit_keys and self.alive(session):
            self.send(session, *quit_keys)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
                time.sleep(0.05)
        self._tmux("kill-session", "-t", session, check=False)

    def close(self) -> None:
        """Stop this private tmux server (and anything still running in it)."""
        self._tmux("kill-server", check=False)


def wait_until_quiet(
    pid: int, timeout: float, window: float = 0.5, busy_share: float = 0.04, windows: int = 2
) -> float | None:
    """Wait until ``pid`` uses under ``busy_share`` of a CPU in ``windows`` windows in a row.

    Returns how long it stayed busy, to the nearest ``window`` (None on timeout
    or exit). Used so key timings are taken after background sync, not during
    it; two windows, because a client waiting for a big server answer idles briefly.
    """
    started = time.monotonic()
    last = process_stats(pid)
    quiet_since: float | None = None
    calm = 0
    while last is not None and time.monotonic() - started < timeout:
        window_start = time.monotonic()
        time.sleep(window)
        current = process_stats(pid)
        if current is None:
            return None
        if current.cpu_seconds - last.cpu_seconds <= busy_share * window:
            quiet_since = window_start if calm == 0 else quiet_since
            calm += 1
            if calm >= windows and quiet_since is not None:
                # The quiet windows themselves do not count: 0 means it was quiet at once.
                return max(0.0, quiet_since - started)
        else:
            calm = 0
        last = current
    return None
