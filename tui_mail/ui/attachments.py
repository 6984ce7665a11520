"""Saving the shown message's attachments (the ``s`` key).

The user picks the attachments and a directory in ``SaveAttachmentsScreen``;
decoding (``mail.parse.attachment_bytes``) and writing (``save.save_attachment``,
which keeps every file inside the chosen directory) run in a thread, never on
the loop. The outcome is a toast naming the files, or what went wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual.app import App

from tui_mail.errors import MailError
from tui_mail.mail.parse import attachment_bytes
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import Attachment, MessageBody
from tui_mail.save import save_attachment
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
