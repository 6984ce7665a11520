"""Terminal-safe text: what a string from the network may put on the screen.

Every decoded string that reaches the terminal (subjects, names, bodies, file
and folder names) passes through :func:`clean_text` or :func:`clean_line`.
They remove, rather than replace with a visible placeholder:

* complete escape sequences (CSI, OSC incl. OSC 52 clipboard writes and OSC 8
  hyperlinks, DCS/SOS/PM/APC strings, two-byte ESC sequences) in both their
  7-bit (``ESC [``) and 8-bit (``U+009B``) forms, payload included, so neither
  the sequence nor its hidden argument shows up as text;
* every other C0 control except ``\\n`` and ``\\t``, DEL and every C1 control;
* bidi embeddings, overrides, isolates and marks (the "Trojan Source" and
  ``gpj.exe`` tricks) and invisible format characters (zero-width space and
  joiners, word joiner, BOM, soft hyphen, Mongolian vowel separator, tag
  characters);
* lone surrogates (left by ``surrogateescape`` decoding), which would make
  writing to the terminal raise.

Why remove instead of a placeholder such as ``␛``: hostile text is usually
made of many such characters and benign mail carries stray ones (NULs, form
feeds, soft hyphens); a placeholder per character turns both into noise while
adding no safety. What matters is that nothing reaches the terminal that it
would interpret. Line breaks are normalised: ``\\r\\n``, lone ``\\r``, VT, FF,
NEL, U+2028 and U+2029 all become ``\\n``.

Markup is *not* this module's business: the output may still contain
``[bold]`` or ``[@click=app.quit]`` as literal text. The UI never passes these
strings to anything that parses markup; it wraps them in ``rich.text.Text``.
"""

from __future__ import annotations

import re

#: Escape sequences, removed whole (payload included). Linear time: every
#: repeated class stops at the next ESC or terminator, so no backtracking.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])   # OSC, DCS, SOS, PM, APC (7- or 8-bit)
        [^\x07\x1b\x9c]*                      # payload
        (?:\x07|\x1b\\|\x9c)                  # BEL or ST terminator
    | (?:\x1b\[|\x9b)                         # CSI (7- or 8-bit)
        [0-?]* [ -/]* [@-~]                   # params, intermediates, final byte
    | \x1b [ -/]* [0-~]                       # other ESC sequences (ESC 7, ESC ( B, ESC c)
    """,
    re.VERBOSE,
)

_NEWLINE_CHARS = "\r\x0b\x0c\x85\u2028\u2029"

#: Characters deleted outright: C0 (but \t \n), DEL, C1, bidi controls,
#: invisible format characters, tag characters, surrogates.
_DELETED: list[int] = [
    *range(0x00, 0x09),
    *range(0x0E, 0x20),
    *range(0x7F, 0xA0),
    0x00AD,  # soft hyphen: invisible, splits words ("pay\xadpal") to dodge filters
    0x061C,  # Arabic letter mark
    0x180E,  # Mongolian vowel separator
    *range(0x200B, 0x2010),  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
    *range(0x2060, 0x2070),  # word joiner, invisible operators, isolates, deprecated
    0xFEFF,  # BOM / zero-width no-break space
    *range(0xFFF9, 0xFFFC),  # interlinear annotation controls
    *range(0xE0000, 0xE0080),  # tag characters
]

_TABLE: dict[int, str | None] = {code: None for code in _DELETED}
_TABLE.update({ord(ch): "\n" for ch in _NEWLINE_CHARS})
_TABLE.update({code: "\ufffd" for code in range(0xD800, 0xE000)})

#: A cheap check that lets clean text skip the translate pass.
_NEEDS_TRANSLATE = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in sorted(_TABLE) if c < 0xE0000) + "\U000e0000-\U000e007f]"
)

_WHITESPACE_RUN = re.compile(r"\s+")

ELLIPSIS = "\u2026"


def clean_text(s: str) -> str:
    """Return ``s`` made safe for a terminal, keeping its lines and tabs.

    Escape sequences are removed with their payload; control, bidi and
    invisible characters are deleted; every kind of line break becomes
    ``\\n``. Idempotent, and linear in ``len(s)`` (a 5 MB string takes tens
    of milliseconds).
    """
    if "\x1b" in s or _has_c1_introducer(s):
        s = _ESCAPE_SEQUENCE.sub("", s)
    if "\r\n" in s:
        s = s.replace("\r\n", "\n")
    if _NEEDS_TRANSLATE.search(s) is not None:
        s = s.translate(_TABLE)
    return s


def clean_line(s: str, max_len: int = 1000) -> str:
    """Return ``s`` as one safe line: for subjects, names, file and folder names.

    Like :func:`clean_text`, then every whitespace run (newlines and tabs
    included) becomes one space, the ends are stripped and the result is cut
    to ``max_len`` characters, the last one an ellipsis.
    """
    line = _WHITESPACE_RUN.sub(" ", clean_text(s)).strip()
    if max_len > 0 and len(line) > max_len:
        line = line[: max_len - 1].rstrip() + ELLIPSIS
    return line


def _has_c1_introducer(s: str) -> bool:
    """True when ``s`` holds an 8-bit CSI/OSC/DCS/SOS/PM/APC introducer."""
    return any(ch in s for ch in "\x9b\x9d\x90\x98\x9e\x9f")
