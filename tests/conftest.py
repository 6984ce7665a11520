"""Fixtures for real servers on 127.0.0.1: Dovecot, pymap and aiosmtpd.

- ``dovecot`` (session): one private Dovecot for the run (``tests/servers/dovecot.py``).
- ``pymap_server`` (session): one pymap process (a single in-memory user).
- ``imap_server`` (per test, ids ``dovecot`` and ``pymap``): an :class:`ImapAccount`
  for a FRESH mailbox seeded with the sample corpus: a new Dovecot user, or a new
  pymap process (pymap has one user per process; the next one boots in the
  background while a test runs, so a test does not wait for it).
  ``@pytest.mark.corpus(inbox_size=200, seed=3)`` asks for a different corpus;
  ``inbox_size=0`` with ``folders=False`` gives an empty mailbox.
- ``smtp_server`` (per test): aiosmtpd with STARTTLS (self-signed, ``.ca_file``)
  and AUTH, capturing ``.messages``.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.servers.account import ImapAccount, dovecot_account, pymap_account
from tests.servers.dovecot import DovecotServer
from tests.servers.tls import CertPair, make_self_signed_cert
from tui_mail.demo.corpus import SeedMessage, generate_mailbox
from tui_mail.demo.pymap_server import PymapServer
from tui_mail.demo.smtp_server import SmtpServer

#: INBOX size of the default test corpus (plus ~32 messages in the other folders).
TEST_INBOX_SIZE = 24
IMAP_KINDS = ("dovecot", "pymap")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "corpus(seed=1, inbox_size=24, folders=True, large_every=0): the mail `imap_server` seeds",
    )


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """The run's private Dovecot (plain IMAP + IMAPS), removed at the end."""
    server = DovecotServer()
    try:
        server.start()
        yield server
    finally:
        server.close(background=True)


@pytest.fixture(scope="session")
def pymap_server() -> Iterator[PymapServer]:
    """A pymap process shared by the run (one user; not isolated between tests)."""
    with PymapServer("shared", "shared-password") as server:
        yield server


@pytest.fixture(scope="session")
def test_cert(tmp_path_factory: pytest.TempPathFactory) -> CertPair:
    """A self-signed cert for localhost/127.0.0.1 (its PEM is its own CA)."""
    return make_self_signed_cert(tmp_path_factory.mktemp("tls"), "smtp")


def _corpus(request: pytest.FixtureRequest) -> list[SeedMessage]:
    marker = request.node.get_closest_marker("corpus")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    with_folders = options.pop("folders", True)
    options.setdefault("inbox_size", TEST_INBOX_SIZE)
    messages = generate_mailbox(**options)
    return messages if with_folders else [m for m in messages if m.folder == "INBOX"]


class _WarmPymap:
    """Hands out fresh pymap servers, booting the next one while a test runs."""

    def __init__(self) -> None:
        self._booter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pymap-booter")
        self._next: Future[PymapServer] | None = None

    @staticmethod
    def _boot() -> PymapServer:
        server = PymapServer("tester", "pw-" + uuid.uuid4().hex[:8])
        server.start()
        return server

    def take(self) -> PymapServer:
        """A started, empty server of one's own (stop it when done)."""
        server = self._next.result() if self._next is not None else self._boot()
        self._next = self._booter.submit(self._boot)
        return server

    def close(self) -> None:
        if self._next is not None:
            self._next.result().stop()
        self._booter.shutdown()


@pytest.fixture(scope="session")
def _warm_pymap() -> Iterator[_WarmPymap]:
    warm = _WarmPymap()
    try:
        yield warm
    finally:
        warm.close()


@pytest.fixture(params=IMAP_KINDS)
def imap_server(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ImapAccount]:
    """A fresh mailbox seeded with the corpus, on Dovecot and on pymap."""
    corpus = _corpus(request)
    if request.param == "dovecot":
        yield dovecot_account(request.getfixturevalue("dovecot"), monkeypatch.setenv, corpus)
        return
    with request.getfixturevalue("_warm_pymap").take() as pymap:
        yield pymap_account(pymap, monkeypatch.setenv, corpus)


@pytest.fixture
def smtp_server(test_cert: CertPair) -> Iterator[SmtpServer]:
    """aiosmtpd with STARTTLS (trust ``.ca_file``) and AUTH (``.username``/``.password``)."""
    context = test_cert.server_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    server = SmtpServer(
        "sender",
        "smtp-" + uuid.uuid4().hex[:8],
        tls_context=context,
        ca_file=Path(test_cert.ca_file),
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def pop3_dovecot() -> Iterator[DovecotServer]:
    """The run's private Dovecot with POP3 and IMAP (self-signed TLS), removed at the end.

    Shared by the POP3 tests and the discovery tests' certificate checks.
    """
    server = DovecotServer(pop3=True)
    try:
        server.start()
        yield server
    finally:
        server.close(background=True)
