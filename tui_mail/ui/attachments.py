"""Saving (``s``) and opening (``o``) the shown message's attachments and links.

``s``: the user picks attachments and a directory in ``SaveAttachmentsScreen``;
decoding (``mail.parse.attachment_bytes``) and writing (``save.save_attachment``,
which keeps every file inside the chosen directory) run in a thread, never on
the loop. The outcome is a toast naming the files, or what went wrong.

``o``: a fuzzy picker lists the links (the HTML part's, else the URLs of the
plain text) and attachments; a link is then opened, copied or given to a
command (``ui/daily/links.py``; a link whose text shows another address than
its target asks before it opens); an attachment is written to a
private temporary folder and handed to the desktop's opener. Launching goes
through :class:`Opener`, which tests replace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual.app import App

from tui_mail.errors import MailError
from tui_mail.mail.html import text_links
from tui_mail.mail.parse import attachment_bytes
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import Attachment, Link, MessageBody
from tui_mail.save import save_attachment
from tui_mail.ui.daily.links import LinkChooser
from tui_mail.ui.screens.folder_picker import FolderPickerScreen
from tui_mail.ui.screens.save_attachments import SaveAttachmentsScreen, SaveRequest


def write_attachments(
    raw: bytes, attachments: Sequence[Attachment], request: SaveRequest
) -> tuple[list[Path], list[str]]:
    """Decode and save the chosen attachments: (paths written, one line per failure)."""
    by_index = {attachment.index: attachment for attachment in attachments}
    written: list[Path] = []
    failures: list[str] = []
    for index in request.indexes:
        attachment = by_index.get(index)
        if attachment is None:
            continue
        try:
            data = attachment_bytes(raw, index)
            written.append(save_attachment(request.directory, attachment.filename, data))
        except (OSError, ValueError, MailError) as error:
            failures.append(f"{clean_line(attachment.filename, 80)}: {clean_line(str(error), 200)}")
    return written, failures


class Opener:
    """Hands a URL or a file to the desktop (``webbrowser``, ``xdg-open``); tests replace it."""

    def open_url(self, url: str) -> None:
        """Open ``url`` in the browser (blocking: call it in a thread)."""
        import webbrowser

        webbrowser.open(url)

    def open_file(self, path: Path) -> None:
        """Open a file with the desktop's default program (no shell; blocking)."""
        import subprocess
        import sys

        command = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.run([command, str(path)], check=False, timeout=30, capture_output=True)


def open_choices(body: MessageBody) -> dict[str, Link | Attachment]:
    """Picker labels (sanitised, unique) -> the link or attachment they stand for.

    The links are the HTML part's, or those written in a plain-text body (a
    regex over up to megabytes of text: call it on a thread).
    """
    choices: dict[str, Link | Attachment] = {}
    links = body.links or (() if body.from_html else text_links(body.text))
    for link in links:
        warning = "  (deceptive!)" if link.deceptive else ""
        choices[f"[{link.number}] {clean_line(link.url, 300)}{warning}"] = link
    for attachment in body.attachments:
        choices[f"attachment {attachment.index + 1}: {clean_line(attachment.filename, 120)}"] = (
            attachment
        )
    return choices


def write_private_copy(raw: bytes, attachment: Attachment) -> Path:
    """The attachment's bytes in a fresh 0700 temporary folder (for the opener)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="tui-mail-"))
    return save_attachment(folder, attachment.filename, attachment_bytes(raw, attachment.index))


class AttachmentOpener:
    """The ``o`` key: pick a link or attachment of the shown message and open it."""

    def __init__(self, app: App[Any], opener: Opener | None = None) -> None:
        self.app = app
        self.opener = opener or Opener()
        self.links = LinkChooser(app, lambda url: self.opener.open_url(url))

    def ask(self, body: MessageBody | None, raw: bytes | None) -> None:
        """Offer the links and attachments (a toast when there are none)."""
        if body is None or raw is None:
            self.app.notify("Show a message first", severity="warning")
            return
        self.app.run_worker(self._ask(body, raw), group="open", exit_on_error=False)

    async def _ask(self, body: MessageBody, raw: bytes) -> None:
        choices = await asyncio.to_thread(open_choices, body)
        if not choices:
            self.app.notify("This message has no links or attachments", severity="warning")
            return

        def picked(label: str | None) -> None:
            if label is not None and label in choices:
                self._open(choices[label], raw)

        title = "Open link or attachment"
        self.app.push_screen(FolderPickerScreen(list(choices), title=title), picked)

    def _open(self, target: Link | Attachment, raw: bytes) -> None:
        if isinstance(target, Attachment):
            job = self._open_attachment(raw, target)
            self.app.run_worker(job, group="open", exit_on_error=False)
        else:
            self.links.choose(target)  # open (a deceptive link asks), copy, or a command

    async def _open_attachment(self, raw: bytes, attachment: Attachment) -> None:
        try:
            path = await asyncio.to_thread(write_private_copy, raw, attachment)
            await asyncio.to_thread(self.opener.open_file, path)
        except (OSError, ValueError, MailError) as error:
            self.app.notify(
                f"Cannot open: {clean_line(str(error), 200)}", severity="error", markup=False
            )
            return
        self.app.notify(f"Opened {clean_line(path.name, 120)}", markup=False)


class AttachmentSaver:
    """Asks where to save, then writes off the loop; remembers the last directory."""

    def __init__(self, app: App[Any], directory: str) -> None:
        self.app = app
        self.directory = directory

    def ask(self, body: MessageBody | None, raw: bytes | None) -> None:
        """Offer the attachments of the shown message (a toast when there are none)."""
        if body is None or raw is None or not body.attachments:
            self.app.notify("This message has no attachments to save", severity="warning")
            return
        attachments = body.attachments

        def chosen(request: SaveRequest | None) -> None:
            if request is not None and request.indexes:
                self.directory = str(request.directory)
                self.app.run_worker(
                    self._save(raw, attachments, request), group="save", exit_on_error=False
                )

        self.app.push_screen(SaveAttachmentsScreen(attachments, directory=self.directory), chosen)

    async def _save(
        self, raw: bytes, attachments: Sequence[Attachment], request: SaveRequest
    ) -> None:
        written, failures = await asyncio.to_thread(write_attachments, raw, attachments, request)
        if written:
            names = ", ".join(clean_line(path.name, 80) for path in written)
            self.app.notify(
                f"Saved {names} in {clean_line(str(request.directory), 200)}", markup=False
            )
        for failure in failures:
            self.app.notify(f"Not saved: {failure}", severity="error", markup=False)
