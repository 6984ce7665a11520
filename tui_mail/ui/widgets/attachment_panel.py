"""The compose screen's attachment list: add a file by path (with completion), remove one."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.suggester import Suggester
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_mail.mail.sanitize import clean_line

#: Directory entries looked at when completing a path (a huge folder must not stall).
MAX_COMPLETION_ENTRIES = 5000


def complete_path(value: str) -> str | None:
    """Complete ``value`` to the longest unambiguous path (``/`` after a directory), or None.

    Reads one directory listing; call it off the loop.
    """
    if not value:
        return None
    expanded = os.path.expanduser(value)
    directory, prefix = os.path.split(expanded)
    try:
        with os.scandir(directory or ".") as entries:
            names = []
            for count, entry in enumerate(entries):
                if count >= MAX_COMPLETION_ENTRIES:
                    break
                if entry.name.startswith(prefix) and (
                    prefix.startswith(".") or not entry.name.startswith(".")
                ):
                    names.append((entry.name, entry.is_dir()))
    except OSError:
        return None
    if not names:
        return None
    common = os.path.commonprefix([name for name, _is_dir in names])
    if len(names) == 1 and names[0][1]:
        common += "/"
    if len(common) <= len(prefix):
        return None
    return value + common[len(prefix) :]


class PathSuggester(Suggester):
    """Ghost-completes a file path (accepted with Right), listing directories in a thread."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        """The completed path, or None when nothing (or nothing more) matches."""
        return await asyncio.to_thread(complete_path, value)


class AttachmentPanel(Vertical):
    """Files to attach: a list (Delete removes the highlighted one) and a path field.

    ``AttachmentPanel(paths, id=...)``; :attr:`paths` holds the current list.
    :meth:`open_path_input` shows the path field (``ctrl+o`` on the compose
    screen); Enter there adds the file when it is a readable regular file,
    otherwise it says why and keeps the field open. Posts nothing: the screen
    reads :attr:`paths` when it builds the draft.
    """

    DEFAULT_CSS = """
    AttachmentPanel { height: auto; max-height: 10; padding: 0 1; }
    AttachmentPanel #attachment-list { height: auto; max-height: 6; }
    AttachmentPanel #attachment-title { color: $text-muted; }
    AttachmentPanel #attach-path { display: none; }
    AttachmentPanel.-adding #attach-path { display: block; }
    """

    BINDINGS = [Binding("delete,backspace", "remove", "Remove attachment", show=False)]

    def __init__(self, paths: Sequence[str] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.paths: list[str] = list(paths)

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="attachment-title")
        yield OptionList(id="attachment-list")
        yield Input(
            placeholder="path of a file to attach (Right completes, Enter adds, Escape closes)",
            suggester=PathSuggester(),
            id="attach-path",
        )

    def on_mount(self) -> None:
        self._refresh_list()

    @property
    def path_input_open(self) -> bool:
        """Whether the path field is shown."""
        return self.has_class("-adding")

    def open_path_input(self) -> None:
        """Show the path field and focus it."""
        self.add_class("-adding")
        self.query_one("#attach-path", Input).focus()

    def close_path_input(self) -> None:
        """Hide the path field and give the focus back to the body."""
        self.remove_class("-adding")
        self.query_one("#attach-path", Input).value = ""
        self.screen.query_one("#compose-body").focus()

    def add_path(self, raw: str) -> str | None:
        """Add a file; return why not (a sentence) or None when added."""
        if not raw.strip():
            return "Type the path of a file."
        path = Path(raw.strip()).expanduser()
        if not path.is_file():
            return f"Not a file: {clean_line(str(path), 200)}"
        if not os.access(path, os.R_OK):
            return f"Cannot read {clean_line(str(path), 200)}"
        resolved = str(path.resolve())
        if resolved not in self.paths:
            self.paths.append(resolved)
        self._refresh_list()
        return None

    def remove_at(self, position: int) -> None:
        """Remove the attachment at ``position`` in the list."""
        if 0 <= position < len(self.paths):
            del self.paths[position]
            self._refresh_list()

    def action_remove(self) -> None:
        """Delete the highlighted attachment."""
        option_list = self.query_one("#attachment-list", OptionList)
        if option_list.has_focus and option_list.highlighted is not None:
            self.remove_at(option_list.highlighted)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = self.add_path(event.value)
        if problem:
            self.notify(problem, severity="error")
            return
        self.close_path_input()

    def _refresh_list(self) -> None:
        option_list = self.query_one("#attachment-list", OptionList)
        option_list.clear_options()
        option_list.add_options(Option(Text(clean_line(path, 300))) for path in self.paths)
        option_list.display = bool(self.paths)
        title = (
            f"Attachments ({len(self.paths)}): Delete removes"
            if self.paths
            else "No attachments (ctrl+o adds one)"
        )
        self.query_one("#attachment-title", Static).update(Text(title))
