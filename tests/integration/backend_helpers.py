"""Shared helpers for the IMAP backend integration tests (real Dovecot and pymap)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from imapclient import IMAPClient

from tests.servers.account import ImapAccount
from tui_mail.backend import BackendEvent, MailServiceImpl, ServiceOptions
from tui_mail.config import Config, load_config

E = TypeVar("E", bound=BackendEvent)

#: Short timings so reconnects and IDLE checks happen within a test's patience.
FAST = ServiceOptions(
    backoff_initial=0.1,
    backoff_max=0.5,
    idle_check_timeout=1.0,
    idle_liveness_after=5.0,
    poll_interval=1.0,
    timeout=10.0,
)


def account_config(
    server: Any,
    tmp_path: Path,
    *,
    security: str = "none",
    password: str | None = None,
) -> Config:
    """A one-account ("test") Config for an ``ImapAccount`` (see ``tests/servers/account.py``)."""
    return load_config(server.config_toml(tmp_path, security=security, password=password))


class EventLog:
    """Collects backend events from any thread; tests wait on it."""

    def __init__(self) -> None:
        self.events: list[BackendEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: BackendEvent) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: type[E]) -> list[E]:
        """The events of one type so far, in order."""
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll ``predicate`` until it holds or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()


@contextmanager
def running_service(
    config: Config, tmp_path: Path, options: ServiceOptions = FAST
) -> Iterator[tuple[MailServiceImpl, EventLog]]:
    """A started MailServiceImpl with its events collected; always stopped."""
    log = EventLog()
    service = MailServiceImpl(config, log, cache_dir=tmp_path / "cache", options=options)
    service.start()
    try:
        yield service, log
    finally:
        started = time.monotonic()
        service.stop(5.0)
        assert time.monotonic() - started < 6.0, "stop() must be bounded"


def other_client(server: Any) -> IMAPClient:
    """A second, independent client (plain IMAP on loopback), logged in."""
    client = IMAPClient(server.host, server.port, ssl=False, timeout=10)
    client.login(server.username, server.password)
    return client


def make_message(index: int, subject: str = "message", extra_headers: str = "") -> bytes:
    """A small RFC 5322 message."""
    return (
        f"From: Sender {index} <sender{index}@example.org>\r\n"
        f"To: me@example.org\r\n"
        f"Subject: {subject} {index}\r\n"
        f"Message-ID: <m{index}.{uuid.uuid4().hex[:6]}@example.org>\r\n"
        f"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
        f"{extra_headers}"
        f"\r\n"
        f"Body of message {index}.\r\n"
    ).encode()


def server_state(server: Any, folder: str) -> dict[int, frozenset[str]]:
    """UID -> flags as the server has them now (read with a separate client)."""
    client = other_client(server)
    try:
        client.select_folder(folder, readonly=True)
        data = client.fetch(client.search("ALL"), ["FLAGS"])
        return {
            uid: frozenset(f.decode() for f in item[b"FLAGS"] if f != b"\\Recent")
            for uid, item in data.items()
        }
    finally:
        client.logout()


def write_maildir_folder(dovecot: Any, user: str, folder: str, count: int) -> None:
    """Put ``count`` messages straight into a Dovecot Maildir++ folder (APPEND is too slow).

    Every third message is \\Seen and every tenth \\Flagged, so flags are checked too.
    """
    root = dovecot.homes / user / "Maildir" / f".{folder}"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for index in range(count):
        flags = ("F" if index % 10 == 0 else "") + ("S" if index % 3 == 0 else "")
        name = f"{1700000000 + index}.M{index}P1.tui-mail-test:2,{flags}"
        (root / "cur" / name).write_bytes(make_message(index, "bulk"))
    dovecot.chown_maildir(user)


def dovecot_user(dovecot: Any, monkeypatch: pytest.MonkeyPatch) -> ImapAccount:
    """A fresh, empty user on the session Dovecot, shaped like the ``imap_server`` fixture."""
    name = "w" + uuid.uuid4().hex[:10]
    password = "pw-" + name
    dovecot.add_user(name, password)
    return ImapAccount(
        kind="dovecot",
        host=dovecot.host,
        port=dovecot.imap_port,
        username=name,
        password=password,
        capabilities=frozenset(),
        seeded={},
        corpus=[],
        set_env=monkeypatch.setenv,
        tls_port=dovecot.imaps_port,
        ca_file=dovecot.ca_file,
    )


def kill_dovecot_sessions(dovecot: Any) -> int:
    """End the imap processes of *our* test Dovecot (found by its instance name).

    Stopping the master leaves running sessions alive, so an outage test must
    end them too. Each process is matched on the instance name the test bed
    gives this Dovecot (``tui-mail-test-<port>``) and signalled by its pid.
    """
    marker = f"dovecot-tui-mail-test-{dovecot.imap_port}/".encode()
    killed = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
    return killed
