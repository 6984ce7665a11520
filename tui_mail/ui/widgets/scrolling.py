"""Give a scrolling widget a new virtual size without a layout of the whole screen.

Why: Textual's ``virtual_size`` is a reactive that asks for a layout of the screen
on every change. The message list changes it on each search keystroke (a new hit
count) and the preview on each message of another length; the layout then
re-arranged every widget and repainted more than the one pane, a large part of
those keys' event-loop time (issue #8).
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget


def set_virtual_size(widget: Widget, size: Size) -> None:
    """Set ``widget.virtual_size`` and update its scrollbars and scroll offsets in place.

    A scrollbar that must appear or go still gets its layout: Textual's
    ``show_vertical_scrollbar``/``show_horizontal_scrollbar`` ask for one themselves.
    """
    if size == widget.virtual_size:
        return
    widget.set_reactive(Widget.virtual_size, size)
    # What the compositor runs for a new virtual size after a layout (textual is pinned
    # exactly in pyproject.toml; tests/ui/test_message_list.py checks the scrollbar).
    widget._scroll_update(size)
    widget.refresh()
