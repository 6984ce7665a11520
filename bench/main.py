"""``bench/run``: measure tui-mail, the floor app, neomutt and aerc at several INBOX sizes.

For each size: write the corpus, start a private Dovecot, let each client fill
a cache once (a "populate" run that waits for its sync to end), then repeat
(default 3 times) interleaved: floor; tui-mail cold (empty cache) then warm (a
copy of the populated cache); neomutt the same (when installed). Raw runs go to ``bench/out/`` as JSON after every run; the
Markdown table of medians is printed at the end and saved next to them.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.clients import Client, available_clients
from bench.dovecot import BenchServer
from bench.driver import RunLimits, RunResult, measure_run
from bench.report import (
    loop_cpu_table,
    machine_markdown,
    markdown_table,
    summarise,
    sync_table,
)
from bench.search import search_note
from bench.terminal import Tmux

OUT_DIR = Path(__file__).resolve().parent / "out"


def _command_output(*argv: str) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not available"
    return (result.stdout or result.stderr).strip()


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    import textual  # local: only needed here, and the bench must start fast

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": _command_output("nproc"),
        "free_h": _command_output("free", "-h"),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "textual": textual.__version__,
        "tmux": _command_output("tmux", "-V"),
        "dovecot": _command_output("/usr/sbin/dovecot", "--version"),
        "neomutt": _command_output("neomutt", "-v").splitlines()[0]
        if shutil.which("neomutt")
        else "not installed",
        "aerc": _command_output("aerc", "-v").splitlines()[0] if shutil.which("aerc") else "not installed",
        "git_commit": _command_output(
            "git", "-C", str(OUT_DIR.parent.parent), "rev-parse", "--short", "HEAD"
        ),
    }


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bench_size(
    size: int,
    reps: int,
    clients: list[Client],
    tmux: Tmux,
    work: Path,
    limits: RunLimits,
    record: list[dict[str, Any]],
    save: Any,
) -> None:
    """All runs at one INBOX size, appended to ``record`` (saved after each run)."""
    with BenchServer(size) as server:
        _log(
            f"N={size}: corpus written in {server.seconds_to_write:.1f} s, "
            f"Dovecot primed in {server.seconds_to_prime:.1f} s"
        )

        def run(client: Client, cache_dir: Path, cache: str, rep: int) -> RunResult:
            result = measure_run(
                tmux,
                client,
                cache_dir,
                cache,
                size,
                rep,
                server.host,
                server.port,
                limits,
                populate=cache == "populate",
            )
            _record(record, save, result)
            return result

        warm_sources = {}
        for client in clients:
            if client.has_cache:
                source = work / f"{client.name}-{size}-populated"
                # A failed populate run leaves no cache worth calling warm: skip those.
                if run(client, source, "populate", 0).first_screen is not None:
                    warm_sources[client.name] = source
        for rep in range(1, reps + 1):
            for client in clients:
                base = work / f"{client.name}-{size}-{rep}"
                if not client.has_cache:
                    run(client, base, "none", rep)
                    continue
                run(client, base.with_name(base.name + "-cold"), "cold", rep)
                if client.name in warm_sources:
                    # Each warm run starts from its own copy of the fully synced cache.
                    warm = base.with_name(base.name + "-warm")
                    shutil.copytree(warm_sources[client.name], warm)
                    run(client, warm, "warm", rep)


def _record(record: list[dict[str, Any]], save: Any, result: RunResult) -> None:
    record.append(result.as_json())
    save()
    _log(
        f"N={result.size} rep {result.rep} {result.client} {result.cache}: first screen "
        f"{result.first_screen} quiet after {result.quiet_after} steps {result.steps} "
        f"rss {result.peak_rss_mb} MB {result.failure}"
    )


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run everything, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="comma-separated INBOX sizes (default: %(default)s)",
    )
    parser.add_argument("--reps", type=int, default=3, help="runs per client and cache")
    parser.add_argument("--no-neomutt", action="store_true", help="skip neomutt even if installed")
    parser.add_argument("--no-aerc", action="store_true", help="skip aerc even if installed")
    parser.add_argument("--only", default="", help="comma-separated client names to run")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    clients = available_clients(include_neomutt=not args.no_neomutt, include_aerc=not args.no_aerc)
    if args.only:
        wanted = set(args.only.split(","))
        clients = [c for c in clients if c.name in wanted or c.name == "floor"]
    OUT_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_file = OUT_DIR / f"runs-{stamp}.json"
    timed = any(step.name == "search" for c in clients for step in c.steps)
    notes = {"tui-mail": search_note(timed)}
    record: list[dict[str, Any]] = []
    info = machine_info()
    started = time.monotonic()

    def save() -> None:
        payload = {
            "machine": info,
            "sizes": sizes,
            "notes": notes,
            "runs": record,
            "elapsed_seconds": round(time.monotonic() - started, 1),
        }
        out_file.write_text(json.dumps(payload, indent=1, ensure_ascii=False))

    tmux = Tmux()
    try:
        with tempfile.TemporaryDirectory(prefix="tui-mail-bench-") as work:
            for size in sizes:
                bench_size(size, args.reps, clients, tmux, Path(work), RunLimits(), record, save)
    finally:
        tmux.close()
        save()
    table = "\n\n".join(
        p
        for p in (
            markdown_table(summarise(record), notes),
            loop_cpu_table(record),
            sync_table(record),
        )
        if p
    )
    elapsed = time.monotonic() - started
    (OUT_DIR / f"table-{stamp}.md").write_text(
        f"Sizes {sizes}, {args.reps} runs each, {elapsed:.0f} s in all.\n\n"
        + machine_markdown(info)
        + "\n\n"
        + table
        + "\n"
    )
    print(table)
    _log(f"done in {elapsed:.0f} s; raw runs in {out_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
