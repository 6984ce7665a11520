"""IdleWatcher: a second connection that waits in IDLE on INBOX (DESIGN.md section 3).

It never touches the cache: when the server reports a change (EXISTS, EXPUNGE,
FETCH, VANISHED), the burst is collected and ``on_change(folder)`` is called once;
the service then queues a SyncFolder on the account worker. ``idle_check`` runs
with a short timeout so stopping is quick; after a quiet spell the watcher does
a NOOP liveness check, and it re-issues IDLE well before the 29-minute limit
(RFC 2177). Servers without IDLE are polled with NOOP.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from tui_mail.backend.backoff import Backoff
from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import AccountConfig
from tui_mail.errors import AuthError, MailError

log = logging.getLogger(__name__)

CHANGE_WORDS = {b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED"}
#: A burst ends after this much quiet...
BURST_QUIET = 0.3
#: ...or after this long, so a steady stream of changes still gets reported.
BURST_MAX = 2.0


def is_change(response: Any) -> bool:
    """True for an untagged response that means the folder changed."""
    if not isinstance(response, tuple) or not response:
        return False
    words = {part.upper() for part in response[:2] if isinstance(part, bytes)}
    return bool(words & CHANGE_WORDS)


class IdleWatcher(threading.Thread):
    """Watches one folder of one account and reports changes (see module docstring)."""

    def __init__(
        self,
        account: AccountConfig,
        password: Callable[[], str | None],
        on_change: Callable[[str], None],
        *,
        folder: str = "INBOX",
        backoff: Backoff | None = None,
        check_timeout: float = 10.0,
        liveness_after: float = 120.0,
        reidle_after: float = 25 * 60,
        poll_interval: float = 60.0,
        timeout: float = 60.0,
        use_idle: bool = True,
    ) -> None:
        super().__init__(name=f"imap-idle-{account.name}", daemon=True)
        self.use_idle = use_idle
        """False polls even where IDLE is offered (for servers whose IDLE misbehaves)."""
        self.account = account
        self.folder = folder
        self._password = password
        self._on_change = on_change
        self.backoff = backoff or Backoff()
        self.check_timeout = min(check_timeout, 30.0)
        self.liveness_after = liveness_after
        self.reidle_after = min(reidle_after, 28 * 60)
        self.poll_interval = poll_interval
        self.timeout = timeout
        self._stopping = threading.Event()
        self._session: ImapSession | None = None
        self.watching = threading.Event()
        """Set while IDLE (or polling) is active: tests wait on it."""
        self.uses_idle: bool | None = None
        self._connected_before = False

    def request_stop(self) -> None:
        """Ask the thread to end soon without waiting (see :meth:`stop`)."""
        self._stopping.set()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread within about ``timeout`` s (the socket is shut to wake it)."""
        self._stopping.set()
        session = self._session
        if session is not None:
            session.abort()
        self.join(timeout)

    def run(self) -> None:
        while not self._stopping.is_set():
            password = self._password()
            if password is None:  # the worker has not logged in yet: wait for it
                self._stopping.wait(0.5)
                continue
            try:
                self._session = self._connect(password)
                self.backoff.reset()
                if self._connected_before:
                    self._report()  # changes while we were away sent no EXISTS to us
                self._connected_before = True
                if self.use_idle and self._session.has("IDLE"):
                    self.uses_idle = True
                    self._idle_loop(self._session)
                else:
                    self.uses_idle = False
                    self._poll_loop(self._session)
            except AuthError as exc:
                log.info(
                    "%s: IDLE login refused (%s); waiting for the worker", self.account.name, exc
                )
                self._wait_for_new_password(password)
            except MailError as exc:
                log.info("%s: IDLE connection lost: %s", self.account.name, exc)
                self._stopping.wait(self.backoff.next_delay())
            finally:
                self.watching.clear()
                session, self._session = self._session, None
                if session is not None:
                    session.abort()

    def _connect(self, password: str) -> ImapSession:
        session = ImapSession.open(
            self.account,
            password,
            timeout=self.timeout,
            # It only needs to hear that something changed (EXISTS, EXPUNGE): no QRESYNC.
            sync_extensions=False,
            on_connected=self._watch_session,  # so stop() can break a hanging login
        )
        session.select(self.folder, readonly=True)
        return session

    def _watch_session(self, session: ImapSession) -> None:
        self._session = session

    def _wait_for_new_password(self, rejected: str) -> None:
        while not self._stopping.is_set() and self._password() == rejected:
            self._stopping.wait(0.5)

    def _idle_loop(self, session: ImapSession) -> None:
        session.idle()
        self.watching.set()
        idle_since = last_heard = time.monotonic()
        while not self._stopping.is_set():
            responses = session.idle_check(self.check_timeout)
            if self._stopping.is_set():
                return
            now = time.monotonic()
            if responses:
                last_heard = now
            if any(is_change(r) for r in responses):
                self._collect_burst(session)
                self._report()
            if now - idle_since >= self.reidle_after:
                self._report_if_changed(session.idle_done())
                session.idle()
                idle_since = last_heard = time.monotonic()
            elif now - last_heard >= self.liveness_after:
                # Silence may mean a dead connection: leave IDLE, NOOP, go back.
                self._report_if_changed(session.idle_done())
                self._report_if_changed(session.noop())
                session.idle()
                last_heard = time.monotonic()

    def _collect_burst(self, session: ImapSession) -> None:
        """Swallow the rest of a burst so it becomes one event."""
        deadline = time.monotonic() + BURST_MAX
        while not self._stopping.is_set() and time.monotonic() < deadline:
            if not session.idle_check(BURST_QUIET):
                return

    def _poll_loop(self, session: ImapSession) -> None:
        self.watching.set()
        while not self._stopping.wait(self.poll_interval):
            self._report_if_changed(session.noop())

    def _report_if_changed(self, responses: list[Any]) -> None:
        if any(is_change(r) for r in responses):
            self._report()

    def _report(self) -> None:
        try:
            self._on_change(self.folder)
        except Exception:
            log.exception("IDLE change handler failed")
