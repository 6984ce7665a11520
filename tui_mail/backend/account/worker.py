"""AccountWorker: the one thread that owns an account's command connection and cache.

Jobs (``api.Command``) are answered on their ``concurrent.futures.Future``; one
whose Future was cancelled before it started is skipped. Jobs run in lanes
(``lanes.py``): what the cache can answer runs at once whatever the connection
state; jobs needing the server wait in the network lane, in order. On connection
loss the worker reports OFFLINE with the reason and the time of the next attempt
and keeps taking jobs meanwhile (an interrupted read-only job goes back to the
front of its lane, up to ``max_job_retries`` times); ``SyncAll`` tries at once.
A session ended at its OAuth2 token's expiry is replaced with no OFFLINE (``connection.py``).
An AuthError is never retried: AUTH_FAILED lasts until :meth:`set_password`.
Actions made while the server is out of reach are applied to the cache and
queued durably (``offline.py``), and replayed before any other network job once
connected (``replay.py``). What each command does is in ``handlers.py``, the
background indexing in ``indexer.py``; both see an :class:`AccountContext`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

from tui_mail.backend import api
from tui_mail.backend.account.connection import (
    CommandConnection,
    PasswordSource,
    default_password,
)
from tui_mail.backend.account.context import AccountContext
from tui_mail.backend.account.handlers import CommandHandlers
from tui_mail.backend.account.indexer import BodyIndexer
from tui_mail.backend.account.lanes import (
    ACTIONS,
    STOP,
    Job,
    Lane,
    lane_for,
)
from tui_mail.backend.account.offline import OfflineActions
from tui_mail.backend.account.replay import QueueReplay
from tui_mail.backend.account.thread import WorkerThread
from tui_mail.backend.api import AccountState, AccountStateChanged, BackendEvent, Command
from tui_mail.backend.auth.tokens import Credential
from tui_mail.backend.backoff import Backoff
from tui_mail.backend.cache.action_queue import OfflineCache
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import AccountConfig
from tui_mail.errors import AuthError, ConnectionLost, MailError, TLSError
from tui_mail.models import Folder

log = logging.getLogger(__name__)

R = TypeVar("R")
T = TypeVar("T")


class AccountWorker(WorkerThread):
    """Runs one account's jobs; see the module docstring for the rules."""

    def __init__(
        self,
        account: AccountConfig,
        cache_path: Path,
        emit: Callable[[BackendEvent], None],
        *,
        backoff: Backoff | None = None,
        password_source: PasswordSource = default_password,
        max_job_retries: int = 6,
        timeout: float = 60.0,
        index_all: bool = False,
    ) -> None:
        super().__init__("imap", account, emit)
        self.cache_path = cache_path
        self.backoff = backoff or Backoff()
        self.max_job_retries = max_job_retries
        self.timeout = timeout
        self.connection = CommandConnection(account, password_source, timeout)
        self._retry_at = 0.0
        """``time.monotonic()`` of the next connection attempt while OFFLINE."""
        self.online = self.connection.online
        """Set while logged in; the IDLE watcher waits on it for a good password."""
        self.context = AccountContext(
            account, self.session, self.emit, self.run_waiting_user_jobs, self.submit_call
        )
        """What the handlers and the indexer see of this account (the cache, the folders)."""
        self.handlers = CommandHandlers(self.context)
        self.offline = OfflineActions(self.context)
        """Actions answered from the cache and queued while the server is out of reach."""
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
        if self._refused_when_stopping(future):
            return future
        run, offline = self.handlers.run, self.offline

        def answer_offline(attempted: bool) -> R:
            return offline.apply(command, attempted)

        local = answer_offline if isinstance(command, ACTIONS) else None
        call = lambda: run(offline.resolved(command))  # noqa: E731 (binds R for mypy)
        job = Job(call, future, command, type(command).read_only, local)
        # A cached body is read on a thread of its own, never waiting for a connect.
        self._queue(job, future, self.context)
        return future

    def set_password(self, password: Credential) -> None:
        """Use ``password`` (or a new OAuth2 sign-in) from now on and reconnect (leaves AUTH_FAILED)."""
        self.connection.typed_password = password
        reconnected: Future[None] = Future()
        self.lanes.put(Job(self._reconnect_now, reconnected))

    def _abort(self) -> None:
        self.connection.abort()

    # ------------------------------------------------------------ the thread

    def run(self) -> None:
        self.emit(AccountStateChanged(self.account.name, AccountState.CONNECTING))
        try:
            cache = OfflineCache.open(self.cache_path, self.account.name)
            assert isinstance(cache, OfflineCache)  # open() builds ``cls``
            self.context.cache_or_none = cache
            self.context.folders = tuple(cache.folders())
            self.offline.opened(cache)
        except MailError as exc:
            log.error("%s: cache unusable: %s", self.account.name, exc)
            self._set_state(AccountState.OFFLINE, str(exc))
        try:
            self._loop()
        finally:
            self.lanes.cancel_all()
            self.connection.close()
            if self.cache is not None:
                self.cache.close()
            self._set_state(AccountState.STOPPED)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            job = self.lanes.take(self._wait())
            if job is STOP:
                return
            if isinstance(job, Job):
                self._route(job)  # incoming first: a cache answer never waits behind the server
                continue
            if self._waiting_offline() and time.monotonic() < self._retry_at:
                continue
            if self._replay_due():
                self._replay()
            elif self.lanes.network:
                self._run_network(self.lanes.network.popleft())
            elif self._waiting_offline():
                self._try_connect_in_background()
            elif self._indexing_wanted():
                self._index_step()

    def _wait(self) -> float | None:
        """How long the loop may wait for an incoming job before it has other work."""
        if self._waiting_offline():
            return max(0.0, self._retry_at - time.monotonic())
        if self.lanes.network or self._replay_due() or self._indexing_wanted():
            return 0
        return None

    def _waiting_offline(self) -> bool:
        return self.state == AccountState.OFFLINE and self.connection.session is None

    def _unreachable(self) -> bool:
        """True when a job needing the server cannot run now (offline or refused)."""
        return self.connection.session is None and self.state in (
            AccountState.OFFLINE,
            AccountState.AUTH_FAILED,
        )

    def _route(self, job: Job) -> None:
        """Run ``job`` now if the cache can answer it, else put it in the network lane."""
        command = job.command
        lane = lane_for(
            job,
            unreachable=self._unreachable(),
            queue_pending=job.can_queue and self.offline.pending(),
            body_cached=isinstance(command, api.FetchBody) and self._body_cached(command),
        )
        if lane is Lane.NETWORK:
            if isinstance(command, api.SyncAll) and self._waiting_offline():
                self._retry_at = time.monotonic()  # `$`: try now, not at the next backoff
            self.lanes.network.append(job)
        elif not job.start():
            return  # cancelled: skipped
        elif lane is Lane.NOW:
            self._execute(job)
        elif lane is Lane.QUEUE:
            self._execute_local(job)
        elif self.state is AccountState.AUTH_FAILED:
            job.fail(AuthError("login failed; a new password is needed", self._reason))
        else:
            job.fail(ConnectionLost("offline: the server cannot be reached", self._reason))

    def _body_cached(self, command: api.FetchBody) -> bool:
        cache = self.cache
        try:
            return cache is not None and cache.body(command.folder, command.uid) is not None
        except MailError:
            return False

    def _run_network(self, job: Job) -> None:
        if not job.start():
            return
        if job.can_queue and self.offline.pending():
            self._execute_local(job)
        else:
            self._execute(job)

    def run_waiting_user_jobs(self) -> None:
        """Run the quick jobs queued meanwhile (bodies, flags, moves), in order.

        Called by a long sync between two batches, on this thread. Syncs, folder
        listings and internal calls wait for their turn (they are long or would
        nest a sync); so does everything after a stop request.
        """
        while not self._stopping.is_set():
            job = self.lanes.take(0)
            if job is None:
                break
            if job is STOP:
                self.lanes.put(STOP)
                break
            if isinstance(job, Job):
                if job.command is None:
                    self.lanes.network.append(job)  # an internal call could nest a sync
                else:
                    self._route(job)
        for job in self.lanes.take_quick():
            if self._stopping.is_set():
                self.lanes.network.appendleft(job)
                continue
            self._run_network(job)

    def _replay_due(self) -> bool:
        return self.state is not AccountState.AUTH_FAILED and self.offline.pending()

    def _replay(self) -> None:
        """Send the offline queue (before any other network job; see ``replay.py``)."""
        done: Future[int] = Future()
        job = Job(QueueReplay(self.context, self.handlers).run, done)
        job.start()
        error = self._execute(job)
        if error is None:
            self.offline.leftovers = False
            log.info("%s: %d queued action(s) replayed", self.account.name, done.result())
        elif not isinstance(error, (ConnectionLost, AuthError)):
            # Not the network (a damaged cache, a bug): wait as if offline rather than
            # spin on it, and let nothing overtake the queue meanwhile.
            self._went_offline(MailError("queued actions could not be sent", str(error)))

    def _indexing_wanted(self) -> bool:
        return (
            self.indexer is not None
            and self.indexer.armed
            and self.state is not AccountState.AUTH_FAILED
            and not self._waiting_offline()
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

    def _try_connect_in_background(self) -> None:
        try:
            self.session()
        except AuthError as exc:
            self._set_state(AccountState.AUTH_FAILED, exc.details or exc.summary)
        except MailError as exc:
            self._went_offline(exc)

    # ------------------------------------------------------------ running one job

    def _execute(self, job: Job) -> BaseException | None:
        """Run a started ``job``; the error it failed with (None: answered, or put back)."""
        quiet_before = self.connection.quiet_reconnects
        try:
            job.run()
        except AuthError as exc:
            self._drop_session()
            self._set_state(AccountState.AUTH_FAILED, exc.details or exc.summary)
            job.fail(exc)
            return exc
        except ConnectionLost as exc:
            attempted = self.connection.session is not None  # else the connect failed: nothing was sent
            if not self.connection.reconnected_quietly(exc, quiet_before):  # an expired token
                self._went_offline(exc)
            if job.can_queue and not self._stopping.is_set():
                return self._execute_local(job, attempted)
            job.attempts += 1
            if job.read_only and job.attempts <= self.max_job_retries:
                if not self._stopping.is_set():
                    self.lanes.network.appendleft(job)  # first again when the server is back
                    return None
            job.fail(exc)
            return exc
        except MailError as exc:
            job.fail(exc)
            return exc
        except Exception as exc:  # a bug: answer the Future, keep the thread alive
            return self._bug(job, exc)
        if self.indexer is not None and isinstance(job.command, (api.SyncFolder, api.SyncAll)):
            self.indexer.arm()  # new messages may wait for their bodies
        return None

    def _execute_local(self, job: Job, attempted: bool = False) -> BaseException | None:
        """Answer an action from the cache and the offline queue."""
        try:
            job.run_local(attempted)
        except MailError as exc:
            job.fail(exc)
            return exc
        except Exception as exc:
            return self._bug(job, exc)
        return None

    def _went_offline(self, exc: MailError) -> None:
        """Drop the connection; the next attempt is due after the backoff (TLS: the longest)."""
        self._drop_session()
        delay = self.backoff.maximum if isinstance(exc, TLSError) else self.backoff.next_delay()
        self._retry_at = time.monotonic() + delay
        self._set_state(AccountState.OFFLINE, str(exc), retry_at=time.time() + delay)

    # ------------------------------------------------------------ the connection

    @property
    def good_password(self) -> Credential | None:
        """The last password the server accepted (the IDLE watcher and SMTP borrow it)."""
        return self.connection.good_password

    def session(self) -> ImapSession:
        """The logged-in session, connecting first when needed (worker thread only)."""
        if self.connection.session is not None:
            return self.connection.session
        if self.state == AccountState.AUTH_FAILED and self.connection.typed_password is None:
            raise AuthError("login failed; a new password is needed", self._reason)
        if self.state != AccountState.OFFLINE:
            self._set_state(AccountState.CONNECTING)
        session = self.connection.open()
        self.backoff.reset()
        self._set_state(AccountState.ONLINE)
        return session

    def _drop_session(self) -> None:
        self.connection.drop()

    def _reconnect_now(self) -> None:
        self._drop_session()
        self.state = AccountState.CONNECTING  # leaves AUTH_FAILED without a second event
        self.session()

    def _state_set(self, state: AccountState) -> None:
        if state is AccountState.ONLINE and self.indexer is not None:
            self.indexer.arm()  # back online: go on where a failure paused it

