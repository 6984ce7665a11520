"""SMTP faults through the real send path (``SendQueue``): the message stays, is never sent twice.

``tests/integration/test_smtp.py`` covers each fault at ``send_from_outbox`` level
(refused RCPT 550/421/452, DATA refused, drop after DATA, untrusted certificate,
no STARTTLS, wrong password). Here the same path is driven as the app drives
it, through ``SendQueue`` and its outbox, for what is left: connection refused
then a retry, a 421 greeting, a permanent refusal never retried, two resends
racing, and TLS breaking halfway. aiosmtpd is the server except for the 421
greeting and the broken TLS handshake, which a tiny scripted socket server
fakes (aiosmtpd cannot be made to misbehave that way).
"""

from __future__ import annotations

import socket
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import EventLog
from tui_mail.backend import api
from tui_mail.backend.send.outbox import Outbox
from tui_mail.backend.send.pipeline import SendQueue
from tui_mail.backend.send.smtp import DeliveryError
from tui_mail.config import AccountConfig, Config, FolderOverrides, GeneralConfig, ServerConfig
from tui_mail.demo import smtp_server as smtp_module
from tui_mail.demo.processes import free_port
from tui_mail.demo.smtp_server import SmtpServer
from tui_mail.errors import MailError, NotFound, SendError
from tui_mail.models import Address, Draft

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]


def _queue(tmp_path: Path, port: int, *, security: str = "starttls", ca_file: Path | None = None,
           password: str = "pw") -> tuple[SendQueue, Outbox, EventLog]:
    server = ServerConfig("127.0.0.1", port, security, "sender", ca_file=ca_file)  # type: ignore[arg-type]
    account = AccountConfig(
        name="work", email="me@example.org", display_name="Me",
        imap=ServerConfig("127.0.0.1", 1), smtp=server, folders=FolderOverrides(save_sent=False),
    )
    config = Config(tmp_path / "config.toml", GeneralConfig(), {"work": account})
    outbox = Outbox(tmp_path / "outbox")
    log = EventLog()

    def no_imap(command: api.Command) -> Future[Any]:
        raise AssertionError(f"no IMAP step expected, got {command!r}")

    queue = SendQueue(config, outbox, log, no_imap, lambda account, message: no_imap(None),  # type: ignore[arg-type]
                      lambda name: password)
    return queue, outbox, log


def _draft(subject: str = "fault test") -> Draft:
    return Draft(account="work", from_=Address("Me", "me@example.org"),
                 to=[Address("You", "you@example.com")], subject=subject, body="hello\n")


def _plain_server(password: str = "pw") -> SmtpServer:
    return SmtpServer("sender", password, auth_require_tls=False)


def _failure(future: Future[Any]) -> BaseException:
    with pytest.raises(MailError) as caught:
        future.result(30)
    return caught.value


def test_connection_refused_keeps_the_message_and_a_resend_delivers_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    queue, outbox, log = _queue(tmp_path, port, security="none")
    error = _failure(queue.send(_draft()))
    assert isinstance(error, DeliveryError) and error.step == "connect" and not error.permanent
    (entry,) = outbox.list()
    assert entry.last_step == "connect" and entry.last_error and not entry.smtp_accepted
    assert log.wait_for(lambda: [e.pending for e in log.of(api.OutboxChanged)] == [1])
    assert queue.retry_due() == []  # backing off: not due at once
    monkeypatch.setattr(smtp_module, "free_port", lambda: port)  # the server comes up on that port
    with _plain_server() as server:
        outcome = queue.resend(entry.id).result(30)
        assert outcome.delivered_now and outcome.removed
        assert outbox.list() == []
        with pytest.raises(NotFound):
            queue.resend(entry.id).result(30)
        assert queue.retry_due() == []
        assert len(server.wait_for_messages(1)) == 1
        assert len(server.messages) == 1
    # The event follows the Future's result (it is sent from the same thread just after).
    assert log.wait_for(lambda: log.of(api.OutboxChanged)[-1].pending == 0)


class _ScriptedSmtp(threading.Thread):
    """FAKE SMTP server on loopback: ``greeting``, then optionally a STARTTLS that breaks.

    Used only for what aiosmtpd cannot be made to do: a 421 greeting, and
    answering STARTTLS with 220 and then garbage instead of a TLS handshake.
    """

    def __init__(self, greeting: bytes, break_tls: bool = False) -> None:
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.greeting = greeting
        self.break_tls = break_tls
        self.received = b""
        self.connections = 0

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(5)
                self._session(conn)

    def _session(self, conn: socket.socket) -> None:
        conn.sendall(self.greeting)
        if not self.break_tls:
            return
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            self.received += data
            if data.upper().startswith((b"EHLO", b"HELO")):
                conn.sendall(b"250-fake\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")
            elif data.upper().startswith(b"STARTTLS"):
                conn.sendall(b"220 go ahead\r\n")
                conn.sendall(b"this is not a TLS record\r\n" * 4)
                return
            else:
                conn.sendall(b"500 what\r\n")

    def close(self) -> None:
        self.listener.close()


def _send_through(fake: _ScriptedSmtp, tmp_path: Path, **options: Any) -> tuple[BaseException, Outbox]:
    """Send one draft through a SendQueue to ``fake``; (the failure, the outbox)."""
    fake.start()
    try:
        queue, outbox, _ = _queue(tmp_path, fake.port, **options)
        return _failure(queue.send(_draft())), outbox
    finally:
        fake.close()


def test_421_greeting_is_temporary_and_nothing_is_lost(tmp_path: Path) -> None:
    fake = _ScriptedSmtp(b"421 4.3.2 service not available, try later\r\n")
    error, outbox = _send_through(fake, tmp_path, security="none")
    assert isinstance(error, DeliveryError) and not error.permanent
    assert error.step == "connect" and "service not available" in str(error), str(error)
    (entry,) = outbox.list()
    assert not entry.permanent and not entry.smtp_accepted and entry.attempts == 1


def test_tls_handshake_breaking_is_a_tls_error_and_no_password_leaks(tmp_path: Path) -> None:
    fake = _ScriptedSmtp(b"220 fake ESMTP\r\n", break_tls=True)
    error, outbox = _send_through(fake, tmp_path, password="secret-pw")
    assert isinstance(error, DeliveryError) and error.step == "tls"
    assert b"AUTH" not in fake.received.upper() and b"secret" not in fake.received
    (entry,) = outbox.list()
    assert entry.last_step == "tls" and not entry.smtp_accepted


def test_implicit_tls_against_a_plain_server_fails_cleanly(tmp_path: Path) -> None:
    with _plain_server() as server:
        queue, outbox, _ = _queue(tmp_path, server.port, security="tls")
        error = _failure(queue.send(_draft()))
        assert isinstance(error, DeliveryError) and error.step in ("connect", "tls")
        assert len(outbox.list()) == 1 and server.messages == []


def test_permanent_rcpt_refusal_is_never_retried(tmp_path: Path) -> None:
    with _plain_server() as server:
        server.fail_rcpt(550, "5.1.1 no such user")
        queue, outbox, log = _queue(tmp_path, server.port, security="none")
        error = _failure(queue.send(_draft()))
        assert isinstance(error, DeliveryError) and error.permanent and error.code == 550
        (entry,) = outbox.list()
        assert entry.permanent and "no such user" in entry.last_error
        assert log.wait_for(lambda: any("no such user" in e.last_error for e in log.of(api.OutboxChanged)))
        server.clear_faults()
        assert queue.retry_due() == []  # a permanent failure waits for the user
        assert outbox.due() == [] and server.messages == []


def test_racing_resends_of_one_entry_deliver_it_once(tmp_path: Path) -> None:
    with _plain_server() as server:
        server.fail_rcpt(451, "4.3.0 try again later")
        queue, outbox, _ = _queue(tmp_path, server.port, security="none")
        error = _failure(queue.send(_draft()))
        assert isinstance(error, DeliveryError) and not error.permanent
        (entry,) = outbox.list()
        server.clear_faults()
        futures = [queue.resend(entry.id) for _ in range(4)]
        results: list[object] = []
        for future in futures:
            try:
                results.append(future.result(30))
            except (SendError, NotFound) as exc:  # "being sent already", or already gone
                results.append(exc)
        delivered = [r for r in results if getattr(r, "delivered_now", False)]
        assert len(delivered) == 1, results
        assert len(server.wait_for_messages(1)) == 1
        assert len(server.messages) == 1 and outbox.list() == []
