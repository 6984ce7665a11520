"""The line between two panes: drawn like the border it replaces, dragged with the mouse."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

HORIZONTAL_CELL = "▁"
VERTICAL_CELL = "▎"


class Divider(Widget):
    """A one-cell line (class ``-vertical`` for a column) that reports drags to the screen.

    A press captures the mouse, so the drag keeps reaching the divider while the
    pointer is over the panes; each move posts :class:`Dragged` with the pointer's
    screen position and the release posts :class:`Released` (the sizes are saved then).
    """

    ALLOW_SELECT = False
    DEFAULT_CSS = """
    Divider { height: 1; width: 1fr; color: $panel; background: $surface; }
    Divider.-vertical { width: 1; height: 1fr; }
    Divider:hover, Divider.-dragging { color: $accent; }
    """

    @dataclass
    class Dragged(Message):
        """The pointer moved while the divider was held: ``x``, ``y`` on the screen."""

        divider: Divider
        x: int
        y: int

    @dataclass
    class Released(Message):
        """The drag ended."""

        divider: Divider

    def __init__(self, *, id: str | None = None, vertical: bool = False) -> None:
        super().__init__(id=id, classes="-vertical" if vertical else None)
        self._dragging = False

    def render_line(self, y: int) -> Strip:
        cell = VERTICAL_CELL if self.has_class("-vertical") else HORIZONTAL_CELL
        width = self.size.width
        return Strip([Segment(cell * width, self.rich_style)], width)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        event.stop()
        self._dragging = True
        self.add_class("-dragging")
        self.capture_mouse()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging:
            event.stop()
            self.post_message(self.Dragged(self, event.screen_x, event.screen_y))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            event.stop()
            self._dragging = False
            self.remove_class("-dragging")
            self.release_mouse()
            self.post_message(self.Released(self))
