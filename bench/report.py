"""Medians of the raw runs and the Markdown table (ratios to the floor, to neomutt and to aerc)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import Any

from bench.clients import MULTI_KEY_STEPS, TYPING_STEP_PREFIX

STEP_COLUMNS = ("open_newest", "next_message", "page_down", "jump_to_end", "search")


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _median_of_waits(values: Iterable[float | None]) -> float | None:
    """Median where None (the wait ran out) counts as infinitely slow, not as missing."""
    waits = [math.inf if v is None else v for v in values]
    return statistics.median(waits) if waits else None


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (size, client, cache): medians over its repetitions."""
    groups: dict[tuple[int, str, str], list[dict[str, Any]]] = {}
    for run in runs:
        if run["cache"] == "populate":
            continue
        groups.setdefault((run["size"], run["client"], run["cache"]), []).append(run)
    rows = []
    for (size, client, cache), members in sorted(groups.items()):
        row: dict[str, Any] = {
            "size": size,
            "client": client,
            "cache": cache,
            "runs": len(members),
            "failures": sum(1 for m in members if m["failure"]),
            "first_screen": _median_of_waits(m["first_screen"] for m in members),
            "peak_rss_mb": _median(m["peak_rss_mb"] for m in members),
            "cpu_seconds": _median(m["cpu_seconds"] for m in members),
            "quiet_after": _median_of_waits(
                m["quiet_after"] for m in members if m["first_screen"] is not None
            ),
            "load_before": _median(m.get("load_before") for m in members),
        }
        worst = [
            max(v for k, v in m["step_loop_ms"].items() if k not in MULTI_KEY_STEPS)
            for m in members
            if m.get("step_loop_ms")
        ]
        row["loop_ms_max"] = _median(worst)
        row["idle_loop"] = _median(m.get("idle_loop_ms_per_s") for m in members)
        for step in STEP_COLUMNS:
            timed = [m["steps"] for m in members if step in m["steps"]]
            row[step] = _median_of_waits(s[step] for s in timed) if timed else "n/a"
        rows.append(row)
    return rows


def _duration(value: Any, scale: float, unit: str, digits: int) -> str:
    if value == "n/a":
        return "n/a"
    if value == math.inf:
        return "timeout"
    return "—" if value is None else f"{value * scale:.{digits}f} {unit}"


def _seconds(value: Any) -> str:
    return _duration(value, 1, "s", 2)


def _ms(value: Any) -> str:
    return _duration(value, 1000, "ms", 0)


def _number(value: Any) -> str:
    return "—" if value is None else f"{value:.1f}"


def _loop(row: dict[str, Any]) -> str:
    if row["loop_ms_max"] is None:
        return "n/a" if row["client"] == "floor" else "—"
    idle = row["idle_loop"]
    idle_note = "" if idle is None else f" (idle {idle * 0.15:.0f})"
    return f"{row['loop_ms_max']:.0f} ms{idle_note}"


def _ratio(value: Any, base: Any) -> str:
    if not isinstance(value, float | int) or not isinstance(base, float | int) or not base:
        return "—"
    if math.inf in (value, base):
        return "—"
    return f"{value / base:.2f}x"


def markdown_table(rows: list[dict[str, Any]], notes: dict[str, str] | None = None) -> str:
    """The results as a Markdown table; ``—`` = not measured or failed, n/a = no such step.

    "busy after" is how long the client kept a CPU busy after its first screen
    (background sync) before the keys were timed; "timeout" there means it never
    went quiet within the cap, so its key timings ran during sync. A wait that
    ran out counts as infinitely slow in a median ("timeout" when most did).
    "UI CPU per key" is the most main-thread (event loop) CPU one key cost, from
    the key until 150 ms after its screen showed; in brackets what 150 ms of
    idling costs, for scale. "load" is
    the 1-minute load average as the runs started (other work on the machine).
    """
    floor = {r["size"]: r for r in rows if r["client"] == "floor"}
    neomutt = {(r["size"], r["cache"]): r for r in rows if r["client"] == "neomutt"}
    aerc = {(r["size"], r["cache"]): r for r in rows if r["client"] == "aerc"}
    lines = [
        "| N | client | cache | first screen | vs floor | vs neomutt | vs aerc | busy after "
        "| open newest "
        "| next message | page down | jump to end | search | UI CPU per key | peak RSS | CPU | load "
        "| runs (failed) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        base = floor.get(row["size"], {}).get("first_screen")
        peer = neomutt.get((row["size"], row["cache"]), {}).get("first_screen")
        aerc_peer = aerc.get((row["size"], row["cache"]), {}).get("first_screen")
        search = row["search"]
        if search == "n/a" and notes and row["client"] in notes:
            search = notes[row["client"]]
        rss = row["peak_rss_mb"]
        busy = "n/a" if row["client"] == "floor" else _seconds(row["quiet_after"])
        lines.append(
            f"| {row['size']:,} | {row['client']} | {row['cache']} "
            f"| {_seconds(row['first_screen'])} | {_ratio(row['first_screen'], base)} "
            f"| {_ratio(row['first_screen'], peer)} | {_ratio(row['first_screen'], aerc_peer)} "
            f"| {busy} "
            f"| {_ms(row['open_newest'])} | {_ms(row['next_message'])} "
            f"| {_ms(row['page_down'])} | {_ms(row['jump_to_end'])} "
            f"| {search if isinstance(search, str) else _ms(search)} "
            f"| {_loop(row)} "
            f"| {'—' if rss is None else f'{rss:.0f} MB'} "
            f"| {_seconds(row['cpu_seconds'])} | {_number(row['load_before'])} "
            f"| {row['runs']} ({row['failures']}) |"
        )
    growth = memory_growth(rows)
    return "\n".join(lines) + (f"\n\n{growth}" if growth else "")


def sync_table(runs: list[dict[str, Any]]) -> str:
    """The populate runs: how long each client took from start to the end of its sync."""
    lines = [
        "| N | client | first screen | sync over after | peak RSS | CPU |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for run in runs:
        if run["cache"] != "populate":
            continue
        done = None
        if run["first_screen"] is not None and run["quiet_after"] is not None:
            done = run["first_screen"] + run["quiet_after"]
        rss = run["peak_rss_mb"]
        lines.append(
            f"| {run['size']:,} | {run['client']} | {_seconds(run['first_screen'])} "
            f"| {'not within the cap' if done is None else _seconds(done)} "
            f"| {'—' if rss is None else f'{rss:.0f} MB'} | {_seconds(run['cpu_seconds'])} |"
        )
    return "\n".join(lines) if len(lines) > 2 else ""


def memory_growth(rows: list[dict[str, Any]]) -> str:
    """Peak RSS at the largest size minus at the smallest, per client and cache."""
    by_key: dict[tuple[str, str], dict[int, float]] = {}
    for row in rows:
        if row["peak_rss_mb"] is not None:
            by_key.setdefault((row["client"], row["cache"]), {})[row["size"]] = row["peak_rss_mb"]
    lines = ["| client | cache | peak RSS growth |", "|---|---|---:|"]
    for (client, cache), sizes in sorted(by_key.items()):
        if len(sizes) < 2:
            continue
        small, large = min(sizes), max(sizes)
        growth = sizes[large] - sizes[small]
        lines.append(f"| {client} | {cache} | {growth:+.0f} MB from N={small:,} to N={large:,} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def machine_markdown(info: dict[str, Any]) -> str:
    """The machine and versions the numbers come from, as a Markdown list."""
    free = info.get("free_h", "").splitlines()
    memory = " ".join(free[1].split()[1:2]) if len(free) > 1 else "?"
    return "\n".join(
        [
            f"- date: {info.get('date')} (git {info.get('git_commit')})",
            f"- CPU: {info.get('cpu')}, nproc {info.get('nproc')}, memory {memory} total",
            f"- kernel {info.get('kernel')}; Python {info.get('python')}; "
            f"Textual {info.get('textual')}",
            f"- {info.get('tmux')}; Dovecot {info.get('dovecot')}; {info.get('neomutt')}; "
            f"{info.get('aerc')}",
        ]
    )


LOOP_COLUMNS = (*STEP_COLUMNS[:-1], "search_open", "search_letters", "search_close", "search")
"""Columns of the loop CPU table: "search_letters" is the costliest of the query's
letters typed one by one; "search" is the whole query typed at once (six keys)."""


def _loop_steps(run: dict[str, Any]) -> dict[str, float]:
    """A run's loop CPU per step, its typing steps folded into "search_letters"."""
    steps = dict(run["step_loop_ms"])
    letters = [steps.pop(k) for k in list(steps) if k.startswith(TYPING_STEP_PREFIX)]
    if letters:
        steps["search_letters"] = max(letters)
    return steps


def loop_cpu_table(runs: list[dict[str, Any]]) -> str:
    """Median main-thread (event loop) CPU of each key step, per size, client and cache."""
    groups: dict[tuple[int, str, str], list[dict[str, Any]]] = {}
    for run in runs:
        if run.get("step_loop_ms"):
            key = (run["size"], run["client"], run["cache"])
            groups.setdefault(key, []).append({"step_loop_ms": _loop_steps(run)})
    steps = [
        s for s in LOOP_COLUMNS if any(s in r["step_loop_ms"] for g in groups.values() for r in g)
    ]
    if not groups or not steps:
        return ""
    lines = [
        "| N | client | cache | " + " | ".join(steps) + " |",
        "|---:|---|---|" + "---:|" * len(steps),
    ]
    for (size, client, cache), members in sorted(groups.items()):
        cells = []
        for step in steps:
            value = _median(m["step_loop_ms"].get(step) for m in members)
            cells.append("—" if value is None else f"{value:.0f} ms")
        lines.append(f"| {size:,} | {client} | {cache} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
