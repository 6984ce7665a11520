"""A text wrapped and drawn once, for a Line-API pane that shows only what is in view.

Textual's ``Static`` wraps and draws its whole text whenever it changes, and a
``height: auto`` Static inside a scroll container also asks for a layout of the
screen. For the preview that cost 6-13 ms of event-loop time for an 18-line
message and ~630 ms for a 4,000-line newsletter, on every key that moves the
list cursor (issue #8). :meth:`WrapSpec.wrap` does the same wrapping and drawing, through
the same ``Content`` Textual would build from the ``rich.text.Text``, so the
lines look as the Static drew them; it touches no widget, so it runs in a
thread. The pane then hands out the lines in view.

Each drawn segment carries its ``(x, y)`` offset in the unwrapped text (as
Textual's own drawing does), which is how mouse selection finds characters;
:func:`highlight_selection` paints a selection on a drawn line.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.content import Content
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions


@dataclass(frozen=True)
class WrapSpec:
    """Where a text goes, read from the pane on the loop: its room, scrollbar and style."""

    width: int
    """Cells across, the scrollbar's column included."""
    height: int
    gutter: int
    """The scrollbar's width: a text taller than ``height`` is wrapped that much narrower."""
    style: Style
    """The base style to draw with (the pane's, plus its loading or error look)."""
    console: Console

    def wrap(self, text: Text) -> WrappedText:
        """Wrap and draw ``text`` as a Static that wide would (thread-safe)."""
        content = Content.from_rich_text(text, console=self.console)
        options = RenderOptions(_get_style, {})
        width = self.width
        lines = content.render_strips(width, None, self.style, options) if width > 0 else []
        if len(lines) > self.height and 0 < self.gutter < width:
            width -= self.gutter
            lines = content.render_strips(width, None, self.style, options)
        return WrappedText(text, lines, width, self, content.plain)


@dataclass(frozen=True)
class WrappedText:
    """``text`` wrapped at ``width`` cells: one ``Strip`` per screen line."""

    text: Text
    lines: list[Strip]
    width: int
    spec: WrapSpec
    """What it was wrapped for."""
    plain: str
    """The unwrapped text, for copying a selection."""


def _get_style(style: str | Style) -> Style:
    """Styles named in the text (Rich's ``Text`` already holds parsed ones)."""
    return style if isinstance(style, Style) else Style.parse(style)


def highlight_selection(strip: Strip, selection: Selection, selected: RichStyle) -> Strip:
    """``strip`` with the characters inside ``selection`` drawn in ``selected`` on top."""
    segments: list[Segment] = []
    changed = False
    for segment in strip:
        text, style, control = segment
        offset = style.meta.get("offset") if style is not None else None
        span = selection.get_span(offset[1]) if offset is not None else None
        if style is None or offset is None or span is None or control:
            segments.append(segment)
            continue
        x, y = offset
        start, end = span
        first = max(start - x, 0)
        last = len(text) if end == -1 else min(end - x, len(text))
        if first >= last:
            segments.append(segment)
            continue
        changed = True
        for piece_start, piece_end, in_selection in (
            (0, first, False),
            (first, last, True),
            (last, len(text), False),
        ):
            if piece_start < piece_end:
                piece_style = style + selected if in_selection else style
                # Each piece keeps its own offset, so a later drag still lands on
                # the right character.
                piece_style += RichStyle.from_meta({"offset": (x + piece_start, y)})
                segments.append(Segment(text[piece_start:piece_end], piece_style))
    return Strip(segments, strip.cell_length) if changed else strip
