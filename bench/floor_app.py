"""The floor: a bare Textual app that draws one line (issue #8).

Whatever tui-mail does, it cannot reach its first screen faster than Python
importing Textual and painting once; the benchmark reports tui-mail as a
ratio to this. ``q`` quits.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

#: What the driver waits for.
READY_TEXT = "bench-floor-ready"


class FloorApp(App[None]):
    """One static line; nothing else."""

    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        """The single line."""
        yield Static(READY_TEXT)


if __name__ == "__main__":
    FloorApp().run()
