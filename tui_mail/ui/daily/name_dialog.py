"""A one-line question (a folder's new name, a command): Enter answers, Escape cancels."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui_mail.mail.sanitize import clean_line, clean_text
from tui_mail.ui.screens.dialogs import FormDialog, dialog_css


class AskLineScreen(FormDialog[str | None]):
    """``AskLineScreen(title, prompt, value="")`` dismisses with the stripped text, or None.

    An empty answer is refused with a note (the dialog stays open). ``title``,
    ``prompt`` and ``value`` may quote server text (a folder name): all are shown
    sanitised, as ``rich.text.Text``.
    """

    DEFAULT_CSS = (
        dialog_css("AskLineScreen") + "AskLineScreen #ask-note { color: $warning; height: auto; }"
    )

    def __init__(self, title: str, prompt: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(clean_line(self.title_text)), classes="dialog-title")
            yield Static(Text(clean_text(self.prompt)))
            # The cursor after the old name: renaming mostly edits it, not replaces it.
            yield Input(clean_line(self.value), id="ask-line", select_on_focus=False)
            yield Static(Text(""), id="ask-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="ask-cancel")
                yield Button("OK", id="ask-ok", variant="primary", classes="dialog-ok")

    def submit(self) -> None:
        """Dismiss with the text typed (refused when empty)."""
        text = self.query_one("#ask-line", Input).value.strip()
        if not text:
            self.query_one("#ask-note", Static).update(Text("Type something first"))
            return
        self.dismiss(text)
