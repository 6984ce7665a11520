"""Helpers of the daily-use UI tests (issue 18): list mail on the real servers, toasts.

- :func:`list_message`: a list message whose List-Post differs from its To and From;
- :func:`add_to_inbox`: APPEND it with a second connection before the app starts
  (and count it in ``imap_server.seeded``, which :func:`tests.ui.helpers.opened` waits for);
- :func:`toasts`: the notification texts the app showed.
"""

from __future__ import annotations

import uuid
from typing import Any

LIST_ADDRESS = "python-list@lists.example.org"
LEAVE_ADDRESS = "python-leave@lists.example.org"


def list_message(
    *,
    unsubscribe_url: str = "",
    one_click: bool = True,
    mailto: bool = True,
    subject: str = "[python] Packaging in 2026",
    body: str = "Hello list.",
) -> bytes:
    """Newer than the whole corpus (so it is the top row); From and To are not the list."""
    ways = []
    if mailto:
        ways.append(f"<mailto:{LEAVE_ADDRESS}?subject=unsubscribe>")
    if unsubscribe_url:
        ways.append(f"<{unsubscribe_url}>")
    head = [
        "From: Grace Hopper <grace@example.org>",
        "To: Ada Lovelace <ada@example.org>",
        f"Subject: {subject}",
        f"Message-ID: <list-{uuid.uuid4().hex[:8]}@lists.example.org>",
        "Date: Mon, 02 Mar 2026 09:45:00 +0000",
        "List-Id: Python users <python-list.lists.example.org>",
        f"List-Post: <mailto:{LIST_ADDRESS}>",
        *([f"List-Unsubscribe: {', '.join(ways)}"] if ways else []),
        *(["List-Unsubscribe-Post: List-Unsubscribe=One-Click"] if one_click else []),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    return ("\r\n".join(head) + f"\r\n\r\n{body}\r\n").encode()


def add_to_inbox(imap_server: Any, raw: bytes, flags: tuple[str, ...] = ()) -> None:
    """APPEND ``raw`` to INBOX with an independent connection; count it as seeded."""
    from tests.integration.backend_helpers import other_client

    client = other_client(imap_server)
    try:
        client.append("INBOX", raw, flags)
    finally:
        client.logout()
    imap_server.seeded["INBOX"] = imap_server.seeded.get("INBOX", 0) + 1


def toasts(app: Any) -> list[str]:
    """Every notification message the app has shown so far."""
    return [str(n.message) for n in app._notifications]


def plain_message_with_links(*urls: str, subject: str = "Three links") -> bytes:
    """A text/plain message (no HTML part) naming ``urls`` in running text; newest of all."""
    lines = [f"Link {i}: {url}." if i % 2 else f"See <{url}> too" for i, url in enumerate(urls)]
    head = [
        "From: Ada Lovelace <ada@example.org>",
        "To: Test User <test@example.org>",
        f"Subject: {subject}",
        f"Message-ID: <links-{uuid.uuid4().hex[:8]}@example.org>",
        "Date: Mon, 02 Mar 2026 09:50:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    return ("\r\n".join(head) + "\r\n\r\n" + "\r\n".join(lines) + "\r\n").encode()
