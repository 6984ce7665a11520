"""Choose which attachments to save and where; the writing is ``tui_mail.save``'s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Static

from tui_mail.mail.filenames import safe_filename
from tui_mail.mail.render import format_size
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import Attachment
from tui_mail.ui.screens.dialogs import FormDialog, dialog_css

DEFAULT_DIRECTORY = "~/Downloads"


@dataclass(frozen=True)
class SaveRequest:
    """What the user chose: the target directory (``~`` expanded) and attachment indexes."""

    directory: Path
    indexes: list[int]
    """``Attachment.index`` values, in the order listed."""


class SaveAttachmentsScreen(FormDialog[SaveRequest | None]):
    """Pick a directory and the attachments to save into it.

    ``SaveAttachmentsScreen(attachments, *, directory="~/Downloads")``:
    ``attachments`` are the message's ``Attachment``s (all ticked at first,
    listed by their *safe* names, i.e. the names they will get);
    ``directory`` is the last one used (the caller remembers it). Dismisses
    with a :class:`SaveRequest` on Save / Enter in the directory input, or
    ``None`` on Escape / Cancel. Nothing is written here: the caller runs
    ``tui_mail.save.save_attachment`` in a thread for each chosen index.
    """

    DEFAULT_CSS = (
        dialog_css("SaveAttachmentsScreen")
        + """
    SaveAttachmentsScreen #save-list { height: auto; max-height: 14; margin-top: 1; }
    SaveAttachmentsScreen #save-note { color: $warning; }
    """
    )

    FIRST_FOCUS = "#save-directory"

    def __init__(
        self, attachments: Sequence[Attachment], *, directory: str = DEFAULT_DIRECTORY
    ) -> None:
        super().__init__()
        self.attachments = list(attachments)
        self.directory = directory

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Save attachments"), classes="dialog-title")
            yield Input(self.directory, placeholder="directory", id="save-directory")
            with VerticalScroll(id="save-list"):
                for position, attachment in enumerate(self.attachments):
                    label = Text(f"{safe_filename(attachment.filename)}", end="")
                    label.append(
                        f"  {clean_line(attachment.content_type, 80)}, {format_size(attachment.size)}",
                        style="dim",
                    )
                    yield Checkbox(label, value=True, id=f"save-item-{position}")
            yield Static(Text(""), id="save-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="save-cancel")
                yield Button("Save", id="save-ok", variant="primary", classes="dialog-ok")

    def chosen_indexes(self) -> list[int]:
        """``Attachment.index`` of every ticked row."""
        return [
            attachment.index
            for position, attachment in enumerate(self.attachments)
            if self.query_one(f"#save-item-{position}", Checkbox).value
        ]

    def submit(self) -> None:
        """Dismiss with a :class:`SaveRequest`, or say what is missing."""
        raw_directory = self.query_one("#save-directory", Input).value.strip()
        note = self.query_one("#save-note", Static)
        if not raw_directory:
            note.update(Text("Type a directory to save into."))
            return
        indexes = self.chosen_indexes()
        if not indexes:
            note.update(Text("Tick at least one attachment."))
            return
        self.dismiss(SaveRequest(Path(raw_directory).expanduser(), indexes))
