"""Open in browser (``B``): the shown message's HTML part as a private file, nothing remote.

``mail.render.browser_page`` makes the page (a Content-Security-Policy first,
``cid:`` images inlined, refreshes and ``<link>`` dropped); it is written, off
the loop, to a fresh 0700 temporary folder as a 0600 file and handed to the
desktop's opener (the attachments' :class:`~tui_mail.ui.attachments.Opener`,
which tests replace).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any

from textual.app import App

from tui_mail.mail.render import browser_page


def write_private_page(page: str) -> Path:
    """``page`` in a new private folder (0700) as ``message.html`` (0600)."""
    folder = Path(tempfile.mkdtemp(prefix="tui-mail-html-"))
    path = folder / "message.html"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(page.encode("utf-8", "replace"))
    return path


def page_file(raw: bytes) -> Path | None:
    """Build and write the page (None: the message has no HTML part). Blocking."""
    page = browser_page(raw)
    return write_private_page(page) if page is not None else None


async def open_in_browser(app: App[Any], raw: bytes | None, opener: Any) -> None:
    """Write the shown message's page and open it (a toast when there is nothing to open)."""
    if raw is None:
        app.notify("Show a message first", severity="warning")
        return
    try:
        path = await asyncio.to_thread(page_file, raw)
        if path is None:
            app.notify("This message has no HTML part", severity="warning")
            return
        await asyncio.to_thread(opener.open_file, path)
    except OSError as error:
        app.notify(f"Cannot open it: {error.strerror or error}", severity="error", markup=False)
        return
    app.notify("Opened in the browser (remote content blocked)", timeout=4)
