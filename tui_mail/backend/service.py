"""MailServiceImpl: the ``api.MailService`` the UI talks to (DESIGN.md sections 1 and 3).

One :class:`AccountWorker` (command connection + cache writer) and one
:class:`IdleWatcher` (IDLE on INBOX) per account. Views are built off the UI
thread in a small thread pool from a separate read-side cache object. IDLE
changes become a queued SyncFolder, so new mail reaches the cache and the UI
(``MessagesAdded``) with no user action.

Nothing is synced automatically at start: the UI submits ``ListFolders`` and
``SyncFolder`` for what it shows (the cached list and rows show at once).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from tui_mail.backend import api
from tui_mail.backend.account.local.worker import Pop3Worker
from tui_mail.backend.account.worker import AccountWorker
from tui_mail.backend.auth.tokens import Credential, credential_for
from tui_mail.backend.backoff import Backoff
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.imap.folders import folder_with_role
from tui_mail.backend.imap.idle import IdleWatcher
from tui_mail.backend.new_mail import NewMailNotifier
from tui_mail.backend.search.searcher import MessageSearch
from tui_mail.config import Config
from tui_mail.errors import MailError, NotFound
from tui_mail.models import Address, Draft, Folder, FolderRole

if TYPE_CHECKING:
    from tui_mail.backend.send.pipeline import SendQueue

log = logging.getLogger(__name__)
R = TypeVar("R")
Worker = AccountWorker | Pop3Worker
"""An account's worker: the UI never asks which protocol is behind it."""


@dataclass(frozen=True)
class ServiceOptions:
    """Timings; tests shorten them."""

    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    idle: bool = True
    idle_check_timeout: float = 10.0
    idle_liveness_after: float = 120.0
    poll_interval: float | None = None
    """Seconds between polls; None: each account's ``poll_interval``."""
    folder_poll_interval: float | None = None
    """Seconds between polls of the other folders; None: each account's setting."""
    idle_verify_after: float | None = None
    """Seconds of IDLE silence before a check; None: each account's ``idle_verify_after``."""
    timeout: float = 60.0
    max_job_retries: int = 6
    """Reconnect attempts before an interrupted read-only job fails."""
    outbox_retry_interval: float = 60.0
    """Seconds between looks for outbox entries whose retry time has come."""


def _either(override: float | None, configured: float) -> float:
    return configured if override is None else override


def _changes_folder(command: api.Command[object], folder: str) -> bool:
    """True for a command that adds or removes messages in ``folder`` (INBOX: any case).

    Flag changes are left out: STATUS (UIDNEXT, MESSAGES) cannot see them.
    """

    def same(name: str) -> bool:
        return name == folder or (name.upper() == "INBOX" and folder.upper() == "INBOX")

    match command:
        case api.MoveMessages():
            return same(command.folder) or same(command.dest)
        case api.CopyMessages():
            return same(command.dest)
        case api.DeleteMessages() | api.AppendMessage():
            return same(command.folder)
    return False


def cache_file(cache_dir: Path | None, account: str) -> Path:
    """Where an account's cache lives (``paths`` decides unless a dir is given)."""
    from tui_mail.paths import account_cache_file

    return account_cache_file(account, cache_dir)


class MailServiceImpl:
    """The backend for the UI: see ``api.MailService`` for each method's contract."""

    def __init__(
        self,
        config: Config,
        listener: api.EventListener,
        cache_dir: Path | None = None,
        options: ServiceOptions | None = None,
    ) -> None:
        self.config = config
        self.listener = listener
        self.cache_dir = cache_dir
        self.options = options or ServiceOptions()
        self.workers: dict[str, Worker] = {}
        self.watchers: dict[str, IdleWatcher] = {}
        self._readers: dict[str, MailCache] = {}
        self._reader_lock = threading.Lock()
        self._idle_syncs: dict[tuple[str, str], Future[Folder]] = {}
        self._sync_again: set[tuple[str, str]] = set()
        self._idle_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail-view")
        self._started = False
        self._stopping = threading.Event()
        self._sending: SendQueue | None = None
        self._search = MessageSearch(
            {name: cache_file(cache_dir, name) for name in config.accounts}
        )
        self._sending_lock = threading.Lock()
        self._sign_ins: dict[str, threading.Event] = {}
        self._new_mail = NewMailNotifier(config)

    @property
    def accounts(self) -> tuple[str, ...]:
        """Account names in config order."""
        return tuple(self.config.accounts)

    def _emit(self, event: api.BackendEvent) -> None:
        try:
            self.listener(event)
            self._new_mail.offer(event)
        except Exception:
            log.exception("listener failed on %r", event)
        if isinstance(event, api.AccountStateChanged) and event.state is api.AccountState.ONLINE:
            # Back online: what waits in the outbox goes out now, not at the next tick.
            self._retry_outbox_quietly(event.account)

    def _retry_outbox_quietly(self, account: str | None) -> None:
        try:
            self.retry_outbox(account)
        except (MailError, OSError) as exc:
            log.warning("outbox retry failed: %s", exc)

    def _outbox_ticks(self) -> None:
        """Retry due outbox entries every ``outbox_retry_interval`` until stopped."""
        try:  # what an earlier run left in the outbox shows at once
            self.send_queue().announce()
        except (MailError, OSError) as exc:
            log.warning("outbox unreadable: %s", exc)
        while not self._stopping.wait(self.options.outbox_retry_interval):
            self._retry_outbox_quietly(None)

    def start(self) -> None:
        """Open each cache's read side, then start the workers and IDLE watchers."""
        if self._started:
            return
        self._started = True
        opts = self.options
        threading.Thread(target=self._outbox_ticks, name="outbox-retry", daemon=True).start()
        for name, account in self.config.accounts.items():
            path = cache_file(self.cache_dir, name)
            try:
                self._readers[name] = MailCache.open(path, name)
            except MailError as exc:
                log.error("cache of %s unusable: %s", name, exc)
            if account.pop3 is not None:  # no IDLE, no queue: its folders are local
                backoff = Backoff(opts.backoff_initial, opts.backoff_max)
                pop3 = Pop3Worker(account, path, self._emit, backoff=backoff, timeout=opts.timeout)
                pop3.poll_interval = _either(opts.poll_interval, pop3.poll_interval)
                self.workers[name] = pop3
                pop3.start()
                continue
            worker = AccountWorker(
                account,
                path,
                self._emit,
                backoff=Backoff(opts.backoff_initial, opts.backoff_max),
                timeout=opts.timeout,
                max_job_retries=opts.max_job_retries,
                index_all=self.config.general.index_bodies == "all",
            )
            self.workers[name] = worker
            worker.start()
            if opts.idle:
                watcher = IdleWatcher(
                    account,
                    password=lambda w=worker: w.good_password,  # type: ignore[misc]
                    on_change=lambda folder, n=name: self._folder_changed(n, folder),  # type: ignore[misc]
                    backoff=Backoff(opts.backoff_initial, opts.backoff_max),
                    check_timeout=opts.idle_check_timeout,
                    liveness_after=opts.idle_liveness_after,
                    poll_interval=_either(opts.poll_interval, account.poll_interval),
                    folder_poll_interval=_either(
                        opts.folder_poll_interval, account.folder_poll_interval
                    ),
                    verify_after=_either(opts.idle_verify_after, account.idle_verify_after),
                    timeout=opts.timeout,
                    use_idle=account.idle == "auto",
                )
                self.watchers[name] = watcher
                watcher.start()

    def _folder_changed(self, account: str, folder: str) -> None:
        """The watcher saw ``folder`` change: sync it (one pending sync per folder).

        The sync tells the UI (counts, rows, new mail). A report while that
        folder's sync is queued or running asks for one more sync after it: a
        sync already past its UID comparison would not see the new message.
        """
        key = (account, folder)
        with self._idle_lock:
            pending = self._idle_syncs.get(key)
            if pending is not None and not pending.done():
                self._sync_again.add(key)
                return
            future = self.submit(api.SyncFolder(account, folder))
            self._idle_syncs[key] = future
        future.add_done_callback(lambda _done: self._sync_again_if_asked(key))

    def _sync_again_if_asked(self, key: tuple[str, str]) -> None:
        with self._idle_lock:
            again = key in self._sync_again and not self._stopping.is_set()
            self._sync_again.discard(key)
        if again:
            self._folder_changed(*key)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every thread; returns within about ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        self._stopping.set()
        threads: list[Worker | IdleWatcher] = [
            *self.watchers.values(),
            *self.workers.values(),
        ]
        for thread in threads:  # signal all first so they wind down in parallel
            thread.request_stop()
        for thread in threads:
            thread.stop(max(0.05, deadline - time.monotonic()))
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._new_mail.close()
        self._search.close()
        with self._reader_lock:
            for reader in self._readers.values():
                reader.close()
            self._readers.clear()

    def submit(self, command: api.Command[R]) -> Future[R]:
        """Queue a command on its account's worker (searches run on the view pool)."""
        if isinstance(command, api.SearchMessages):
            # SearchMessages is a Command[SearchResults] and a SearchView is one, but
            # mypy keeps no link from the narrowed command back to R.
            return cast("Future[R]", self._search.submit(command, self._pool, self.submit))
        worker = self.workers.get(command.account)
        if worker is None:
            future: Future[R] = Future()
            future.set_exception(NotFound("unknown account", command.account))
            return future
        submitted = worker.submit(command)
        watcher = self.watchers.get(command.account)
        if watcher is not None and _changes_folder(command, watcher.folder):
            # A server that does not report in IDLE shows itself on our own change.
            submitted.add_done_callback(lambda _done: watcher.verify_soon())
        return submitted

    def view(
        self,
        account: str,
        folder: str,
        order: api.ViewOrder,
        collapsed: frozenset[int] = frozenset(),
    ) -> Future[api.MessageView]:
        """Build a view of a folder's cached rows in the thread pool."""
        reader = self._readers.get(account)
        if reader is None:
            future: Future[api.MessageView] = Future()
            future.set_exception(NotFound("no cache for this account", account))
            return future
        try:
            return self._pool.submit(reader.open_view, folder, order, collapsed)
        except RuntimeError:  # the pool is shut down: the service was stopped
            stopped: Future[api.MessageView] = Future()
            stopped.set_exception(NotFound("the mail service is stopped", account))
            return stopped

    def cached_folders(self, account: str) -> list[Folder]:
        """The folder list from the cache (empty before the first ListFolders)."""
        with self._reader_lock:
            reader = self._readers.get(account)
            if reader is None:
                return []
            try:
                return reader.folders()
            except MailError:
                return []

    def address_suggestions(self, account: str, text: str) -> list[Address]:
        """Addresses for completing ``text`` (cache and address book); call off the UI thread."""
        from tui_mail.backend.addresses import suggest_addresses

        config = self.config.accounts.get(account)
        if config is None:
            return []
        return suggest_addresses(
            self._readers.get(account),
            text,
            sent_folder=self.sent_folder(account) or "",
            book_command=config.address_book_command,
        )

    def set_password(self, account: str, password: str, remember: bool = False) -> None:
        """Use ``password`` from now on and reconnect; ``remember`` saves it in the keyring."""
        worker = self.workers.get(account)
        if worker is None:
            raise NotFound("unknown account", account)
        worker.set_password(password)
        if remember:
            # The keyring may block: do it on the worker thread, never the caller's.
            from tui_mail.secrets import store_password

            pop3 = self.config.accounts[account].pop3 is not None
            worker.submit_call(lambda: store_password(account, "pop3" if pop3 else "imap", password))

    def sign_in(self, account: str, flow: str | None = None) -> Future[api.SignedIn]:
        """Run an OAuth2 account's sign-in on a thread of its own (``SignInPrompted`` events).

        The stored refresh token is replaced only when the sign-in works; then the
        account reconnects (leaving "needs sign-in") and its waiting outbox entries
        are sent. A sign-in already running for the account is cancelled first.
        """
        from tui_mail.backend.auth.login import sign_in

        future: Future[api.SignedIn] = Future()
        config = self.config.accounts.get(account)
        if config is None or config.oauth2 is None:
            future.set_exception(NotFound("no OAuth2 account of that name", account))
            return future
        self.cancel_sign_in(account)
        cancel = self._sign_ins[account] = threading.Event()

        def show(text: str) -> None:
            self._emit(api.SignInPrompted(account, text))

        def run() -> None:
            try:
                done = sign_in(config, show, flow=flow, cancel=cancel)
            except MailError as exc:
                future.set_exception(exc)
                return
            finally:
                if self._sign_ins.get(account) is cancel:
                    del self._sign_ins[account]
            worker = self.workers.get(account)
            if worker is not None:
                worker.set_password(credential_for(config))  # the new sign-in's credential
            self._resend_waiting(account)
            future.set_result(done)

        threading.Thread(target=run, name=f"oauth2-sign-in-{account}", daemon=True).start()
        return future

    def cancel_sign_in(self, account: str) -> None:
        """Give up ``account``'s sign-in in progress (its Future fails with "cancelled")."""
        running = self._sign_ins.pop(account, None)
        if running is not None:
            running.set()

    def _resend_waiting(self, account: str) -> None:
        """Send now what waited for a sign-in (not only what its backoff allows)."""
        try:
            queue = self.send_queue()
            for entry in queue.entries():
                if entry.account == account and not entry.permanent:
                    queue.resend(entry.id)
        except (MailError, OSError) as exc:
            log.warning("outbox retry after sign-in failed: %s", exc)

    # ------------------------------------------------------------ hooks for sending

    def sent_folder(self, account: str) -> str | None:
        """The Sent folder of ``account`` (override, SPECIAL-USE or common name)."""
        worker = self.workers.get(account)
        if worker is None:
            return None
        configured = self.config.accounts[account].folders.sent
        return configured or folder_with_role(worker.folders, FolderRole.SENT)

    def append_to_sent(self, account: str, message: bytes) -> Future[int | None]:
        """APPEND a sent message to Sent (marked \\Seen) on the account's worker.

        The SMTP send path calls this after a successful send unless the
        account's ``folders.save_sent`` is off. Fails with NotFound when the
        account has no Sent folder.
        """
        folder = self.sent_folder(account)
        if folder is None:
            future: Future[int | None] = Future()
            future.set_exception(NotFound("no Sent folder", account))
            return future
        return self.submit(api.AppendMessage(account, folder, message, ("\\Seen",)))

    def send(self, draft: Draft) -> Future[api.SendOutcome]:
        """Queue ``draft`` in the outbox and send it (see ``sending.SendQueue.send``)."""
        return self.send_queue().send(draft)

    def retry_outbox(self, account: str | None = None) -> list[Future[api.SendOutcome]]:
        """Resend outbox entries whose retry time has come (e.g. when back online)."""
        return list(self.send_queue().retry_due(account))

    def send_queue(self) -> SendQueue:
        """The outbox sender, made on first use (its folder comes from ``paths``)."""
        with self._sending_lock:
            if self._sending is None:
                from tui_mail.backend.send.outbox import Outbox
                from tui_mail.backend.send.pipeline import SendQueue
                from tui_mail.paths import outbox_dir

                self._sending = SendQueue(
                    self.config,
                    Outbox(outbox_dir()),
                    self._emit,
                    self.submit,
                    self.append_to_sent,
                    self._smtp_password,
                )
            return self._sending

    def _smtp_password(self, account: str) -> Credential | None:
        """The SMTP password; where none is stored, the IMAP one typed this session
        (same login on both servers only). Runs on the sender thread.

        An OAuth2 SMTP server gets the account's token source (shared with IMAP)."""
        from tui_mail.secrets import get_password

        config = self.config.accounts[account]
        if config.smtp is not None and config.smtp.uses_oauth2:
            return credential_for(config)
        password: Credential | None = get_password(config, "smtp")
        worker = self.workers.get(account)
        same_login = config.smtp is not None and config.smtp.username == config.incoming.username
        if password is None and worker is not None and same_login:
            password = worker.good_password
        return password
