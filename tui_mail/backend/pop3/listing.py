"""LIST and UIDL answers -> the messages on the server, each with the key we dedupe by.

The answers come from the network, so every line is checked: a message number
outside ``1..count`` (STAT's), a size or UIDL that is not one (RFC 1939: 1 to 70
characters from 0x21 to 0x7E), or a line that is not ``n word`` is skipped and
named in the problems. A UIDL given to two messages in one listing (a server
that lies) is trusted for neither: both are keyed by a digest of their headers,
as on a server without UIDL, so neither can hide the other (and be deleted
unread).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

_UIDL = re.compile(rb"[!-~]{1,70}")
_NUMBER = re.compile(rb"[0-9]{1,10}")
#: Problems listed per answer at most (a garbage answer is named, not copied).
MAX_PROBLEMS = 5


@dataclass(frozen=True, slots=True)
class Listed:
    """One message on the server in this session."""

    number: int
    """Its message number (valid for this session only)."""
    size: int
    """Octets, as LIST says (the server may lie: reads are bounded on their own)."""
    uidl: str | None
    """Its unique id, or None when the server gave none that can be trusted."""

    @property
    def key(self) -> str | None:
        """``u:<uidl>``, or None when a header digest must stand in (:func:`digest_key`)."""
        return f"u:{self.uidl}" if self.uidl is not None else None


def digest_key(headers: bytes) -> str:
    """The key of a message known only by its headers: ``h:`` + their SHA-256."""
    return "h:" + header_digest(headers)


def header_digest(headers: bytes) -> str:
    """SHA-256 of a header block, line ends normalised (a server may send LF or CRLF)."""
    normal = headers.replace(b"\r\n", b"\n").rstrip(b"\n")
    return hashlib.sha256(normal).hexdigest()


def _pairs(
    lines: list[bytes], count: int, word: re.Pattern[bytes], what: str, problems: list[str]
) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    skipped = 0
    for line in lines:
        parts = line.split()
        if (
            len(parts) >= 2
            and _NUMBER.fullmatch(parts[0])
            and 1 <= int(parts[0]) <= count
            and word.fullmatch(parts[1])
            and int(parts[0]) not in found
        ):
            found[int(parts[0])] = parts[1]
        else:
            skipped += 1
            if skipped <= MAX_PROBLEMS:
                problems.append(f"{what}: skipped {line[:60]!r}")
    if skipped > MAX_PROBLEMS:
        problems.append(f"{what}: {skipped} lines skipped in all")
    return found


def parse_listing(
    count: int, list_lines: list[bytes], uidl_lines: list[bytes] | None
) -> tuple[list[Listed], list[str]]:
    """The messages LIST names (in number order) with their UIDLs, and the problems seen.

    A message LIST does not name is left out this time (it stays on the server).
    """
    problems: list[str] = []
    sizes = _pairs(list_lines, count, _NUMBER, "LIST", problems)
    uidls: dict[int, bytes] = {}
    if uidl_lines is not None:
        uidls = _pairs(uidl_lines, count, _UIDL, "UIDL", problems)
        counts = Counter(uidls.values())
        for number, uidl in list(uidls.items()):
            if counts[uidl] > 1:
                del uidls[number]
        doubled = sorted(u for u, n in counts.items() if n > 1)
        if doubled:
            problems.append(
                f"UIDL: {len(doubled)} id(s) given to more than one message"
                f" (e.g. {doubled[0][:40]!r}): those are told apart by their headers"
            )
    listed = [
        Listed(
            number,
            int(size),
            uidls[number].decode("ascii") if number in uidls else None,
        )
        for number, size in sorted(sizes.items())
    ]
    return listed, problems
