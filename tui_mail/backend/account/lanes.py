"""Job lanes of the account worker: what the cache can answer never waits for the network.

Other threads put :class:`Job` objects on :attr:`JobLanes.incoming` (thread-safe);
a FetchBody first goes to :func:`read_or_queue` on a reader thread of its own,
which answers a body the cache holds even while the worker is blocked on the
network (a connect to a silent host waits for its timeout).
The worker thread takes each one as it comes and *routes* it (see
``worker.AccountWorker._route``): a job the cache can answer (a cached body, an
action made offline, an internal call) runs at once; a job that needs the
server joins :attr:`JobLanes.network`, a FIFO the worker runs only while it has
a connection, or is trying one. So, offline, a cached FetchBody is answered in
milliseconds while a SyncFolder waits for the server to come back, and nothing
sleeps in place: the next connection attempt is a deadline the loop waits for
while still taking new jobs.
"""

from __future__ import annotations

import enum
import queue
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol, TypeVar

from tui_mail.backend import api
from tui_mail.backend.api import Command
from tui_mail.backend.cache.action_queue import OfflineCache
from tui_mail.backend.cache.store import MailCache
from tui_mail.errors import ConnectionLost, MailError

T = TypeVar("T")

#: Jobs a sync does not interleave between its batches (long, or a sync themselves).
LONG_JOBS = (api.SyncFolder, api.SyncAll, api.ListFolders, api.SearchMessages)
#: Commands that change messages: applied to the cache and queued when offline.
ACTIONS = (api.SetFlags, api.MoveMessages, api.CopyMessages, api.DeleteMessages)


class Job:
    """A queued command (or an internal call, ``command`` None) and the Future answering it.

    The Future's result type is bound in the closures made here, so one queue
    holds jobs of every result type without losing any of them to ``Any``.
    ``local`` is the offline way to answer an action (apply to the cache, queue
    it); its argument says whether the server may have seen the command already.
    """

    def __init__(
        self,
        call: Callable[[], T],
        future: Future[T],
        command: Command[object] | None = None,
        read_only: bool = False,
        local: Callable[[bool], T] | None = None,
    ) -> None:
        self.command = command
        self.read_only = read_only
        self.attempts = 0
        """Connection losses this job has seen (a read-only job is re-run after each)."""
        self._started = False
        self._future = future
        self.cancel = future.cancel
        self.fail = future.set_exception

        def finish() -> None:
            future.set_result(call())

        self._finish = finish
        self._local: Callable[[bool], None] | None = None
        if local is not None:
            offline = local

            def finish_local(attempted: bool) -> None:
                future.set_result(offline(attempted))

            self._local = finish_local

    def start(self) -> bool:
        """Mark the Future running; False (skip the job) when it was cancelled.

        Idempotent: a job put back in its lane after a connection loss is not
        started twice.
        """
        if not self._started:
            self._started = self._future.set_running_or_notify_cancel()
            return self._started
        return True

    @property
    def can_queue(self) -> bool:
        """True for an action that can be answered offline (see :meth:`run_local`)."""
        return self._local is not None

    def run(self) -> None:
        """Run the call and answer the Future with its result (errors propagate)."""
        self._finish()

    def run_local(self, attempted: bool = False) -> None:
        """Answer from the cache and the offline queue (only when :attr:`can_queue`)."""
        assert self._local is not None
        self._local(attempted)


class Lane(enum.Enum):
    """Where the worker sends a job as it arrives (see :func:`lane_for`)."""

    NOW = "run now"
    """The cache (or this thread) can answer: run at once."""
    QUEUE = "apply to the cache and queue for the server"
    NETWORK = "wait in the network lane"
    REFUSE = "fail now: it needs the server, which cannot be reached"


def lane_for(job: Job, *, unreachable: bool, queue_pending: bool, body_cached: bool) -> Lane:
    """The lane of a job arriving now.

    ``unreachable``: no connection and none possible right now (offline or
    refused); ``queue_pending``: offline actions wait to be replayed (a new action
    must queue behind them, or it would overtake them); ``body_cached``: the job
    is a FetchBody whose body the cache holds.
    """
    if job.command is None or body_cached:
        return Lane.NOW
    if job.can_queue and (unreachable or queue_pending):
        return Lane.QUEUE
    if unreachable and (not job.read_only or isinstance(job.command, api.ServerSearch)):
        # A search answers with the cache's hits at once, its server part marked
        # failed, rather than waiting for the server with the user watching.
        return Lane.REFUSE
    return Lane.NETWORK


class _Stop:
    """The sentinel that ends the worker thread."""


STOP = _Stop()


class JobLanes:
    """The incoming queue (any thread) and the network lane (worker thread only)."""

    def __init__(self) -> None:
        self.incoming: queue.Queue[Job | _Stop] = queue.Queue()
        self.network: deque[Job] = deque()

    def put(self, job: Job | _Stop) -> None:
        """Hand a job (or :data:`STOP`) to the worker; any thread."""
        self.incoming.put(job)

    def take(self, timeout: float | None) -> Job | _Stop | None:
        """The next incoming job; None when none came within ``timeout`` (0: do not wait)."""
        try:
            if timeout is not None and timeout <= 0:
                return self.incoming.get_nowait()
            return self.incoming.get(timeout=timeout)
        except queue.Empty:
            return None

    def take_quick(self) -> list[Job]:
        """Remove and return the quick user jobs of the network lane, in order.

        A sync runs these between two batches; long jobs and internal calls keep
        their places.
        """
        quick = [j for j in self.network if j.command is not None and not _long(j)]
        if quick:
            kept = [j for j in self.network if j.command is None or _long(j)]
            self.network.clear()
            self.network.extend(kept)
        return quick

    def cancel_all(self) -> None:
        """Cancel every job not run yet (the worker is stopping)."""
        while True:
            job = self.take(0)
            if job is None:
                break
            if isinstance(job, Job):
                job.cancel()
        while self.network:
            job = self.network.popleft()
            if not job.cancel() and job.start():
                # Started already (put back after a connection loss): cannot cancel.
                job.fail(ConnectionLost("the account is shut down"))


def _long(job: Job) -> bool:
    return isinstance(job.command, LONG_JOBS)



class CacheHolder(Protocol):
    """Whatever holds the worker's cache once opened (an IMAP or a POP3 account's)."""

    @property
    def cache_or_none(self) -> MailCache | None: ...


def read_or_queue(
    job: Job, future: Future[bytes], command: api.FetchBody, context: CacheHolder, lanes: JobLanes
) -> None:
    """Answer a FetchBody from the cache on the calling (reader) thread, else hand the
    job to the worker. The reader thread never touches the network or the writer."""
    if not job.start():
        return  # cancelled meanwhile
    cache = context.cache_or_none
    try:
        held = cache.held_body(command.folder, command.uid) if isinstance(cache, OfflineCache) else None
    except MailError:
        held = None  # e.g. the cache closed while stopping: the worker answers
    if held is not None:
        future.set_result(held)
    else:
        lanes.put(job)  # started already: the worker's start() is a no-op
