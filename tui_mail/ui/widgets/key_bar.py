"""The key bar: the focused pane's keys on one line, in place of Textual's ``Footer``.

Textual's ``Footer`` is a container of one ``FooterKey`` widget per binding and
recomposes all of them whenever the bindings change, which they do on every
focus change: measured on Textual 8.2.8, Enter in the list (focus to the
preview) spent most of its ~90 ms of event-loop time mounting, styling and
laying out ~50 footer widgets. This bar is one widget drawing one
``rich.text.Text``: a focus change costs a look at ``Screen.active_bindings``
and, when the keys shown differ, a repaint of one line (never a layout).

The keys come from the screen's active bindings, so they are the registry's
(``ui/keymap.py``) with the user's ``[keys]`` remapping applied, exactly what
the footer showed: bindings with ``show=True``, the first key of each action,
disabled ones dimmed, the command palette key on the right. A click on a key
presses it.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

_ENABLED = Style()
_DISABLED = Style(dim=True)
GAP = " "
"""Between two pairs, after the label's own trailing space."""


class KeyHint(NamedTuple):
    """One key shown: what to press, how it looks, what it does, whether it is enabled."""

    key: str
    display: str
    description: str
    enabled: bool


class KeyBar(Widget):
    """One line of key hints for the focused widget's bindings (like Textual's ``Footer``)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--separator"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold reverse;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--separator {
        color: $foreground 20%;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.hints: tuple[KeyHint, ...] = ()
        """The keys shown on the left, in the order of the focus chain (focused widget first)."""
        self.palette: KeyHint | None = None
        """The command palette key shown on the right (None when the app has no palette)."""
        self._spans: list[tuple[int, int, KeyHint]] = []
        """Cells (start, end) of each key drawn by the last render, for clicks."""
        self._update_pending = False
        self._strip: Strip | None = None
        """The line drawn for the hints and width shown (None: draw it again)."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._update_hints()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        # The signal can fire several times per key (focus, then reactives with
        # bindings=True): read the bindings once, after this round of messages.
        if screen is self.screen and not self._update_pending:
            self._update_pending = True
            self.call_later(self._update_hints)

    def _update_hints(self) -> None:
        """Read the screen's active bindings; repaint only when what is shown changed."""
        self._update_pending = False
        if not self.is_attached:
            return
        app = self.app
        active = self.screen.active_bindings
        hints: list[KeyHint] = []
        actions: set[str] = set()
        for _namespace, binding, enabled, _tooltip in active.values():
            if binding.show and binding.action not in actions:
                actions.add(binding.action)
                display = app.get_key_display(binding)
                hints.append(KeyHint(binding.key, display, binding.description, enabled))
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _namespace, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = KeyHint(
                binding.key, app.get_key_display(binding), binding.description, enabled
            )
        if (tuple(hints), palette) != (self.hints, self.palette):
            self.hints, self.palette = tuple(hints), palette
            self._strip = None
            self.refresh()

    def notify_style_update(self) -> None:
        """The CSS was applied again (a new theme, say): draw the line again."""
        super().notify_style_update()
        self._strip = None

    def on_resize(self) -> None:
        self._strip = None

    def render_line(self, y: int) -> Strip:
        """The one line, drawn straight to segments and kept until something changes.

        (``render`` gives it as ``Text``; through Textual's ``Content`` that costs a
        conversion and a wrap on every repaint.)
        """
        if self._strip is None:
            text = self.render()
            text.stylize_before(self.rich_style)
            self._strip = Strip(text.render(self.app.console), text.cell_len)
        return self._strip if y == 0 else Strip.blank(self.size.width, self.rich_style)

    def render(self) -> Text:
        """The bar's line as ``Text``: the keys on the left, the palette key on the right.

        Each key is a block in reverse video (``key-bar--key``) right before its
        label, and pairs are :data:`GAP` apart, so a key is never as close to the
        previous label as to its own. Only whole pairs are shown.
        """
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        width = self.size.width
        right = Text(end="")
        if self.palette is not None:
            right.append("▏", style=self.get_component_rich_style("key-bar--separator"))
            self._append(right, self.palette, key_style, description_style)
        room = max(width - right.cell_len, 0)
        left = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, KeyHint]] = []
        for hint in self.hints:
            pair = Text(end="")
            self._append(pair, hint, key_style, description_style)
            start = left.cell_len + (len(GAP) if spans else 0)
            if start + pair.cell_len > room:
                break
            if spans:
                left.append(GAP, style=description_style)
            left.append_text(pair)
            spans.append((start, left.cell_len, hint))
        left.truncate(room, pad=True)
        if self.palette is not None:
            spans.append((room, room + right.cell_len, self.palette))
        self._spans = [(start, end, hint) for start, end, hint in spans if start < width]
        return Text.assemble(left, right, no_wrap=True, overflow="crop", end="")

    @staticmethod
    def _append(text: Text, hint: KeyHint, key_style: Style, description_style: Style) -> None:
        """`` key ``, in reverse video, then ``description `` (both dimmed when disabled)."""
        dim = _ENABLED if hint.enabled else _DISABLED
        text.append(f" {hint.display} ", style=key_style + dim)
        text.append(f" {hint.description} ", style=description_style + dim)

    def on_click(self, event: events.Click) -> None:
        """Press the key under the pointer (a bell when it is disabled)."""
        for start, end, hint in self._spans:
            if start <= event.x < end:
                if hint.enabled:
                    self.app.simulate_key(hint.key)
                else:
                    self.app.bell()
                return
