"""The help screen: every key binding, grouped by where it applies.

The list is generated from the keymap registry (``ui/keymap.py``) with the
user's remapping applied, never written by hand, so a remapped key shows here
as it works.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_mail.ui.keymap import SCOPE_TITLES, HelpRow


def help_text(rows: Sequence[HelpRow], titles: Mapping[str, str] = SCOPE_TITLES) -> Text:
    """The help body: one titled block per scope, in the order the rows come."""
    key_width = max((len(row.keys) for row in rows), default=0) + 2
    text = Text(end="")
    current_scope: str | None = None
    for row in rows:
        if row.scope != current_scope:
            if current_scope is not None:
                text.append("\n")
            text.append(f"{titles.get(row.scope, row.scope.title())}\n", style="bold underline")
            current_scope = row.scope
        text.append(f"  {row.keys.ljust(key_width)}", style="bold cyan")
        text.append(f"{row.description}\n")
    if not rows:
        text.append("No key bindings are registered.")
    return text


class HelpScreen(ModalScreen[None]):
    """A modal listing key bindings by area.

    ``HelpScreen(rows, titles=SCOPE_TITLES)``: ``rows`` is usually
    ``keymap.help_rows(keymap.user_keys_of(app))`` (any ``HelpRow`` sequence,
    grouped by scope in the order given); ``titles`` maps a scope to its
    heading. Escape, ``q`` or ``?`` closes it; it dismisses with ``None``.
    """

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; max-width: 95%; height: 80%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    HelpScreen #help-footer { color: $text-muted; margin-top: 1; }
    """

    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close help", show=False),
    ]

    def __init__(self, rows: Sequence[HelpRow], titles: Mapping[str, str] = SCOPE_TITLES) -> None:
        super().__init__()
        self.rows = list(rows)
        self.titles = dict(titles)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as scroll:
            scroll.border_title = "Keys"
            yield Static(help_text(self.rows, self.titles), id="help-text", markup=False)
            yield Static(Text("Escape, q or ? closes this help."), id="help-footer", markup=False)

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
