"""Editing a message body in the user's own editor (``$VISUAL``, ``$EDITOR``, else ``vi``).

The compose screen talks to a :class:`BodyEditor`, a one-method interface, so
tests can hand in their own: ``App.suspend()`` raises inside ``run_test()``.
:class:`ExternalEditor` is the real one: it suspends the app, writes the body
to a private temporary file, runs the editor on it and reads it back.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from textual.app import App, SuspendNotSupported

from tui_mail.errors import MailError


class EditorError(MailError):
    """The editor could not be started, or it failed (the body is left unchanged)."""


class BodyEditor(Protocol):
    """Something that lets the user edit a text and gives the result back."""

    async def edit(self, app: App[Any], text: str) -> str | None:
        """Return the edited text, or None when the user's edit should be dropped."""
        ...


def editor_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """The editor to run as an argv list: ``$VISUAL``, else ``$EDITOR``, else ``vi``."""
    env = os.environ if environ is None else environ
    for variable in ("VISUAL", "EDITOR"):
        value = env.get(variable, "").strip()
        if value:
            return shlex.split(value)
    return ["vi"]


def edit_text_with(command: Sequence[str], text: str) -> str:
    """Run ``command FILE`` on a private temp file holding ``text``; return the file's text.

    Blocks until the editor exits (call it with the terminal handed over).
    Raises :class:`EditorError` when the editor is missing or exits non-zero;
    the temp file is removed in every case.
    """
    fd, name = tempfile.mkstemp(prefix="tui-mail-", suffix=".eml")  # mkstemp: mode 0600
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        try:
            completed = subprocess.run([*command, str(path)], check=False)
        except OSError as exc:
            raise EditorError(f"Could not start the editor {command[0]!r}", str(exc)) from exc
        if completed.returncode != 0:
            raise EditorError(
                f"The editor exited with status {completed.returncode}; the body is unchanged"
            )
        return path.read_text(encoding="utf-8", errors="replace")
    finally:
        path.unlink(missing_ok=True)


class ExternalEditor:
    """The real :class:`BodyEditor`: suspends the app and runs ``command`` (default: the user's)."""

    def __init__(self, command: Sequence[str] | None = None) -> None:
        self.command = list(command) if command else editor_command()

    async def edit(self, app: App[Any], text: str) -> str | None:
        """Hand the terminal to the editor and return the edited text.

        Raises :class:`EditorError` when the app cannot be suspended (e.g. in
        a web terminal) or the editor fails.
        """
        try:
            with app.suspend():
                return edit_text_with(self.command, text)
        except SuspendNotSupported as exc:
            raise EditorError("This terminal cannot hand over to an external editor") from exc
