"""Connecting: TLS verification, STARTTLS rules, login failures, error translation,
and ImapSession.open (the one connect + login the worker and the IDLE watcher use)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.demo.processes import free_port
from tui_mail.errors import AuthError, ConnectionLost, NotFound, TLSError

pytestmark = pytest.mark.integration


def _server(server: Any, security: str, ca_file: Path | None = None) -> ServerConfig:
    port = server.tls_port if security == "tls" else server.port
    return ServerConfig(server.host, port, security, server.username, ca_file=ca_file)  # type: ignore[arg-type]


def _account(server: Any, security: str = "none", ca_file: Path | None = None) -> AccountConfig:
    imap = _server(server, security, ca_file)
    return AccountConfig(name="t", email="u@example.com", display_name="U", imap=imap, smtp=None)


def test_open_logs_in_and_enables_what_sync_uses(imap_server: Any) -> None:
    session = ImapSession.open(_account(imap_server), imap_server.password, timeout=10)
    try:
        assert session.authenticated
        if session.has("ENABLE") and session.has("CONDSTORE"):  # Dovecot; pymap has neither
            assert "CONDSTORE" in session.enabled
        session.select("INBOX")
    finally:
        session.logout()


def test_open_without_sync_extensions_enables_nothing(imap_server: Any) -> None:
    seen: list[ImapSession] = []
    session = ImapSession.open(
        _account(imap_server), imap_server.password, sync_extensions=False, on_connected=seen.append
    )
    try:
        assert seen == [session] and session.authenticated
        assert session.enabled == frozenset()
    finally:
        session.logout()


def test_open_closes_the_connection_when_the_login_fails(imap_server: Any) -> None:
    seen: list[ImapSession] = []
    with pytest.raises(AuthError):
        ImapSession.open(_account(imap_server), "not-the-password", on_connected=seen.append)
    assert len(seen) == 1  # it was connected (before LOGIN) ...
    with pytest.raises(ConnectionLost):  # ... and is closed now
        seen[0].noop()


def test_open_over_starttls_with_ca_file(imap_server: Any) -> None:
    if imap_server.kind != "dovecot":
        pytest.skip("only the test Dovecot serves TLS")
    account = _account(imap_server, "starttls", imap_server.ca_file)
    session = ImapSession.open(account, imap_server.password, timeout=10)
    try:
        assert session.authenticated and session.tls_info() is not None
    finally:
        session.logout()


def test_wrong_password_is_an_auth_error(imap_server: Any) -> None:
    session = ImapSession.connect(_server(imap_server, "none"))
    try:
        with pytest.raises(AuthError):
            session.login(imap_server.username, "not-the-password")
    finally:
        session.abort()


def test_missing_folder_is_not_found(imap_server: Any) -> None:
    session = ImapSession.connect(_server(imap_server, "none"))
    session.login(imap_server.username, imap_server.password)
    try:
        with pytest.raises(NotFound):
            session.select("No/Such/Folder")
    finally:
        session.logout()


def test_nothing_listening_is_connection_lost() -> None:
    with pytest.raises(ConnectionLost) as caught:
        ImapSession.connect(ServerConfig("127.0.0.1", free_port(), "none", "x"), timeout=3)
    assert not isinstance(caught.value, TLSError)


def test_self_signed_certificate_needs_ca_file(dovecot: Any, imap_server: Any) -> None:
    if imap_server.kind != "dovecot":
        pytest.skip("only the test Dovecot serves TLS")
    with pytest.raises(TLSError) as caught:
        ImapSession.connect(_server(imap_server, "tls"))
    assert "certificate" in str(caught.value)
    session = ImapSession.connect(_server(imap_server, "tls", imap_server.ca_file))
    try:
        session.login(imap_server.username, imap_server.password)
        info = session.tls_info()
        assert info is not None and info.version.startswith("TLS")
    finally:
        session.logout()


def test_starttls_verifies_and_asks_capabilities_again(imap_server: Any) -> None:
    if imap_server.kind != "dovecot":
        pytest.skip("only the test Dovecot offers STARTTLS")
    with pytest.raises(TLSError):
        ImapSession.connect(_server(imap_server, "starttls"))
    session = ImapSession.connect(_server(imap_server, "starttls", imap_server.ca_file))
    try:
        assert session.tls_info() is not None
        assert "STARTTLS" not in session.capabilities  # the post-TLS list, asked again
        session.login(imap_server.username, imap_server.password)
        assert session.has("IDLE")
    finally:
        session.logout()


def test_starttls_not_offered_is_an_error_not_plain_text(imap_server: Any) -> None:
    if imap_server.kind != "pymap":
        pytest.skip("pymap runs without TLS, so it offers no STARTTLS")
    with pytest.raises(TLSError) as caught:
        ImapSession.connect(_server(imap_server, "starttls"))
    assert "STARTTLS" in str(caught.value)
