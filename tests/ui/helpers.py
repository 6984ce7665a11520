"""Helpers shared by the UI tests (test modules import these, never each other).

- waiting: :func:`settle` (the app is quiet), :func:`wait_until`, :class:`LagProbe`;
- mail for the cache-backed double: :func:`seeded`, :func:`threaded`;
- real servers: :func:`real_app`, :func:`opened`, :func:`on_server`, :func:`current_id`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.ui.service_double import CacheBackedService, make_summary
from tui_mail.models import FLAGGED, SEEN, Address, FolderRole

# ---------------------------------------------------------------------------- waiting


async def settle(pilot: Any, app: Any, timeout: float = 10.0) -> None:
    """Let workers, backend jobs and the (delayed) view refresh finish: quiet twice in a row."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        screen = app.main_screen
        busy = any(w.is_running for w in app.workers) or (
            screen is not None and screen._refresh_pending
        )
        quiet = 0 if busy else quiet + 1


async def wait_until(pilot: Any, predicate: Callable[[], Any], timeout: float = 15.0) -> None:
    """Let the app run until ``predicate()`` holds (fails the test after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.05)


class LagProbe:
    """A 50 ms interval timer on the app's loop that records its largest gap."""

    def __init__(self, app: Any) -> None:
        self.largest = 0.0
        self._last = time.monotonic()
        self._timer = app.set_interval(0.05, self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        self.largest = max(self.largest, now - self._last)
        self._last = now

    def stop(self) -> None:
        self._timer.stop()


# ---------------------------------------------------------------------------- seeded mail

PEOPLE = [
    Address("Ada Lovelace", "ada@example.org"),
    Address("Grace Hopper", "grace@example.org"),
    Address("", "linus@example.org"),
    Address("Margaret Hamilton", "margaret@example.org"),
]

SUBJECTS = ["Quarterly report", "Lunch on Friday?", "Build is green again", "Release notes draft"]

ATTACHMENT_MESSAGE = (
    b"From: Ada Lovelace <ada@example.org>\r\nTo: Me <me@example.org>\r\n"
    b"Subject: Slides and notes\r\nMessage-ID: <att@example.org>\r\n"
    b"Date: Sat, 14 Mar 2026 14:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
    b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere are the slides and my notes.\r\n"
    b"--XX\r\nContent-Type: application/pdf\r\n"
    b'Content-Disposition: attachment; filename="slides.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    b"JVBERi0xLjQK\r\n--XX--\r\n"
)


def seeded(double: CacheBackedService) -> None:
    """Twenty messages from four people, some read or flagged, plus one with an attachment."""
    summaries = [
        make_summary(
            uid,
            from_=(PEOPLE[uid % 4],),
            subject=SUBJECTS[uid % 4] + ("" if uid < 5 else f" #{uid}"),
            flags=frozenset({SEEN} if uid % 3 else set())
            | (frozenset({FLAGGED}) if uid % 7 == 0 else frozenset()),
        )
        for uid in range(180, 200)
    ]
    double.add("INBOX", summaries)
    attachment = make_summary(
        200,
        from_=(PEOPLE[0],),
        subject="Slides and notes",
        has_attachment=True,
        message_id="<att@example.org>",
    )
    double.add("INBOX", [attachment], {200: ATTACHMENT_MESSAGE})


def threaded(double: CacheBackedService) -> None:
    """Two threads and a lone message."""
    seeded(double)
    double.add(
        "INBOX",
        [
            make_summary(201, subject="Plans", message_id="<p1@x>", from_=(PEOPLE[0],)),
            make_summary(
                202,
                subject="Re: Plans",
                message_id="<p2@x>",
                in_reply_to="<p1@x>",
                references=("<p1@x>",),
                from_=(PEOPLE[1],),
            ),
            make_summary(
                203,
                subject="Re: Plans",
                message_id="<p3@x>",
                in_reply_to="<p2@x>",
                references=("<p1@x>", "<p2@x>"),
                from_=(PEOPLE[3],),
            ),
            make_summary(
                204,
                subject="Re: Plans",
                message_id="<p4@x>",
                in_reply_to="<p1@x>",
                references=("<p1@x>",),
                from_=(PEOPLE[2],),
            ),
        ],
    )


# ---------------------------------------------------------------------------- real servers


def real_app(imap_server: Any, tmp_path: Path, **config_options: Any) -> Any:
    """The app as the CLI builds it, on a real server (short backend timings)."""
    from tests.integration.backend_helpers import FAST
    from tui_mail.app import TuiMailApp
    from tui_mail.backend import MailServiceImpl
    from tui_mail.config import load_config

    config = load_config(imap_server.config_toml(tmp_path, **config_options))
    return TuiMailApp(
        config,
        lambda listener: MailServiceImpl(
            config, listener, cache_dir=tmp_path / "cache", options=FAST
        ),
    )


def on_server(imap_server: Any, folder: str) -> dict[str, frozenset[str]]:
    """Message-ID -> flags of a folder, read with a second, independent connection."""
    from tests.integration.backend_helpers import other_client

    client = other_client(imap_server)
    try:
        client.select_folder(imap_server_folder(client, folder), readonly=True)
        uids = client.search("ALL")
        found: dict[str, frozenset[str]] = {}
        for data in client.fetch(uids, ["ENVELOPE", "FLAGS"]).values() if uids else ():
            message_id = (data[b"ENVELOPE"].message_id or b"").decode()
            flags = frozenset(f.decode() for f in data[b"FLAGS"] if f != b"\\Recent")
            found[message_id] = flags
        return found
    finally:
        client.logout()


def imap_server_folder(client: Any, folder: str) -> str:
    """The server's name for a ``/``-separated folder (Dovecot may use ``.``)."""
    for _flags, delimiter, name in client.list_folders():
        sep = delimiter.decode() if isinstance(delimiter, bytes) else (delimiter or "/")
        if name.replace(sep, "/") == folder:
            return str(name)
    return folder


async def opened(pilot: Any, app: Any, imap_server: Any) -> Any:
    """Wait until INBOX is synced and listed; return the main screen."""
    await wait_until(pilot, lambda: app.main_screen is not None)
    screen = app.main_screen
    await wait_until(pilot, lambda: len(screen.message_list.rows) == imap_server.seeded["INBOX"])
    await wait_until(pilot, lambda: screen.folder_tree.folder_by_role("test", FolderRole.TRASH))
    await settle(pilot, app)
    return screen


def current_id(screen: Any) -> str:
    return str(screen.message_list.current.summary.message_id)
