"""The POP3 app tests' shared pieces: the app on a POP3 account, and reading its store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.integration.backend_helpers import FAST
from tests.servers.pop3_account import Pop3Account
from tests.ui.helpers import settle, wait_until
from tui_mail.backend import MailServiceImpl, ServiceOptions
from tui_mail.backend.cache.store import MailCache
from tui_mail.config import load_config
from tui_mail.models import FolderRole

#: No poll within a test unless it asks for one (``$`` and opening INBOX fetch).
NO_POLL = replace(FAST, poll_interval=600.0)


def pop3_app(
    server: Pop3Account,
    tmp_path: Path,
    options: ServiceOptions = NO_POLL,
    **pop3_extra: Any,
) -> Any:
    """The app as the CLI builds it, on a POP3 account ``pop`` (cache under ``tmp_path``)."""
    path = server.config_toml(tmp_path, security="starttls", pop3_extra=pop3_extra or None)
    return app_on(path, tmp_path, options)


def app_on(path: Path, tmp_path: Path, options: ServiceOptions = NO_POLL) -> Any:
    """The app as the CLI builds it on the config file ``path`` (cache under ``tmp_path``)."""
    from tui_mail.app import TuiMailApp

    config = load_config(path)
    return TuiMailApp(
        config,
        lambda listener: MailServiceImpl(
            config, listener, cache_dir=tmp_path / "cache", options=options
        ),
    )


def subjects(screen: Any) -> list[str]:
    """The subjects of the message list's rows, top to bottom."""
    rows = screen.message_list.rows
    return [rows.row(i).summary.subject for i in range(len(rows))]


async def opened(pilot: Any, app: Any, count: int) -> Any:
    """Wait until INBOX lists ``count`` rows and the local folders are in the tree."""
    await wait_until(pilot, lambda: app.main_screen is not None)
    screen = app.main_screen
    await wait_until(pilot, lambda: len(screen.message_list.rows) == count)
    await wait_until(pilot, lambda: screen.folder_tree.folder_by_role("pop", FolderRole.TRASH))
    await settle(pilot, app)
    return screen


def stored(tmp_path: Path, folder: str) -> dict[str, frozenset[str]]:
    """Subject -> flags of a local folder, read from the store file itself."""
    cache = MailCache.open(tmp_path / "cache" / "pop.sqlite3", "pop")
    try:
        return {
            s.subject: s.flags for uid in cache.uids(folder) if (s := cache.summary(folder, uid))
        }
    finally:
        cache.close()
