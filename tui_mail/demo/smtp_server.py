"""A local SMTP server on aiosmtpd that keeps what it receives.

Used by the demo (mail to the demo address lands in its IMAP INBOX through the
``deliver_to`` hook) and by the SMTP tests, which read ``.messages`` and can
provoke failures a well-behaved server would not give:

- ``fail_rcpt(code, text)``: every RCPT TO is answered with that error;
- ``fail_data(code, text)``: the message is refused after DATA (nothing kept);
- ``drop_after_data()``: the message is kept, then the connection is closed
  without a reply (the client cannot know whether it was delivered);
- ``clear_faults()``: back to normal. Faults stay until cleared.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tui_mail.demo.processes import LOOPBACK, free_port

log = logging.getLogger(__name__)
# aiosmtpd logs every command to "mail.log"; without this an app with no logging
# setup would get its warnings printed over the terminal UI by logging's last resort.
logging.getLogger("mail.log").addHandler(logging.NullHandler())
DeliverHook = Callable[[bytes, list[str]], None]
_START_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One accepted message: envelope sender, recipients and the bytes after DATA."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


class _Handler:
    """aiosmtpd hooks; reads the faults and stores messages on its ``SmtpServer``."""

    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.owner._rcpt_fault:
            return self.owner._rcpt_fault
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.owner._data_fault:
            return self.owner._data_fault
        data = envelope.original_content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        received = ReceivedMessage(str(envelope.mail_from), tuple(envelope.rcpt_tos), data)
        self.owner._record(received)
        if self.owner._drop_after_data:
            if server.transport is not None:
                server.transport.close()
            return "421 connection dropped on purpose"
        hook = self.owner.deliver_to
        if hook is not None:
            try:
                await asyncio.get_running_loop().run_in_executor(
                    None, hook, data, list(received.rcpt_tos)
                )
            except Exception:
                log.exception("local delivery failed")
                return "451 local delivery failed, try again later"
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a free 127.0.0.1 port with AUTH PLAIN/LOGIN and optional STARTTLS.

    ``tls_context`` enables STARTTLS; ``require_starttls`` refuses mail before
    it. AUTH is refused before TLS whenever TLS is offered (``auth_require_tls``
    defaults to that); pass ``auth_require_tls=False`` to allow AUTH in clear,
    which is only sane on loopback.
    """

    host = LOOPBACK
    #: The aiosmtpd handler made for each start (tests add AUTH mechanisms in a subclass).
    handler_class: type[_Handler] = _Handler

    def __init__(
        self,
        username: str = "demo",
        password: str = "demo-password",
        *,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
        auth_require_tls: bool | None = None,
        auth_required: bool = True,
        deliver_to: DeliverHook | None = None,
        ca_file: Path | None = None,
    ) -> None:
        self.username = username
        self.password = password
        self.port = 0
        self.tls_context = tls_context
        self.require_starttls = require_starttls
        self.auth_require_tls = (
            tls_context is not None if auth_require_tls is None else auth_require_tls
        )
        self.auth_required = auth_required
        self.deliver_to = deliver_to
        #: The PEM a client must trust for STARTTLS (informational; set by whoever made the cert).
        self.ca_file = ca_file
        self._messages: list[ReceivedMessage] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._controller: Controller | None = None
        self._rcpt_fault: str | None = None
        self._data_fault: str | None = None
        self._drop_after_data = False

    # --- faults -----------------------------------------------------------------

    def fail_rcpt(self, code: int = 550, text: str = "5.1.1 No such user") -> None:
        """Answer every RCPT TO with ``code text`` until cleared."""
        self._rcpt_fault = f"{code} {text}"

    def fail_data(self, code: int = 554, text: str = "5.6.0 Message rejected") -> None:
        """Refuse every message after DATA with ``code text`` until cleared."""
        self._data_fault = f"{code} {text}"

    def drop_after_data(self) -> None:
        """Keep each message but close the connection instead of answering DATA."""
        self._drop_after_data = True

    def clear_faults(self) -> None:
        """Behave normally again."""
        self._rcpt_fault = None
        self._data_fault = None
        self._drop_after_data = False

    # --- received mail ----------------------------------------------------------

    def _record(self, message: ReceivedMessage) -> None:
        with self._arrived:
            self._messages.append(message)
            self._arrived.notify_all()

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A snapshot of every message received so far, oldest first."""
        with self._lock:
            return list(self._messages)

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Block until at least ``count`` messages arrived (or ``timeout``); return them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._messages) < count and time.monotonic() < deadline:
                self._arrived.wait(max(0.0, deadline - time.monotonic()))
            return list(self._messages)

    # --- lifecycle --------------------------------------------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (
            auth_data.login.decode(errors="replace") == self.username
            and auth_data.password.decode(errors="replace") == self.password
        )
        # handled=False: aiosmtpd itself answers 235 or 535.
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        """Listen on a free loopback port (retried if another process takes it); a restart reuses its port."""
        if self._controller is not None:
            return
        if not self.auth_require_tls:
            # Deliberate (loopback only); aiosmtpd warns on every connection otherwise.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
        last_error: Exception | None = None
        for attempt in range(_START_ATTEMPTS):
            if attempt or not self.port:  # a restart keeps its port (clients know it)
                self.port = free_port()
            controller = Controller(
                self.handler_class(self),
                hostname=self.host,
                port=self.port,
                server_hostname="localhost",
                ready_timeout=10.0,
                tls_context=self.tls_context,
                require_starttls=self.require_starttls,
                authenticator=self._authenticate,
                auth_required=self.auth_required,
                auth_require_tls=self.auth_require_tls,
            )
            try:
                controller.start()
            except Exception as exc:  # the port went to someone else; pick another
                last_error = exc
                continue
            self._controller = controller
            return
        raise RuntimeError(f"SMTP server did not start: {last_error}")

    def stop(self) -> None:
        """Stop listening; received messages stay readable."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
