"""The main screen's layout: which panes show where, how big, and the keys that change it.

:class:`PaneLayout` only sets CSS classes on the screen and inline sizes on the
panes (``app.tcss`` holds the rules): no widget is mounted or removed, so a new
layout keeps the list's cursor, its tags and the preview's message as they were.

- ``three-pane``: tree | list over the preview (``-three-pane``);
- ``wide``: tree | list | preview side by side (``-wide``);
- ``list``: tree | list; the preview opens full screen when it takes focus (Enter)
  and closes when the list takes it back (Escape), as mutt's pager (``-list``,
  ``-no-preview`` while closed);
- ``auto``: one of the three by the terminal's width, again on every resize;
- ``Z`` shows the preview alone in any layout (``-full-preview``) until the focus
  leaves it.

:class:`LayoutActions` is the screen's side (a mixin of ``MainScreen``, as
``ui/daily/actions.py`` is): the ``action_*`` methods of the keymap's ``layout.*``
bindings and the handlers of resizes, focus moves and divider drags.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import events
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

from tui_mail.ui.layout.divider import Divider
from tui_mail.ui.layout.sizes import PaneSizes, load_sizes, save_sizes
from tui_mail.ui_config import UiConfig

if TYPE_CHECKING:
    from tui_mail.ui.widgets.folder_tree import FolderTree
    from tui_mail.ui.widgets.message_list import MessageList
    from tui_mail.ui.widgets.preview import MessagePreview

STEP = 2
"""Cells a key moves a divider."""
MIN_TREE, MIN_LIST_ROWS, MIN_PANE_WIDTH, MIN_PREVIEW_ROWS = 8, 3, 20, 3
SAVE_AFTER = 0.5
"""Seconds of quiet after a size key before the sizes are written (a held key writes once)."""


class PaneLayout:
    """Applies the configured layout and the remembered sizes to the main screen's panes."""

    def __init__(
        self,
        screen: Widget,
        config: UiConfig,
        sizes: PaneSizes,
        *,
        tree: Widget,
        messages: Widget,
        preview: Widget,
        reader_divider: Divider,
    ) -> None:
        self.screen, self.config, self.sizes = screen, config, sizes
        self.tree, self.messages, self.preview = tree, messages, preview
        self.reader_divider = reader_divider
        self.current = ""
        """The layout shown ("" until the first width is known)."""
        self.zoomed = False
        """``Z``: the preview alone, whatever the layout."""
        self.reading = False
        """The preview has focus (in ``list``, that opens it full screen)."""

    @property
    def full_preview(self) -> bool:
        """True while the preview is shown alone."""
        return self.zoomed or (self.current == "list" and self.reading)

    def resized(self, width: int) -> None:
        """The terminal is ``width`` columns wide: ``auto`` may pick another layout."""
        layout = self.config.layout_for(width)
        if layout != self.current:
            self.current = layout
            self.apply()

    def focus_moved(self, widget: Widget | None) -> None:
        """Focus went to ``widget``: the pager opens with the preview, closes without it."""
        was_full = self.full_preview
        self.reading = widget is self.preview
        self.zoomed = self.zoomed and self.reading
        if self.full_preview != was_full:  # else nothing shown changes (most focus moves)
            self.apply()

    def toggle_full_preview(self) -> Widget:
        """``Z``: the preview alone, or the panes again; returns the pane to focus."""
        if self.full_preview:
            self.zoomed = False
            self.apply()
            return self.messages if self.current == "list" else self.preview
        self.zoomed = True
        self.apply()
        return self.preview

    def apply(self) -> None:
        """Set the screen's layout classes and the panes' sizes."""
        screen, layout, full = self.screen, self.current, self.full_preview
        for name in ("three-pane", "wide", "list"):
            screen.set_class(layout == name, f"-{name}")
        screen.set_class(full, "-full-preview")
        screen.set_class(layout == "list" and not full, "-no-preview")
        self.reader_divider.set_class(layout == "wide", "-vertical")
        self.apply_sizes()

    def apply_sizes(self) -> None:
        """Inline sizes where the user chose one; the stylesheet's defaults elsewhere."""
        sizes, tree, messages = self.sizes, self.tree.styles, self.messages.styles
        tree.width = sizes.tree_width
        tree.max_width = sizes.tree_width  # a chosen width beats the 25% cap
        messages.height = sizes.list_height if self.current == "three-pane" else None
        messages.width = sizes.list_width if self.current == "wide" else None

    # ------------------------------------------------------------------ sizes

    def resize_tree(self, delta: int) -> None:
        """Widen (``delta`` > 0) or narrow the folder tree."""
        self.set_tree_width((self.sizes.tree_width or self.tree.outer_size.width) + delta)

    def set_tree_width(self, width: int) -> None:
        """The tree ``width`` cells wide (kept between a few cells and half the screen)."""
        most = max(self.screen.size.width // 2, MIN_TREE)
        self.sizes.tree_width = max(MIN_TREE, min(width, most))
        self.apply_sizes()

    def resize_list(self, delta: int) -> None:
        """Grow (``delta`` > 0) or shrink the list against the preview."""
        if self.current == "three-pane":
            self.set_list_size((self.sizes.list_height or self.messages.outer_size.height) + delta)
        elif self.current == "wide":
            self.set_list_size((self.sizes.list_width or self.messages.outer_size.width) + delta)

    @property
    def reader(self) -> Widget:
        """The container of the list and the preview."""
        return self.messages.parent if isinstance(self.messages.parent, Widget) else self.messages

    def set_list_size(self, cells: int) -> None:
        """The list's height (``three-pane``) or width (``wide``), leaving the preview room."""
        room = self.reader.size
        if self.current == "three-pane":
            most = max(room.height - 1 - MIN_PREVIEW_ROWS, MIN_LIST_ROWS)
            self.sizes.list_height = max(MIN_LIST_ROWS, min(cells, most))
        elif self.current == "wide":
            most = max(room.width - 1 - MIN_PANE_WIDTH, MIN_PANE_WIDTH)
            self.sizes.list_width = max(MIN_PANE_WIDTH, min(cells, most))
        self.apply_sizes()

    def dragged(self, divider: Divider, x: int, y: int) -> None:
        """A divider held at screen cell (``x``, ``y``): the pane before it ends there."""
        if divider is self.reader_divider:
            origin = self.reader.region.offset
            self.set_list_size(x - origin.x if self.current == "wide" else y - origin.y)
        else:
            self.set_tree_width(x - self.tree.region.x)


class LayoutActions:
    """The main screen's layout keys and handlers (a mixin of ``MainScreen``)."""

    folder_tree: FolderTree
    message_list: MessageList
    preview: MessagePreview
    panes: PaneLayout
    tree_divider: Divider
    reader_divider: Divider
    _layout_state: Path | None
    _save_timer: Timer | None

    def _screen(self) -> Screen[None]:
        return cast("Screen[None]", self)

    def setup_layout(self, config: UiConfig, state_file: Path | None) -> None:
        """Build the dividers and the layout (called once by the screen's ``__init__``).

        ``state_file``: where the pane sizes are remembered (None: not remembered).
        """
        self.tree_divider = Divider(id="tree-divider", vertical=True)
        self.reader_divider = Divider(id="reader-divider")
        self._layout_state, self._save_timer = state_file, None
        sizes = load_sizes(state_file) if state_file is not None else PaneSizes()
        self.panes = PaneLayout(
            self._screen(),
            config,
            sizes,
            tree=self.folder_tree,
            messages=self.message_list,
            preview=self.preview,
            reader_divider=self.reader_divider,
        )

    def on_mount(self) -> None:
        self.panes.resized(self._screen().app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self.panes.resized(event.size.width)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.panes.focus_moved(event.widget)

    def on_divider_dragged(self, event: Divider.Dragged) -> None:
        self.panes.dragged(event.divider, event.x, event.y)

    def on_divider_released(self, event: Divider.Released) -> None:
        self._save_soon()

    def action_toggle_full_preview(self) -> None:
        self.panes.toggle_full_preview().focus()

    def action_grow_list(self) -> None:
        self.panes.resize_list(STEP)
        self._save_soon()

    def action_shrink_list(self) -> None:
        self.panes.resize_list(-STEP)
        self._save_soon()

    def action_widen_tree(self) -> None:
        self.panes.resize_tree(STEP)
        self._save_soon()

    def action_narrow_tree(self) -> None:
        self.panes.resize_tree(-STEP)
        self._save_soon()

    def _save_soon(self) -> None:
        if self._layout_state is None:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self._screen().set_timer(SAVE_AFTER, self._save)

    def _save(self) -> None:
        self._save_timer = None
        if self._layout_state is not None:  # a file write: off the loop
            job = partial(save_sizes, self._layout_state, replace(self.panes.sizes))
            self._screen().run_worker(job, thread=True, group="layout", exit_on_error=False)
