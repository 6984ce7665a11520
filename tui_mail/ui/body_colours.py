"""Colour for a message body by position: quote depths, signature, links and patches.

The body has been sanitised before it gets here and is appended to the
preview's ``Text`` as plain text; these functions only *read* that plain text
and lay styles over character ranges of it (``Text.stylize``). Nothing a
message holds is ever parsed as markup, so a line such as ``[red]x[/]`` or one
that once held an escape sequence is coloured like any other line of its kind.

The styles come from the preview's component classes (Textual CSS, so a theme
or a user's CSS changes them): :class:`BodyPalette` is read on the event loop
and handed to the thread that builds the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from tui_mail.mail.html import URL_PATTERN

#: Component class names of the preview (``message-preview--<name>``), one per style.
PALETTE_NAMES = (
    "header",
    "quote-1",
    "quote-2",
    "quote-3",
    "signature",
    "url",
    "diff-header",
    "diff-hunk",
    "diff-added",
    "diff-removed",
)

_QUOTE = re.compile(r"[ \t]*(?:>[ \t]?)+")
_URL = URL_PATTERN  # the same URLs the o picker numbers (mail/html.py)
_DIFF_START = re.compile(r"^(?:diff --git |Index: |--- \S|@@ -\d)", re.MULTILINE)
_DIFF_HEADER = ("diff ", "index ", "Index: ", "--- ", "+++ ", "new file mode", "deleted file mode",
                "similarity index", "rename from", "rename to", "old mode", "new mode")
#: Bodies longer than this get links and quotes only: a patch scan of megabytes is wasted work.
DIFF_SCAN_LIMIT = 2_000_000


@dataclass(frozen=True)
class BodyPalette:
    """The styles a body is coloured with, by :data:`PALETTE_NAMES` (no entry: uncoloured)."""

    styles: dict[str, Style]

    @classmethod
    def read(cls, style_of: Callable[[str], Style]) -> BodyPalette:
        """Read every style through ``style_of(name)`` (the widget's component styles)."""
        return cls({name: style_of(name) for name in PALETTE_NAMES})

    def get(self, name: str) -> Style | None:
        """The style called ``name``, or None when the palette has none (or a blank one)."""
        style = self.styles.get(name)
        return style if style else None


def colour_body(text: Text, start: int, palette: BodyPalette | None) -> None:
    """Style the body that occupies ``text.plain[start:]`` (up to any later sections).

    ``start`` is where the body begins in the text; the caller appends the body
    last or passes only its span, so everything after ``start`` is body.
    """
    if palette is None:
        return
    plain = text.plain
    body = plain[start:]
    patch_from = _patch_start(body)
    in_signature = False
    for offset, line in _lines(body):
        at = start + offset
        if patch_from is not None and offset >= patch_from:
            _style_line(text, at, line, palette.get(_diff_kind(line)))
            continue
        if line in ("-- ", "--"):
            in_signature = True
        quote = _QUOTE.match(line)
        if quote and ">" in quote.group():
            depth = min(quote.group().count(">"), 3)
            _style_line(text, at, line, palette.get(f"quote-{depth}"))
        elif in_signature:
            _style_line(text, at, line, palette.get("signature"))
    url_style = palette.get("url")
    if url_style is not None:
        for match in _URL.finditer(body):
            text.stylize(url_style, start + match.start(), start + match.end())


def _patch_start(body: str) -> int | None:
    """Where a patch begins in ``body`` (a ``diff --git``, a ``---``/``+++`` pair, a hunk), or None."""
    if len(body) > DIFF_SCAN_LIMIT:
        return None
    for match in _DIFF_START.finditer(body):
        rest = body[match.start():match.start() + 4000]
        if rest.startswith(("diff --git ", "Index: ")) or "\n+++ " in rest or "\n@@ -" in rest:
            return match.start()
    return None


def _diff_kind(line: str) -> str:
    """The palette name for one line of a patch ('' for context lines)."""
    if line.startswith(_DIFF_HEADER):
        return "diff-header"
    if line.startswith("@@"):
        return "diff-hunk"
    if line.startswith("+"):
        return "diff-added"
    if line.startswith("-") and line not in ("-- ", "--"):
        return "diff-removed"
    return ""


def _lines(body: str) -> Iterator[tuple[int, str]]:
    """(offset, line) for every line of ``body``, newline not included."""
    offset = 0
    for line in body.split("\n"):
        yield offset, line
        offset += len(line) + 1


def _style_line(text: Text, at: int, line: str, style: Style | None) -> None:
    if style is not None and line:
        text.stylize(style, at, at + len(line))
