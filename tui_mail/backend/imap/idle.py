"""IdleWatcher: a second connection that waits in IDLE on INBOX (DESIGN.md section 3).

It never touches the cache: when the server reports a change (EXISTS, EXPUNGE,
FETCH, VANISHED), the burst is collected and ``on_change(folder)`` is called once;
the service then queues a SyncFolder on the account worker. ``idle_check`` runs
with a short timeout so stopping is quick, and IDLE is re-issued well before
the 29-minute limit (RFC 2177). On an OAuth2 account the connection is also
renewed, logging in with a fresh token, when the re-issue timer finds the token
it logged in with due for refresh (``exp - 300 s``): Microsoft ends a session at
its token's expiry, so this one ends first, on our terms, and then re-checks.

IDLE has to prove itself (issue 22): after ``verify_after`` s without a report,
or soon after the client's own change in the folder (:meth:`IdleWatcher.verify_soon`),
the watcher leaves IDLE and checks with STATUS, re-EXAMINing when STATUS
disagrees (:mod:`~tui_mail.backend.imap.idle_proof`). A change IDLE never
reported is announced, and from then on the folder is polled. Servers without
IDLE, and accounts with ``idle = "poll"``, are polled the same way.

The other folders are watched on the same connection (issue 21): NOTIFY's STATUS
lines where the server offers it, else a poll of every folder's counts
(:mod:`~tui_mail.backend.imap.folder_watch`); each folder that moved is passed
to ``on_change`` by name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from tui_mail.backend.auth.tokens import REFRESH_MARGIN, Credential
from tui_mail.backend.backoff import Backoff
from tui_mail.backend.imap.folder_watch import (
    FolderCountsPoll,
    is_status,
    notified_folders,
    start_notify,
)
from tui_mail.backend.imap.idle_proof import IdleProof, Verdict, any_change, examine, is_change
from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import AccountConfig
from tui_mail.errors import AuthError, MailError

__all__ = ["IdleWatcher", "is_change"]

log = logging.getLogger(__name__)

#: A burst ends after this much quiet...
BURST_QUIET = 0.3
#: ...or after this long, so a steady stream of changes still gets reported.
BURST_MAX = 2.0
#: After our own change, how long IDLE gets to report it before we check: a
#: server that pushes (Dovecot: about 0.5 s) then proves itself without a check.
VERIFY_SOON_DELAY = 2.0
#: The longest a polling watcher sleeps in one go, so verify_soon() is heard.
POLL_TICK = 1.0


class IdleWatcher(threading.Thread):
    """Watches one folder of one account and reports changes (see module docstring)."""

    def __init__(
        self,
        account: AccountConfig,
        password: Callable[[], Credential | None],
        on_change: Callable[[str], None],
        *,
        folder: str = "INBOX",
        backoff: Backoff | None = None,
        check_timeout: float = 10.0,
        liveness_after: float = 120.0,
        reidle_after: float = 25 * 60,
        poll_interval: float = 60.0,
        folder_poll_interval: float = 120.0,
        verify_after: float = 60.0,
        timeout: float = 60.0,
        use_idle: bool = True,
    ) -> None:
        super().__init__(name=f"imap-idle-{account.name}", daemon=True)
        self.use_idle = use_idle
        """False polls even where IDLE is offered (``idle = "poll"`` in the config)."""
        self.account = account
        self.folder = folder
        self._password = password
        self._on_change = on_change
        self.backoff = backoff or Backoff()
        self.check_timeout = min(check_timeout, 30.0)
        self.liveness_after = liveness_after
        self.reidle_after = min(reidle_after, 28 * 60)
        self.poll_interval = poll_interval
        self.verify_after = verify_after
        """Seconds without a report from IDLE before checking that none was missed."""
        self.timeout = timeout
        self._stopping = threading.Event()
        self._session: ImapSession | None = None
        self.watching = threading.Event()
        """Set while IDLE (or polling) is active: tests wait on it."""
        self.uses_idle: bool | None = None
        self.idle_silent = False
        """True once the server was found not to report in IDLE: it is polled from then on."""
        self._connected_before = False
        self._proof = IdleProof(folder)
        self._due_lock = threading.Lock()
        self._check_due = 0.0  # time.monotonic() of the next check (IDLE) or poll
        self._folders = FolderCountsPoll(folder_poll_interval, folder)
        self.notifying = False
        """True while NOTIFY reports the other folders (no need to poll them)."""

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

    def verify_soon(self) -> None:
        """The client changed the folder on another connection: check IDLE told us.

        Thread-safe; the check comes within about ``VERIFY_SOON_DELAY`` +
        ``check_timeout`` s, unless IDLE reports a change first.
        """
        with self._due_lock:
            self._check_due = min(self._check_due, time.monotonic() + VERIFY_SOON_DELAY)

    def _schedule(self, after: float) -> None:
        with self._due_lock:
            self._check_due = time.monotonic() + after

    def _seconds_to_check(self) -> float:
        with self._due_lock:
            return self._check_due - time.monotonic()

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
                self._report_folders(self._folders.poll(self._session))
                if self.use_idle and not self.idle_silent and self._session.has("IDLE"):
                    self.uses_idle = True
                    self._idle_loop(self._session)  # returns early if IDLE proves silent
                if not self._stopping.is_set():
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

    def _connect(self, password: Credential) -> ImapSession:
        session = ImapSession.open(
            self.account,
            password,
            timeout=self.timeout,
            # It only needs to hear that something changed (EXISTS, EXPUNGE): no QRESYNC.
            sync_extensions=False,
            on_connected=self._watch_session,  # so stop() can break a hanging login
        )
        self._proof.saw(examine(session, self.folder))
        self.notifying = start_notify(session)
        return session

    def _watch_session(self, session: ImapSession) -> None:
        self._session = session

    def _wait_for_new_password(self, rejected: Credential) -> None:
        while not self._stopping.is_set() and self._password() == rejected:
            self._stopping.wait(0.5)

    @staticmethod
    def _token_expiring(session: ImapSession) -> bool:
        """True when the OAuth2 token ``session`` logged in with is due for refresh.

        The rule is the TokenManager's, so the next login gets a refreshed token.
        The IDLE loop looks at least every ``check_timeout`` (<= 30 s) s: well
        inside the 300 s margin (or half the lifetime of a token under 10 minutes).
        """
        token = session.login_token
        return token is not None and token.refresh_due(time.time(), REFRESH_MARGIN)

    def _renewed(self, session: ImapSession) -> ImapSession:
        """``session`` (out of IDLE), or a new one with a fresh token if its token is expiring.

        The new session is up before the old one is logged out; what arrived
        between the two is found by the same report as after any reconnect.
        A failure raises as a lost connection (the old one is closed then too).
        """
        password = self._password()
        if password is None or not self._token_expiring(session):
            return session
        started = time.monotonic()
        try:
            fresh = self._connect(password)
        finally:
            session.logout()
        self._report()
        log.info(
            "%s: IDLE connection renewed before its access token expired (%.2f s)",
            self.account.name,
            time.monotonic() - started,
        )
        return fresh

    def _idle_loop(self, session: ImapSession) -> None:
        """IDLE until stopped, or until a check finds that IDLE missed a change."""
        session.idle()
        self.watching.set()
        idle_since = last_heard = time.monotonic()
        self._schedule(self.verify_after)
        while not self._stopping.is_set():
            wait = min(self.check_timeout, max(0.05, self._seconds_to_check()))
            if not self.notifying:
                wait = min(wait, max(0.05, self._folders.seconds_left()))
            heard = session.idle_check(wait)
            if self._stopping.is_set():
                return
            now = time.monotonic()
            if heard:
                last_heard = now
            responses = self._take_folders(heard)
            if any_change(responses):
                responses += self._take_folders(self._collect_burst(session))  # one report
            if self._report_if_changed(responses):
                self._schedule(self.verify_after)  # IDLE just proved itself
            if not self.notifying and self._folders.seconds_left() <= 0:
                self._report_if_changed(session.idle_done())
                self._report_folders(self._folders.poll(session))
                session.idle()
            if now - idle_since >= self.reidle_after or self._token_expiring(session):
                self._report_if_changed(session.idle_done())
                session = self._renewed(session)  # before the server ends it at the token's expiry
                session.idle()
                idle_since = last_heard = time.monotonic()
            elif self._seconds_to_check() <= 0 or now - last_heard >= self.liveness_after:
                # The check is also the liveness check: silence may mean a dead connection.
                self._schedule(self.verify_after)  # first, so a verify_soon() meanwhile counts
                if not self._check(session, session.idle_done()):
                    return
                session.idle()
                last_heard = time.monotonic()

    def _check(self, session: ImapSession, pending: list[Any]) -> bool:
        """Check the folder outside IDLE; False when IDLE turned out not to report."""
        verdict = self._proof.check(session, self._take_folders(pending))
        if verdict is Verdict.QUIET:
            return True
        self._report()
        if verdict is Verdict.MISSED:
            self.idle_silent = True
            log.warning(
                "%s: IDLE does not report new mail on this server: polling every %g s",
                self.account.name,
                self.poll_interval,
            )
            return False
        return True

    def _collect_burst(self, session: ImapSession) -> list[Any]:
        """Read the rest of a burst, so it becomes one report per folder."""
        collected: list[Any] = []
        deadline = time.monotonic() + BURST_MAX
        while not self._stopping.is_set() and time.monotonic() < deadline:
            more = session.idle_check(BURST_QUIET)
            if not more:
                break
            collected.extend(more)
        return collected

    def _poll_loop(self, session: ImapSession) -> None:
        """NOOP and the STATUS check every ``poll_interval`` s (sooner after verify_soon)."""
        self.watching.set()
        self._schedule(self.poll_interval)
        while not self._stopping.wait(min(POLL_TICK, max(0.0, self._seconds_to_check()))):
            if self._seconds_to_check() > 0:
                continue
            self._schedule(self.poll_interval)
            # NOOP is enough on most servers; the check catches those whose session
            # sees new mail only after a fresh EXAMINE.
            if self._proof.check(session, self._take_folders(session.noop())) is not Verdict.QUIET:
                self._report()
            if not self.notifying and self._folders.seconds_left() <= 0:
                self._report_folders(self._folders.poll(session))

    def _take_folders(self, responses: list[Any]) -> list[Any]:
        """Report the other folders NOTIFY's STATUS lines name; the other responses."""
        self._report_folders(notified_folders(responses, self.folder))
        return [response for response in responses if not is_status(response)]

    def _report_if_changed(self, responses: list[Any]) -> bool:
        """Report this folder if ``responses`` say it changed (True then)."""
        responses = self._take_folders(responses)
        if any_change(responses):
            self._proof.forget()
            self._report()
            return True
        return False

    def _report_folders(self, folders: list[str]) -> None:
        for folder in folders:
            self._report(folder)

    def _report(self, folder: str | None = None) -> None:
        try:
            self._on_change(folder or self.folder)
        except Exception:
            log.exception("IDLE change handler failed")
