"""WorkerThread: what every account worker shares, whatever protocol is behind it.

``worker.AccountWorker`` (IMAP) and ``local.worker.Pop3Worker`` (POP3) are both
one thread taking :class:`~tui_mail.backend.account.lanes.Job` objects from
their lanes, reading cached bodies on a reader thread of their own, reporting
their state as ``AccountStateChanged`` and stopping within a bounded time
(DESIGN.md sections 3 and 11: the UI never asks which protocol an account
speaks). This base holds those parts; each subclass holds its loop and how it
reaches its server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar, cast

from tui_mail.backend import api
from tui_mail.backend.account.lanes import STOP, CacheHolder, Job, JobLanes, read_or_queue
from tui_mail.backend.api import AccountState, AccountStateChanged, BackendEvent
from tui_mail.config import AccountConfig
from tui_mail.errors import ConnectionLost, MailError

log = logging.getLogger(__name__)
T = TypeVar("T")


class WorkerThread(threading.Thread):
    """The shared half of an account worker (see the module docstring)."""

    def __init__(
        self, kind: str, account: AccountConfig, emit: Callable[[BackendEvent], None]
    ) -> None:
        super().__init__(name=f"{kind}-worker-{account.name}", daemon=True)
        self.account = account
        self._emit = emit
        self.lanes = JobLanes()
        self._reads = ThreadPoolExecutor(1, thread_name_prefix=f"cache-read-{account.name}")
        self._stopping = threading.Event()
        self.state = AccountState.CONNECTING
        self._reason = ""

    # ------------------------------------------------------------ called from other threads

    def _refused_when_stopping(self, future: Future[T]) -> bool:
        """Fail ``future`` (True) when the account is shut down already."""
        if self._stopping.is_set():
            future.set_exception(ConnectionLost("the account is shut down"))
            return True
        return False

    def _queue(self, job: Job, future: Future[T], holder: CacheHolder) -> None:
        """Hand ``job`` to the thread; a FetchBody first to the reader thread, which
        answers a body the cache holds even while this thread waits on the network."""
        command = job.command
        if not isinstance(command, api.FetchBody):
            self.lanes.put(job)
            return
        body_future = cast("Future[bytes]", future)  # FetchBody is a Command[bytes]
        try:
            self._reads.submit(read_or_queue, job, body_future, command, holder, self.lanes)
        except RuntimeError:  # stopped meanwhile
            future.set_exception(ConnectionLost("the account is shut down"))

    def submit_call(self, call: Callable[[], T], read_only: bool = False) -> Future[T]:
        """Run ``call()`` on this thread, in turn (it may use the thread's cache)."""
        future: Future[T] = Future()
        self.lanes.put(Job(call, future, read_only=read_only))
        return future

    def request_stop(self) -> None:
        """Ask the thread to end soon without waiting (see :meth:`stop`)."""
        self._stopping.set()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread within about ``timeout`` seconds, breaking a blocked read."""
        self._stopping.set()
        self._reads.shutdown(wait=False)
        self.lanes.put(STOP)
        self.join(timeout / 2)
        if self.is_alive():
            self._abort()
            self.join(timeout / 2)
        if not self.is_alive():  # a body read handed over after the thread's last look
            self.lanes.cancel_all()

    def _abort(self) -> None:
        """Break the connection's blocked read (from another thread)."""
        raise NotImplementedError

    # ------------------------------------------------------------ on the thread

    def _bug(self, job: Job, exc: Exception) -> BaseException:
        """Answer a job that failed by a bug (logged) and keep the thread alive."""
        log.exception("%s: unexpected failure in %r", self.account.name, job.command)
        error = MailError("unexpected error in the mail backend", repr(exc))
        job.fail(error)
        return error

    def _set_state(self, state: AccountState, reason: str = "", retry_at: float = 0.0) -> None:
        if state == self.state and reason == self._reason and not retry_at:
            return
        self.state, self._reason = state, reason
        self._state_set(state)
        self.emit(AccountStateChanged(self.account.name, state, reason, retry_at))

    def _state_set(self, state: AccountState) -> None:
        """A subclass's hook, called on each change of state before it is told."""

    def emit(self, event: BackendEvent) -> None:
        """Tell the listener; a failing listener never kills the worker."""
        try:
            self._emit(event)
        except Exception:
            log.exception("event listener failed on %r", event)
