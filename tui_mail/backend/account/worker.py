"""AccountWorker: the one thread that owns an account's command connection and cache.

Jobs (``api.Command``) are queued and run one at a time; each is answered on its
``concurrent.futures.Future``. A job whose Future was cancelled before it started
is skipped. On connection loss the worker reports OFFLINE with the reason,
reconnects with capped exponential backoff, and re-runs the interrupted job if
it is read-only (otherwise its Future fails with ConnectionLost). An AuthError
is never retried: the state stays AUTH_FAILED until :meth:`set_password`.

The worker owns the thread, the queue and the connection; what each command does
is in ``handlers.py`` and the background indexing in ``indexer.py``. Both get an
:class:`AccountContext` built here, never the worker itself.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

from tui_mail.backend import api
from tui_mail.backend.account.context import AccountContext
from tui_mail.backend.account.handlers import CommandHandlers
from tui_mail.backend.account.indexer import BodyIndexer
from tui_mail.backend.api import AccountState, AccountStateChanged, BackendEvent, Command
from tui_mail.backend.backoff import Backoff
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import AccountConfig
from tui_mail.errors import AuthError, ConnectionLost, MailError, TLSError
from tui_mail.models import Folder

log = logging.getLogger(__name__)

PasswordSource = Callable[[AccountConfig], "str | None"]
R = TypeVar("R")
T = TypeVar("T")


class Job:
    """A queued command (or an internal call, ``command`` None) and the Future answering it.

    The Future's result type is bound in the closures made here, so one queue
    holds jobs of every result type without losing any of them to ``Any``.
    """

    def __init__(
        self,
        call: Callable[[], T],
        future: Future[T],
        command: Command[object] | None = None,
        read_only: bool = False,
    ) -> None:
        self.command = command
        self.read_only = read_only
        self.start = future.set_running_or_notify_cancel
        """False (and the job is skipped) when its Future was cancelled."""
        self.cancel = future.cancel
        self.fail = future.set_exception

        def finish() -> None:
            future.set_result(call())

        self._finish = finish

    def run(self) -> None:
        """Run the call and answer the Future with its result (errors propagate)."""
        self._finish()


#: Put on the queue to end the thread.
_STOP = None
#: Jobs a sync does not interleave between its batches (long, or a sync themselves).
_LONG_JOBS = (api.SyncFolder, api.SyncAll, api.ListFolders, api.SearchMessages)


def _default_password(account: AccountConfig) -> str | None:
    from tui_mail.secrets import get_password

    return get_password(account, "imap")


class AccountWorker(threading.Thread):
    """Runs one account's jobs; see the module docstring for the rules."""

    def __init__(
        self,
        account: AccountConfig,
        cache_path: Path,
        emit: Callable[[BackendEvent], None],
        *,
        backoff: Backoff | None = None,
        password_source: PasswordSource = _default_password,
        max_job_retries: int = 6,
        timeout: float = 60.0,
        index_all: bool = False,
    ) -> None:
        super().__init__(name=f"imap-worker-{account.name}", daemon=True)
        self.account = account
        self.cache_path = cache_path
        self._emit = emit
        self.backoff = backoff or Backoff()
        self._password_source = password_source
        self.max_job_retries = max_job_retries
        self.timeout = timeout
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._session: ImapSession | None = None
        self._password: str | None = None
        self.state = AccountState.CONNECTING
        self._reason = ""
        self.online = threading.Event()
        """Set while logged in; the IDLE watcher waits on it for a good password."""
        self.good_password: str | None = None
        self.context = AccountContext(
            account, self.session, self.emit, self.run_waiting_user_jobs, self.submit_call
        )
        """What the handlers and the indexer see of this account (the cache, the folders)."""
        self.handlers = CommandHandlers(self.context)
        self.indexer = (
            BodyIndexer(self.context, lambda name: self.handlers.sync_folder(name))
            if index_all
            else None
        )
        """Background body indexing (``index_bodies = "all"``); runs when the queue is empty."""

    @property
    def folders(self) -> tuple[Folder, ...]:
        """The folder list as last known (read by the service from other threads)."""
        return self.context.folders

    @property
    def cache(self) -> MailCache | None:
        """The account's cache once opened on this thread (None when unusable)."""
        return self.context.cache_or_none

    # ------------------------------------------------------------ called from other threads

    def submit(self, command: Command[R]) -> Future[R]:
        """Queue ``command``; its result (or a ``tui_mail.errors`` error) lands on the Future."""
        future: Future[R] = Future()
        if self._stopping.is_set():
            future.set_exception(ConnectionLost("the account is shut down"))
            return future
        run = self.handlers.run
        self._queue.put(Job(lambda: run(command), future, command, type(command).read_only))
        return future

    def submit_call(self, call: Callable[[], T], read_only: bool = False) -> Future[T]:
        """Run ``call()`` on this thread (it may use :meth:`session` and :attr:`cache`)."""
        future: Future[T] = Future()
        self._queue.put(Job(call, future, read_only=read_only))
        return future

    def set_password(self, password: str) -> None:
        """Use ``password`` from now on and reconnect (leaves AUTH_FAILED)."""
        self._password = password
        reconnected: Future[None] = Future()
        self._queue.put(Job(self._reconnect_now, reconnected))

    def request_stop(self) -> None:
        """Ask the thread to end soon without waiting (see :meth:`stop`)."""
        self._stopping.set()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread within about ``timeout`` seconds, breaking a blocked read."""
        self._stopping.set()
        self._queue.put(_STOP)
        self._wake.set()
        self.join(timeout / 2)
        if self.is_alive():
            session = self._session
            if session is not None:
                session.abort()
            self.join(timeout / 2)

    # ------------------------------------------------------------ the thread

    def run(self) -> None:
        self.emit(AccountStateChanged(self.account.name, AccountState.CONNECTING))
        try:
            cache = MailCache.open(self.cache_path, self.account.name)
            self.context.cache_or_none = cache
            self.context.folders = tuple(cache.folders())
        except MailError as exc:
            log.error("%s: cache unusable: %s", self.account.name, exc)
            self._set_state(AccountState.OFFLINE, str(exc))
        try:
            self._loop()
        finally:
            self._cancel_pending()
            if self._session is not None:
                self._session.logout()
                self._session = None
            if self.cache is not None:
                self.cache.close()
            self.online.clear()
            self._set_state(AccountState.STOPPED)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            wait = self._offline_wait()
            indexing = wait is None and self._indexing_wanted()
            try:
                job = self._queue.get_nowait() if indexing else self._queue.get(timeout=wait)
            except queue.Empty:
                if indexing:
                    self._index_step()
                else:
                    self._try_connect_in_background()
                continue
            if job is _STOP:
                return
            if not job.start():
                continue
            self._execute(job)

    def run_waiting_user_jobs(self) -> None:
        """Run the quick jobs queued meanwhile (bodies, flags, moves), in order.

        Called by a long sync between two batches, on this thread. Syncs, folder
        listings and internal calls wait for their turn (they are long or would
        nest a sync); so does everything after a stop request.
        """
        deferred: list[Job | None] = []
        while not self._stopping.is_set():
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is _STOP or job.command is None or isinstance(job.command, _LONG_JOBS):
                deferred.append(job)
                if job is _STOP:
                    break
                continue
            if job.start():
                self._execute(job)
        for job in deferred:
            self._queue.put(job)

    def _indexing_wanted(self) -> bool:
        return (
            self.indexer is not None
            and self.indexer.armed
            and self.state is not AccountState.AUTH_FAILED
        )

    def _index_step(self) -> None:
        """One indexing batch, run like a job (errors set the state) but never retried."""
        assert self.indexer is not None
        done: Future[None] = Future()
        job = Job(self.indexer.step, done)
        job.start()
        error = self._execute(job)
        if error is not None:
            self.indexer.pause(str(error))

    def _offline_wait(self) -> float | None:
        if self.state == AccountState.OFFLINE and self._session is None:
            return self.backoff.next_delay()
        return None

    def _try_connect_in_background(self) -> None:
        try:
            self.session()
        except AuthError as exc:
            self._set_state(AccountState.AUTH_FAILED, exc.details or exc.summary)
        except MailError as exc:
            self._set_state(AccountState.OFFLINE, str(exc))

    def _cancel_pending(self) -> None:
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not _STOP:
                job.cancel()

    # ------------------------------------------------------------ running one job

    def _execute(self, job: Job) -> BaseException | None:
        """Run ``job`` (retrying a read-only one after a reconnect); the error it failed with."""
        attempt = 0
        while True:
            try:
                job.run()
            except AuthError as exc:
                self._drop_session()
                self._set_state(AccountState.AUTH_FAILED, exc.details or exc.summary)
                job.fail(exc)
                return exc
            except ConnectionLost as exc:
                self._drop_session()
                self._set_state(AccountState.OFFLINE, str(exc))
                if not job.read_only or attempt >= self.max_job_retries or self._stopping.is_set():
                    job.fail(exc)
                    return exc
                attempt += 1
                delay = (
                    self.backoff.maximum if isinstance(exc, TLSError) else self.backoff.next_delay()
                )
                if self._sleep(delay):
                    job.fail(exc)
                    return exc
                continue
            except MailError as exc:
                job.fail(exc)
                return exc
            except Exception as exc:  # a bug: answer the Future, keep the thread alive
                log.exception("%s: unexpected failure in %r", self.account.name, job.command)
                error = MailError("unexpected error in the mail backend", repr(exc))
                job.fail(error)
                return error
            if self.indexer is not None and isinstance(job.command, (api.SyncFolder, api.SyncAll)):
                self.indexer.arm()  # new messages may wait for their bodies
            return None

    def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` unless stopping; True when we are stopping."""
        self._wake.clear()
        self._wake.wait(seconds)
        return self._stopping.is_set()

    # ------------------------------------------------------------ the connection

    def session(self) -> ImapSession:
        """The logged-in session, connecting first when needed (worker thread only)."""
        if self._session is not None:
            return self._session
        if self.state == AccountState.AUTH_FAILED and self._password is None:
            raise AuthError("login failed; a new password is needed", self._reason)
        if self.state != AccountState.OFFLINE:
            self._set_state(AccountState.CONNECTING)
        password = (
            self._password if self._password is not None else self._password_source(self.account)
        )
        if password is None:
            raise AuthError("a password is needed", f"no stored password for {self.account.name}")
        connected: list[ImapSession] = []  # a failure before this is the network, not the password
        try:
            session = ImapSession.open(
                self.account, password, timeout=self.timeout, on_connected=connected.append
            )
        except BaseException:
            if connected and self._password is not None and password == self._password:
                self._password = None  # rejected: do not keep trying it
            raise
        self._session = session
        self.good_password = password
        self.backoff.reset()
        self.online.set()
        self._set_state(AccountState.ONLINE)
        return session

    def _drop_session(self) -> None:
        self.online.clear()
        session, self._session = self._session, None
        if session is not None:
            session.abort()

    def _reconnect_now(self) -> None:
        self._drop_session()
        self.state = AccountState.CONNECTING  # leaves AUTH_FAILED without a second event
        self.session()

    def _set_state(self, state: AccountState, reason: str = "") -> None:
        if state == self.state and reason == self._reason:
            return
        self.state, self._reason = state, reason
        if state is AccountState.ONLINE and self.indexer is not None:
            self.indexer.arm()  # back online: go on where a failure paused it
        self.emit(AccountStateChanged(self.account.name, state, reason))

    def emit(self, event: BackendEvent) -> None:
        """Tell the listener; a failing listener never kills the worker."""
        try:
            self._emit(event)
        except Exception:
            log.exception("event listener failed on %r", event)

