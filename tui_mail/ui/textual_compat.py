"""Every place tui-mail leans on Textual's private names or internals (checked on 8.2.8).

DESIGN.md section 10 says to avoid private Textual APIs; three measured costs
(issue #8: a layout or a repaint of the whole screen on every key) made us use
them anyway, so they live here, each with what it does and why no public API
serves. ``textual`` is pinned exactly in ``pyproject.toml``; on an upgrade, run
``tests/unit/test_textual_compat.py`` (it fails when a name in :data:`PINNED`
is gone or has changed shape) and re-check the reasons below.

- :func:`set_virtual_size` calls ``Widget._scroll_update``.
- :func:`focused_without_repaint` redefines the ``Screen.focused`` reactive.
- :class:`InputWithoutLayout` overrides ``Widget.refresh`` to drop ``layout=True``.
"""

from __future__ import annotations

from typing import Self

from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.widget import Widget
from textual.widgets import Input

PINNED: tuple[tuple[str, str, str], ...] = (
    ("textual.widget", "Widget", "_scroll_update"),
    ("textual.widget", "Widget", "virtual_size"),
    ("textual.screen", "Screen", "focused"),
    ("textual.widget", "Widget", "refresh"),
    ("textual.screen", "Screen", "_refresh_layout"),  # tests/ui/test_search_bar.py counts layouts
)
"""(module, class, attribute) of every Textual name this module (or a UI test) relies on."""


def set_virtual_size(widget: Widget, size: Size) -> None:
    """Set ``widget.virtual_size`` and update its scrollbars and scroll offsets in place.

    Why: ``Widget.virtual_size`` is a reactive with ``layout=True``, so every change
    asks for a layout of the whole screen. The message list changes it on each
    search keystroke (a new hit count) and the preview on each message of another
    length; the layout re-arranged every widget and repainted more than the one
    pane, a large part of those keys' event-loop time (issue #8). No public API sets
    a virtual size without that layout: ``set_reactive`` skips the watchers, and
    ``Widget._scroll_update`` is what the compositor runs for a new virtual size
    after a layout (tests/ui/test_message_list.py checks the scrollbar follows).

    A scrollbar that must appear or go still gets its layout: Textual's
    ``show_vertical_scrollbar``/``show_horizontal_scrollbar`` ask for one themselves.
    """
    if size == widget.virtual_size:
        return
    widget.set_reactive(Widget.virtual_size, size)
    widget._scroll_update(size)
    widget.refresh()


def focused_without_repaint() -> Reactive[Widget | None]:
    """A ``focused`` reactive for a ``Screen`` subclass: Textual's, without its repaint.

    Why: ``Screen.focused`` is ``Reactive(None)`` with ``repaint=True``, so each focus
    move repainted every pane. The widgets that gain and lose focus repaint
    themselves, and their CSS is applied again; the full-screen redraw made a focus
    move (Enter on a message, Escape back, Tab) cost much more (issue #8). Textual
    has no setting for it; redefining the class attribute is the only way.
    """
    return Reactive(None, repaint=False)


class InputWithoutLayout(Input):
    """An ``Input`` whose refreshes never ask for a layout of the screen.

    Why: ``Input._watch_value`` sets ``virtual_size`` (the text's width) on every
    key, a reactive with ``layout=True``, so the reactive calls ``refresh(layout=True)``;
    a layout of the whole screen per keystroke was most of a key's cost (the search
    bar, issue #8). Only for an input of a fixed
    size (the layout moves nothing); its scroll range reads the virtual size
    directly, so long text still scrolls. No public switch turns the layout off.
    """

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        """Repaint (or recompose) as asked, never with a layout of the screen."""
        return super().refresh(*regions, repaint=repaint, layout=False, recompose=recompose)
