"""Pop3Worker: a POP3 account's one thread, in the same shape as ``account.worker.AccountWorker``.

The service holds either kind per account and the UI never asks which
(DESIGN.md section 11): jobs (``api.Command``) are answered on their Futures,
in order, by :class:`~tui_mail.backend.account.local.handlers.LocalHandlers`
over the account's local store, which is its mail (never dropped). A cached
body is read on a thread of its own (``lanes.read_or_queue``), as for IMAP.

The server is needed only to fetch. A fetch is one POP3 session (a maildrop is
seen as it was at login): it runs every ``poll_interval`` s, on ``SyncAll``
(``$``, at once even while offline), and on ``SyncFolder("INBOX")`` unless one
ran in the last :data:`FRESH_FOR` s. While it downloads, the user's jobs run
between messages. A lost connection means OFFLINE until the next attempt
(backoff; a TLS failure waits longest), an ``AuthError`` AUTH_FAILED with no
retry until :meth:`set_password`; meanwhile every local action still works.
There is nothing to replay and no IDLE: what IMAP queues offline is simply
done here. New mail is told as for IMAP: ``MessagesAdded``,
``FolderCountsChanged`` and (not on the first fetch ever) ``NewMailArrived``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

from tui_mail.backend import api
from tui_mail.backend.account.arrivals import ANNOUNCED
from tui_mail.backend.account.lanes import STOP, Job
from tui_mail.backend.account.local.handlers import LocalHandlers
from tui_mail.backend.account.sync import announce_counts
from tui_mail.backend.account.thread import WorkerThread
from tui_mail.backend.api import AccountState, AccountStateChanged, BackendEvent, Command
from tui_mail.backend.auth.tokens import Credential, credential_for
from tui_mail.backend.backoff import Backoff
from tui_mail.backend.cache.local_store import LocalStore
from tui_mail.backend.cache.pop3_ledger import INBOX, Pop3Ledger
from tui_mail.backend.pop3.fetcher import FetchPolicy, fetch_new
from tui_mail.backend.pop3.session import Pop3Session
from tui_mail.config import AccountConfig
from tui_mail.errors import AuthError, ConnectionLost, MailError, TLSError
from tui_mail.models import Folder

log = logging.getLogger(__name__)
R = TypeVar("R")
T = TypeVar("T")

#: Opening INBOX fetches unless a fetch ended this recently (``$`` right before it, say).
FRESH_FOR = 15.0

Pop3PasswordSource = Callable[[AccountConfig], "Credential | None"]


def pop3_password(account: AccountConfig) -> Credential | None:
    """The stored POP3 password (command, environment, or keyring ``<account>/pop3``),
    or for an OAuth2 account its token source (shared with SMTP, as for IMAP)."""
    if account.incoming.uses_oauth2:
        return credential_for(account)
    from tui_mail.secrets import get_password

    return get_password(account, "pop3")


def _fetches(command: Command[object] | None) -> bool:
    """True for the commands that may talk to the server (they wait their turn in order)."""
    if isinstance(command, api.SyncFolder):
        return command.folder.upper() == INBOX
    return isinstance(command, api.SyncAll)


class Pop3Worker(WorkerThread):
    """Runs one POP3 account's jobs and fetches; see the module docstring."""

    def __init__(
        self,
        account: AccountConfig,
        cache_path: Path,
        emit: Callable[[BackendEvent], None],
        *,
        backoff: Backoff | None = None,
        password_source: Pop3PasswordSource = pop3_password,
        timeout: float = 60.0,
        poll_interval: float | None = None,
    ) -> None:
        super().__init__("pop3", account, emit)
        assert account.pop3 is not None, "a POP3 account"
        self.cache_path = cache_path
        self.backoff = backoff or Backoff()
        self.password_source = password_source
        self.timeout = timeout
        self.poll_interval = poll_interval or account.pop3.poll_interval
        self.policy = FetchPolicy.of(account.pop3)
        self.online = threading.Event()
        """Set while the last fetch worked."""
        self.typed_password: Credential | None = None
        """A typed password or a new OAuth2 sign-in's credential, tried before the stored one."""
        self.good_password: Credential | None = None
        """The last password the server accepted (SMTP may borrow it)."""
        self._session: Pop3Session | None = None
        """The session of the fetch running now (another thread may abort it)."""
        self._next_fetch = 0.0
        """``time.monotonic()`` of the next poll (0: at once; inf: not until a password)."""
        self._retry_at = 0.0
        self._fetched_at = -math.inf
        self.handlers = LocalHandlers(account.name, self.emit, self.fetch)

    @property
    def folders(self) -> tuple[Folder, ...]:
        """The local folder list (read by the service from other threads)."""
        return self.handlers.folders

    @property
    def cache(self) -> LocalStore | None:
        """The local store once opened on this thread (None when unusable)."""
        return self.handlers.cache_or_none

    # ------------------------------------------------------------ called from other threads

    def submit(self, command: Command[R]) -> Future[R]:
        """Queue ``command``; its result (or a ``tui_mail.errors`` error) lands on the Future."""
        future: Future[R] = Future()
        if self._refused_when_stopping(future):
            return future
        run = self.handlers.run
        self._queue(Job(lambda: run(command), future, command), future, self.handlers)
        return future

    def set_password(self, password: Credential) -> None:
        """Use ``password`` (or a new OAuth2 sign-in) from now on and fetch at once
        (leaves AUTH_FAILED, "needs sign-in" included)."""
        self.typed_password = password
        self.lanes.put(Job(self._retry_now, Future()))

    def _abort(self) -> None:
        session = self._session
        if session is not None:
            session.abort()

    # ------------------------------------------------------------ the thread

    def run(self) -> None:
        self.emit(AccountStateChanged(self.account.name, AccountState.CONNECTING))
        try:
            store = LocalStore.open(self.cache_path, self.account.name)
            assert isinstance(store, LocalStore)  # open() builds ``cls``
            self.handlers.cache_or_none = store
            Pop3Ledger(store).ensure_folders()
            self.handlers.folders = tuple(store.folders())
        except MailError as exc:
            log.error("%s: local store unusable: %s", self.account.name, exc)
            self._set_state(AccountState.OFFLINE, str(exc))
            self._next_fetch = math.inf  # nowhere to put mail
        try:
            self._loop()
        finally:
            self.lanes.cancel_all()
            session, self._session = self._session, None
            if session is not None:
                session.abort()
            if self.cache is not None:
                self.cache.close()
            self._set_state(AccountState.STOPPED)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            job = self.lanes.take(self._wait())
            if job is STOP:
                return
            if isinstance(job, Job):
                self._route(job)
            elif self.lanes.network:
                self._execute(self.lanes.network.popleft())
            elif time.monotonic() >= self._next_fetch:
                self._poll()

    def _wait(self) -> float | None:
        if self.lanes.network:
            return 0
        if math.isinf(self._next_fetch):
            return None
        return max(0.0, self._next_fetch - time.monotonic())

    def _route(self, job: Job) -> None:
        """Fetching jobs wait their turn in order; the store answers the rest at once."""
        if _fetches(job.command):
            self.lanes.network.append(job)
        else:
            self._execute(job)

    def run_waiting_user_jobs(self) -> None:
        """Run the jobs that came meanwhile (called by a fetch between two messages)."""
        while not self._stopping.is_set():
            job = self.lanes.take(0)
            if job is None:
                break
            if job is STOP:
                self.lanes.put(STOP)
                break
            if isinstance(job, Job):
                self._route(job)  # a fetching job waits: never a fetch inside a fetch

    def _execute(self, job: Job) -> None:
        if not job.start():
            return  # cancelled: skipped
        try:
            job.run()
        except MailError as exc:
            job.fail(exc)
        except Exception as exc:  # a bug: answer the Future, keep the thread alive
            self._bug(job, exc)

    def _poll(self) -> None:
        try:
            self.fetch(True)
        except MailError as exc:
            log.info("%s: fetch failed: %s", self.account.name, exc)

    def _retry_now(self) -> None:
        self.state = AccountState.CONNECTING  # leaves AUTH_FAILED without a second event
        self._next_fetch = 0.0

    # ------------------------------------------------------------ fetching

    def fetch(self, force: bool) -> None:
        """Fetch new mail now (``force``), or unless one just ran or the server is down.

        Run on this thread by the handlers and the poll. A forced fetch raises what
        failed; an unforced one answers from the store, the state telling why.
        """
        if not force and not self._fetch_wanted():
            return
        if self.state is AccountState.AUTH_FAILED and self.typed_password is None:
            raise AuthError("login failed; a new password is needed", self._reason)
        try:
            self._fetch_once()
        except MailError as exc:
            self._failed(exc)
            if force or not isinstance(exc, (ConnectionLost, AuthError)):
                raise

    def _fetch_wanted(self) -> bool:
        now = time.monotonic()
        if self.state is AccountState.AUTH_FAILED or self.cache is None:
            return False
        if self.state is AccountState.OFFLINE and now < self._retry_at:
            return False
        return now - self._fetched_at >= FRESH_FOR

    def _fetch_once(self) -> None:
        store = self.handlers.store
        typed = self.typed_password
        password = typed if typed is not None else self.password_source(self.account)
        if password is None:
            raise AuthError("a password is needed", f"no stored password for {self.account.name}")
        if self.state is not AccountState.ONLINE:
            self._set_state(AccountState.CONNECTING)
        connected: list[Pop3Session] = []

        def opened(session: Pop3Session) -> None:  # before the login, which stop() may break
            self._session = session
            connected.append(session)

        try:
            session = Pop3Session.open(
                self.account, password, timeout=self.timeout, on_connected=opened
            )
        except MailError as exc:
            self._session = None
            if isinstance(exc, AuthError) and connected and password == self.typed_password:
                self.typed_password = None  # refused: do not keep trying it
            raise
        self.good_password = password
        ledger = Pop3Ledger(store)
        first = not ledger.entries()  # the first fetch ever announces nothing as new
        try:
            result = fetch_new(
                session,
                ledger,
                self.account.name,
                self.policy,
                on_headers=lambda uids: self._arrived(uids, first),
                on_body=lambda _uid: self.run_waiting_user_jobs(),
            )
        except BaseException:
            session.abort()
            raise
        finally:
            self._session = None
        self._fetched_at = time.monotonic()
        self._next_fetch = self._fetched_at + self.poll_interval
        self.backoff.reset()
        self.online.set()
        self._set_state(AccountState.ONLINE)
        if result.bodies or result.deleted:
            announce_counts(store, self.emit, self.account.name, INBOX)
        for problem in result.problems:
            log.warning("%s: %s", self.account.name, problem)

    def _arrived(self, uids: list[int], first: bool) -> None:
        """New messages' headers are stored (newest first): show them, then let jobs run."""
        store = self.handlers.store
        summaries = tuple(s for s in (store.summary(INBOX, uid) for uid in uids) if s)
        if summaries:
            self.emit(api.MessagesAdded(self.account.name, INBOX, summaries))
        announce_counts(store, self.emit, self.account.name, INBOX)
        unread = [s for s in summaries if s.unread]
        if unread and not first:
            self.emit(
                api.NewMailArrived(self.account.name, INBOX, len(unread), tuple(unread[:ANNOUNCED]))
            )
        self.run_waiting_user_jobs()

    def _failed(self, exc: MailError) -> None:
        """After a failed fetch: AUTH_FAILED (no retry), OFFLINE (backoff), or the next poll."""
        self.online.clear()
        now = time.monotonic()
        if isinstance(exc, AuthError):
            self._next_fetch = math.inf
            self._set_state(AccountState.AUTH_FAILED, exc.details or exc.summary)
        elif isinstance(exc, ConnectionLost):
            delay = self.backoff.maximum if isinstance(exc, TLSError) else self.backoff.next_delay()
            self._retry_at = self._next_fetch = now + delay
            self._set_state(AccountState.OFFLINE, str(exc), retry_at=time.time() + delay)
        else:
            self._next_fetch = now + self.poll_interval
