"""Fixtures for the POP3 tests (issue 16): Dovecot's POP3 on 127.0.0.1.

- ``pop3_dovecot`` (session): a private Dovecot serving IMAP and POP3 (plain
  with STLS, and POP3S) from ``tests/servers/dovecot.py`` with ``pop3=True``.
- ``pop3_server`` (per test): a :class:`~tests.servers.pop3_account.Pop3Account`,
  a new user holding ``@pytest.mark.pop3_mail(n)`` sample messages (3 by default).
"""

from __future__ import annotations

import pytest

from tests.servers.dovecot import DovecotServer
from tests.servers.pop3_account import Pop3Account, pop3_account


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pop3_mail(n): how many messages `pop3_server` holds")


@pytest.fixture
def pop3_server(
    request: pytest.FixtureRequest, pop3_dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> Pop3Account:
    """A fresh POP3 mailbox with sample mail."""
    marker = request.node.get_closest_marker("pop3_mail")
    count = int(marker.args[0]) if marker else 3
    return pop3_account(pop3_dovecot, monkeypatch.setenv, count)
