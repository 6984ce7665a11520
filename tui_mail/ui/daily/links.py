"""What to do with a link picked with ``o``: open it, copy it, or hand it to a command.

- Open: the desktop's browser (a link whose text shows another address asks first);
- Copy: the app itself writes the OSC 52 sequence (``App.copy_to_clipboard``) with
  the sanitised URL base64-encoded; nothing from the mail reaches the terminal raw;
- Run a command: the user types it (remembered for the session); it is split with
  ``shlex`` and run without a shell, the URL replacing ``{url}`` or added last,
  on a thread with a timeout; the toast says how it ended.
"""

from __future__ import annotations

import asyncio
import shlex
import subprocess
from collections.abc import Callable
from typing import Any

from textual.app import App

from tui_mail.mail.sanitize import clean_line
from tui_mail.models import Link
from tui_mail.ui.daily.name_dialog import AskLineScreen
from tui_mail.ui.screens.dialogs import Choice, ConfirmScreen

COMMAND_TIMEOUT = 30.0
LINK_CHOICES = (
    Choice("open", "Open", "o", "primary"),
    Choice("copy", "Copy", "c"),
    Choice("command", "Run a command", "r"),
    Choice("cancel", "Cancel", "n"),
)


def command_argv(command: str, url: str) -> list[str]:
    """``shlex`` words of ``command`` with ``{url}`` replaced (or the URL added last)."""
    words = shlex.split(command)
    if any("{url}" in word for word in words):
        return [word.replace("{url}", url) for word in words]
    return [*words, url]


def run_command(argv: list[str]) -> str:
    """Run ``argv`` (no shell, no stdin, a timeout): a one-line account of how it ended."""
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"{argv[0]} did not run: {error}"
    return f"{argv[0]} exited with {done.returncode}"


class LinkChooser:
    """Asks what to do with a link and does it; ``open_url`` hands a URL to the browser."""

    def __init__(self, app: App[Any], open_url: Callable[[str], None]) -> None:
        self.app = app
        self.open_url = open_url
        self.command = ""
        """The last command typed (offered again)."""

    def choose(self, link: Link) -> None:
        """Show the link's real target and the three ways to use it."""
        url = clean_line(link.url, 2000)
        question = f"Link {link.number}:\n{url}"

        def chosen(answer: str | None) -> None:
            if answer == "open":
                self._open(link)
            elif answer == "copy":
                self.app.copy_to_clipboard(url)
                self.app.notify(f"Copied {clean_line(url, 200)}", timeout=3, markup=False)
            elif answer == "command":
                self._ask_command(url)

        self.app.push_screen(ConfirmScreen(question, LINK_CHOICES, title="Link"), chosen)

    def _open(self, link: Link) -> None:
        if not link.deceptive:
            self._run_open(link.url)
            return
        question = (
            f"The text of this link shows {link.text!r}, but it goes to:\n{link.url}\n\n"
            "Open it anyway?"
        )

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self._run_open(link.url)

        self.app.push_screen(ConfirmScreen(question, title="Deceptive link"), answered)

    def _run_open(self, url: str) -> None:
        async def open_it() -> None:
            await asyncio.to_thread(self.open_url, url)
            self.app.notify(f"Opened {clean_line(url, 200)}", markup=False)

        self.app.run_worker(open_it(), group="open", exit_on_error=False)

    def _ask_command(self, url: str) -> None:
        prompt = "Command to run on the link ({url} stands for it, else it is added last):"

        def typed(command: str | None) -> None:
            if not command:
                return
            self.command = command
            try:
                argv = command_argv(command, url)
            except ValueError as error:  # unbalanced quotes
                self.app.notify(f"Cannot read the command: {error}", severity="error")
                return
            self.app.run_worker(self._run(argv), group="open", exit_on_error=False)

        self.app.push_screen(AskLineScreen("Run a command", prompt, self.command), typed)

    async def _run(self, argv: list[str]) -> None:
        outcome = await asyncio.to_thread(run_command, argv)
        self.app.notify(clean_line(outcome, 300), timeout=5, markup=False)
