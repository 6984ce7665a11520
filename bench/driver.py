"""One measured run of one client: first screen, key steps, memory and CPU.

A run launches the client in tmux against the benchmark Dovecot, times its
first screen (the newest subject visible), waits until it is quiet (its
background sync done, or a cap), then times each key step, reads peak RSS and
CPU time from /proc and quits it. Everything it saw goes into the result,
including the last screen when something did not appear.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.clients import Client, Step
from bench.terminal import (
    EXITED,
    KEY_POLL_INTERVAL,
    ScreenTest,
    Tmux,
    all_threads_cpu_ns,
    changed_from,
    contains,
    lacks,
    main_thread_cpu_ns,
    process_stats,
    wait_until_quiet,
)


@dataclass
class RunResult:
    """What one run measured (seconds and MB; None = did not happen in time)."""

    client: str
    cache: str
    size: int
    rep: int
    first_screen: float | None = None
    quiet_after: float | None = None
    steps: dict[str, float | None] = field(default_factory=dict)
    step_loop_ms: dict[str, float | None] = field(default_factory=dict)
    """Main-thread (event loop) CPU per step: from the key until 150 ms after its screen."""
    idle_loop_ms_per_s: float | None = None
    """Main-thread CPU while idle (timers, polling), the baseline for ``step_loop_ms``."""
    peak_rss_mb: float | None = None
    cpu_seconds: float | None = None
    load_before: float | None = None
    """The 1-minute load average as the run started (others share these cores)."""
    failure: str = ""
    last_screen: str = ""

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class RunLimits:
    """Timeouts of one run."""

    first_screen: float = 90.0
    quiet: float = 40.0
    quit_grace: float = 5.0
    populate_quiet: float = 240.0
    """How long a populating run may take to finish its sync."""


def measure_run(
    tmux: Tmux,
    client: Client,
    cache_dir: Path,
    cache: str,
    size: int,
    rep: int,
    host: str,
    port: int,
    limits: RunLimits = RunLimits(),
    populate: bool = False,
) -> RunResult:
    """Run ``client`` once with ``cache_dir`` (fresh = cold, a populated copy = warm).

    ``populate``: no keys; wait (up to ``limits.populate_quiet``) until the
    client's sync is over, so its cache directory can serve the warm runs.
    """
    result = RunResult(client.name, cache, size, rep, load_before=_load_average())
    cache_dir.mkdir(parents=True, exist_ok=True)
    launch = client.make_launch(host, port, cache_dir)
    session = f"{client.name}-{cache}-{size}-{rep}"
    started, pid = tmux.launch(session, launch.argv, launch.env, str(cache_dir))
    try:
        give_up = _any_of(client.error_texts)
        result.first_screen, screen = tmux.wait_for(
            session,
            contains(client.first_screen_text),
            started,
            limits.first_screen,
            give_up=give_up,
        )
        if result.first_screen is None:
            result.failure = "first screen never appeared (or an error showed)"
            result.last_screen = screen
            return result
        result.quiet_after = wait_until_quiet(
            pid, limits.populate_quiet if populate else limits.quiet
        )
        ui_cpu = main_thread_cpu_ns if client.ui_on_main_thread else all_threads_cpu_ns
        if not populate:
            result.idle_loop_ms_per_s = _idle_loop_cpu(pid, ui_cpu)
        for step in () if populate else client.steps:
            cpu_before = ui_cpu(pid)
            elapsed, screen = _run_step(tmux, session, step, give_up)
            cpu_after = ui_cpu(pid)
            if not step.untimed:
                result.steps[step.name] = elapsed
                if cpu_before is not None and cpu_after is not None and elapsed is not None:
                    result.step_loop_ms[step.name] = round((cpu_after - cpu_before) / 1e6, 1)
            if elapsed is None:
                result.failure += f"step {step.name}: expected screen not seen in time; "
                result.last_screen = screen
                ended = screen.startswith(EXITED) or (give_up is not None and give_up(screen))
                # A slow step (say, a body waiting behind a sync) does not stop the
                # others; an exited client or an error dialog does.
                if ended or step.untimed:
                    break
    finally:
        stats = process_stats(pid)
        if stats is not None:
            result.peak_rss_mb = round(stats.peak_rss_mb, 1)
            result.cpu_seconds = round(stats.cpu_seconds, 2)
        tmux.close_session(session, pid, client.quit_keys, limits.quit_grace)
    return result


def _idle_loop_cpu(
    pid: int, ui_cpu: Callable[[int], int | None], window: float = 0.5
) -> float | None:
    before = ui_cpu(pid)
    time.sleep(window)
    after = ui_cpu(pid)
    if before is None or after is None:
        return None
    return round((after - before) / 1e6 / window, 1)


def _load_average() -> float | None:
    try:
        with open("/proc/loadavg", encoding="ascii") as loadavg:
            return float(loadavg.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _any_of(texts: tuple[str, ...]) -> ScreenTest | None:
    return (lambda screen: any(t in screen for t in texts)) if texts else None


def _run_step(
    tmux: Tmux, session: str, step: Step, give_up: ScreenTest | None
) -> tuple[float | None, str]:
    if step.untimed and step.expect is None and step.gone is None:
        # A key that may not change the screen (Home on the first row): just give it time.
        tmux.send(session, *step.keys, literal=step.literal)
        time.sleep(0.3)
        return 0.0, ""
    before = tmux.capture(session)
    if step.expect:
        test = contains(step.expect)
    elif step.gone:
        test = lacks(step.gone)
    else:
        test = changed_from(before)
    sent = time.monotonic()
    tmux.send(session, *step.keys, literal=step.literal)
    elapsed, screen = tmux.wait_for(session, test, sent, step.timeout, KEY_POLL_INTERVAL, give_up)
    # Let the client finish painting before the next key (a change may be partial).
    time.sleep(0.15)
    return elapsed, screen
