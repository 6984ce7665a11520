"""A fuzzy folder picker: type a few letters, pick a folder (move, copy, go to)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_mail.mail.sanitize import clean_line
from tui_mail.ui.fuzzy import fuzzy_filter
from tui_mail.ui.screens.dialogs import dialog_css


class FolderPickerScreen(ModalScreen[str | None]):
    """Pick a folder by fuzzy search.

    ``FolderPickerScreen(folders, *, title="Move to folder", exclude=())``:
    ``folders`` are the full folder names (as the server gives them, decoded);
    ``exclude`` hides some (e.g. the folder the messages are in). Typing
    filters the list, best match first; Up/Down move in the list; Enter picks
    the highlighted folder. Dismisses with the folder's full name (exactly as
    given, not the sanitised label) or ``None`` on Escape.
    """

    DEFAULT_CSS = (
        dialog_css("FolderPickerScreen")
        + """
    FolderPickerScreen #picker-list { height: auto; max-height: 16; margin-top: 1; }
    FolderPickerScreen #picker-none { color: $text-muted; }
    """
    )

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
    ]

    def __init__(
        self,
        folders: Sequence[str],
        *,
        title: str = "Move to folder",
        exclude: Sequence[str] = (),
    ) -> None:
        super().__init__()
        excluded = set(exclude)
        self.folders = [name for name in folders if name not in excluded]
        self.title_text = title
        self.matches: list[str] = list(self.folders)
        """The folders the list shows now, best first."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(clean_line(self.title_text)), classes="dialog-title")
            yield Input(placeholder="type to filter folders", id="picker-input")
            yield OptionList(id="picker-list")
            yield Static(Text(""), id="picker-none")

    def on_mount(self) -> None:
        self._refill("")
        self.query_one("#picker-input", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        option_list = self.query_one("#picker-list", OptionList)
        if self.matches and option_list.highlighted is not None:
            self.dismiss(self.matches[option_list.highlighted])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.matches[event.option_index])

    def action_move(self, step: int) -> None:
        """Move the highlight while the typing stays in the input."""
        option_list = self.query_one("#picker-list", OptionList)
        if not self.matches:
            return
        current = option_list.highlighted or 0
        option_list.highlighted = max(0, min(len(self.matches) - 1, current + step))

    def action_cancel(self) -> None:
        """Escape: no folder."""
        self.dismiss(None)

    def _refill(self, query: str) -> None:
        self.matches = fuzzy_filter(query, self.folders)
        matcher = Matcher(query) if query else None
        options = []
        for name in self.matches:
            label = clean_line(name, 300)
            prompt = matcher.highlight(label) if matcher else Text(label)
            options.append(Option(prompt))
        option_list = self.query_one("#picker-list", OptionList)
        option_list.clear_options()
        option_list.add_options(options)
        if options:
            option_list.highlighted = 0
        none = Text("No folder matches." if query and not options else "")
        self.query_one("#picker-none", Static).update(none)
