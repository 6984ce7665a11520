"""Fuzzing parse + render with mutated real-world messages.

In CI this is a bounded hypothesis run (``FUZZ_EXAMPLES`` examples, 2 s deadline
each, well under a minute): a message from the corpora (``../shared/corpora``)
or the hostile set gets bytes flipped, inserted and deleted, and header lines
spliced in from other messages. For each: ``parse_message`` and
``render_message`` must not raise, the parser's last-resort fallback must not
be needed, and no forbidden character (``tests.hostile.FORBIDDEN``) may reach
any rendered string.

For long runs use atheris (not a project dependency; ``pip install atheris``)::

    python -m tests.security.test_fuzz [-max_total_time=600] [corpus-dir ...]

which runs the same check (:func:`check_message`) under libFuzzer.
"""

from __future__ import annotations

import os
import sys
import time
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import FORBIDDEN, hostile_messages
from tui_mail.mail.parse import parse_message
from tui_mail.mail.render import render_message

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
FUZZ_EXAMPLES = int(os.environ.get("TUI_MAIL_FUZZ_EXAMPLES", "200"))
#: Seeds stay small so a mutation run spends its time on variety, not size.
MAX_SEED_BYTES = 64 * 1024


@cache
def seeds() -> tuple[bytes, ...]:
    """Corpus messages (up to 64 KB) plus the small hostile cases, in a fixed order."""
    found: list[bytes] = []
    if CORPORA.is_dir():
        for path in sorted(CORPORA.rglob("*")):
            if path.suffix.lower() in (".eml", ".msg", ".txt", "") and path.is_file():
                data = path.read_bytes()
                if 0 < len(data) <= MAX_SEED_BYTES and b":" in data[:200]:
                    found.append(data)
    found += [raw for raw in hostile_messages().values() if len(raw) <= MAX_SEED_BYTES]
    return tuple(found)


def check_message(raw: bytes) -> None:
    """The fuzz property: parse and render hold, and nothing forbidden is shown."""
    body = parse_message(raw)
    assert not any(p.startswith("could not parse") for p in body.problems), body.problems
    for all_headers in (False, True):
        rendered = render_message(body, all_headers=all_headers, width=60 if all_headers else 0)
        texts = [rendered.text, *rendered.attachments, *rendered.links, *rendered.notes,
                 *(part for pair in rendered.header_lines for part in pair)]
        for text in texts:
            match = FORBIDDEN.search(text)
            assert match is None, f"forbidden {match.group()!r} in {text[:120]!r}"


@st.composite
def mutated_messages(draw: st.DrawFn) -> bytes:
    """A seed message with a few byte flips, insertions, deletions and spliced headers."""
    pool = seeds()
    data = bytearray(draw(st.sampled_from(pool)))
    interesting = [b"\x1b", b"\x9b", b"\r\n", b"\n--", b"=?utf-8?q?", b"\x00", b"\xff", b";",
                   b"boundary=", b"\r\n\r\n", b"Content-Type: multipart/mixed; boundary=x\r\n",
                   b"charset=", b"%", b"'", b"\"", b"\\", b"<", b"&#27;", "\u202e".encode()]
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(("flip", "insert", "delete", "splice")))
        if action == "flip" and position < len(data):
            data[position] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[position:position] = draw(st.sampled_from(interesting))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 64))]
        else:
            donor = draw(st.sampled_from(pool))
            end = donor.find(b"\n\n") if b"\n\n" in donor else donor.find(b"\r\n\r\n")
            lines = donor[: max(end, 0)].splitlines(keepends=True) or [b"X-Empty: 1\r\n"]
            start = draw(st.integers(0, len(lines) - 1))
            data[position:position] = b"".join(lines[start : start + draw(st.integers(1, 5))])
    return bytes(data)


@pytest.fixture(scope="module", autouse=True)
def _need_seeds() -> None:
    if not CORPORA.is_dir():
        message = f"corpora not found at {CORPORA}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@settings(max_examples=FUZZ_EXAMPLES, deadline=2000, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_messages())
def test_mutated_corpus_messages_parse_and_render_safely(raw: bytes) -> None:
    check_message(raw)


def test_every_seed_passes_unmutated() -> None:
    """The baseline: the fuzzer starts from messages that already hold."""
    started = time.perf_counter()
    for raw in seeds():
        check_message(raw)
    assert len(seeds()) > 100
    assert time.perf_counter() - started < 60


def _atheris_main() -> None:  # pragma: no cover - a manual tool
    import atheris  # type: ignore[import-not-found,unused-ignore]

    def one_input(data: bytes) -> None:
        check_message(data)

    atheris.instrument_all()
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    _atheris_main()
