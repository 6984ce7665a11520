"""``demo_session()``: everything ``tui-mail --demo`` runs on, started and cleaned up.

A temp dir; pymap (plain IMAP) and aiosmtpd (no TLS, AUTH allowed in clear on
loopback) on free 127.0.0.1 ports; ~200 INBOX messages plus the other folders
seeded over IMAP; mail sent to ``demo@example.org`` delivered into the INBOX;
a config file with one account, ``demo``. On leaving the ``with`` block (normal
exit, Ctrl+C or an exception) both servers stop and the temp dir is removed.

What the caller (the CLI) must do inside the block: ``os.environ.update(session.env)``
(cache, state and log dirs inside the temp dir, so the demo never touches the
user's files; the password variable is already set in this process), then
load ``session.config_path`` and run the app on it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from imapclient import IMAPClient

from tui_mail.demo.config_file import write_config
from tui_mail.demo.corpus import DEMO_ADDRESS, DEMO_NAME, FIXED_NOW, iter_messages
from tui_mail.demo.pymap_server import PymapServer
from tui_mail.demo.seed import seed_over_imap
from tui_mail.demo.smtp_server import DeliverHook, SmtpServer

DEMO_ACCOUNT = "demo"
DEMO_PASSWORD_ENV = "TUI_MAIL_DEMO_PASSWORD"
DEMO_INBOX_SIZE = 200


@dataclass(frozen=True, slots=True)
class DemoSession:
    """A running demo: its config file, the environment to run the app in, its servers."""

    config_path: Path
    env: dict[str, str]
    """Set these before starting the app: password, cache/state/log dirs."""
    cache_dir: Path
    root: Path
    imap: PymapServer
    smtp: SmtpServer


def _inbox_delivery(imap: PymapServer) -> DeliverHook:
    """The SMTP hook: APPEND mail for the demo address to the demo INBOX."""

    def deliver(data: bytes, recipients: list[str]) -> None:
        if not any(r.strip().lower() == DEMO_ADDRESS for r in recipients):
            return
        client = IMAPClient(imap.host, imap.port, ssl=False, timeout=10)
        try:
            client.login(imap.username, imap.password)
            client.append("INBOX", data, (), datetime.now(UTC))
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    return deliver


@contextlib.contextmanager
def demo_session(
    inbox_size: int = DEMO_INBOX_SIZE, seed: int = 1, now: datetime = FIXED_NOW
) -> Iterator[DemoSession]:
    """Start and seed the demo servers; stop them and delete everything on exit.

    ``now`` is the corpus's "now" (default fixed, so the demo looks the same
    every run; pass ``datetime.now(UTC)`` for mail that looks recent).
    """
    root = Path(tempfile.mkdtemp(prefix="tui-mail-demo-"))
    password = "demo-" + uuid.uuid4().hex[:12]
    imap = PymapServer("demo", password)
    smtp = SmtpServer("demo", password, auth_require_tls=False, deliver_to=_inbox_delivery(imap))
    previous_password = os.environ.get(DEMO_PASSWORD_ENV)

    def cleanup() -> None:
        smtp.stop()
        imap.stop()
        shutil.rmtree(root, ignore_errors=True)
        if previous_password is None:
            os.environ.pop(DEMO_PASSWORD_ENV, None)
        else:
            os.environ[DEMO_PASSWORD_ENV] = previous_password

    atexit.register(cleanup)  # covers sys.exit() paths that skip the with block's end
    try:
        smtp.start()
        imap.start()
        seed_over_imap(
            imap.host,
            imap.port,
            imap.username,
            password,
            iter_messages(seed=seed, inbox_size=inbox_size, now=now),
        )
        os.environ[DEMO_PASSWORD_ENV] = password
        config_path = write_config(
            root / "config" / "config.toml",
            DEMO_ACCOUNT,
            email=DEMO_ADDRESS,
            display_name=DEMO_NAME,
            imap={
                "host": imap.host,
                "port": imap.port,
                "security": "none",
                "username": imap.username,
                "password_env": DEMO_PASSWORD_ENV,
            },
            smtp={"host": smtp.host, "port": smtp.port, "security": "none"},
            general={"index_bodies": "all"},  # so `/` finds words in every demo body
        )
        cache_dir = root / "cache"
        env = {
            DEMO_PASSWORD_ENV: password,
            "TUI_MAIL_CONFIG": str(config_path),
            "TUI_MAIL_CACHE_DIR": str(cache_dir),
            "TUI_MAIL_STATE_DIR": str(root / "state"),
            "TUI_MAIL_LOG_DIR": str(root / "log"),
        }
        yield DemoSession(config_path, env, cache_dir, root, imap, smtp)
    finally:
        cleanup()
        atexit.unregister(cleanup)
