"""The send path around the outbox (DESIGN.md section 7), run off the UI thread.

Draft -> ``mail.compose`` -> written atomically to the outbox -> SMTP -> APPEND to
Sent -> ``\\Answered``/``$Forwarded`` on the original -> outbox entry removed.
Each send runs in a one-shot thread that owns its SMTP connection; IMAP steps
(APPEND, flags) are queued on the account's worker and awaited there. Entries
that failed with a temporary error are retried by :meth:`SendQueue.retry_due`
(the service calls it when an account comes online and on a timer).

:func:`send_from_outbox` runs the whole chain for one outbox entry: deliver (unless
the server already accepted it), persist "accepted", APPEND to Sent, flag the
original, remove the entry. Only a failure *before* acceptance is raised; later
failures are reported in the ``SendOutcome``. An entry whose Sent copy could not
be saved stays in the outbox (``Outbox.unfinished()``), marked accepted, so a
retry saves the copy and never sends the mail a second time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol, TypeVar

from tui_mail.backend import api
from tui_mail.backend.api import OutboxEntry, SendOutcome
from tui_mail.backend.auth.tokens import Credential
from tui_mail.backend.gpg import GnuPG
from tui_mail.backend.send.outbox import Outbox, load_attachments
from tui_mail.backend.send.smtp import DEFAULT_TIMEOUT, DeliveryError, deliver
from tui_mail.config import AccountConfig, Config
from tui_mail.errors import MailError, NotFound, SendError
from tui_mail.mail.compose import build_message, envelope, message_bytes
from tui_mail.mail.crypto.writer import protect
from tui_mail.models import ANSWERED, FORWARDED, Draft

log = logging.getLogger(__name__)

IMAP_STEP_TIMEOUT = 120.0

#: (account, message bytes) -> Future of the APPEND (the service's ``append_to_sent``).
AppendSent = Callable[[str, bytes], "Future[int | None]"]

R = TypeVar("R")


class Submit(Protocol):
    """A command for an account's worker -> its Future (the service's ``submit``)."""

    def __call__(self, command: api.Command[R], /) -> Future[R]: ...


#: Account name -> SMTP password or None (may block: runs on the sender thread).
PasswordFor = Callable[[str], "Credential | None"]


def signature_for(account: AccountConfig, draft: Draft) -> str:
    """The signature text of the identity the draft is sent from ("" when none)."""
    for identity in account.identities:
        if identity.email.lower() == draft.from_.email.lower() and identity.signature_file:
            try:
                return Path(identity.signature_file).expanduser().read_text("utf-8", "replace")
            except OSError as exc:
                log.warning("signature file unreadable: %s", exc)
    return ""


def send_from_outbox(
    outbox: Outbox,
    entry_id: str,
    account: AccountConfig,
    password: Credential | None,
    append_sent: Callable[[bytes], None] | None,
    mark_original: Callable[[], None] | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    local_hostname: str | None = None,
) -> SendOutcome:
    """Deliver one outbox entry and finish its later steps (see the module docstring).

    Raises DeliveryError (after recording it in the entry) when delivery fails.
    ``append_sent`` gets the message bytes (skipped when ``save_sent`` is off or it
    is None, e.g. the server files sent mail itself); ``mark_original`` sets
    ``\\Answered``/``$Forwarded`` (see :func:`original_flag`). Their failures
    are reported in the outcome and never cause a second delivery.
    """
    entry = outbox.get(entry_id)
    if entry.problems:
        raise SendError("This outbox entry is damaged", "; ".join(entry.problems), step="outbox")
    delivered_now = False
    if not entry.smtp_accepted:
        try:
            if account.smtp is None:
                raise DeliveryError("No SMTP server is configured", step="connect", permanent=True)
            deliver(
                account.smtp,
                password,
                outbox.message(entry_id),
                entry.mail_from,
                list(entry.recipients),
                timeout=timeout,
                local_hostname=local_hostname,
                allow_insecure=account.allow_insecure,
            )
        except DeliveryError as exc:
            outbox.mark_failed(entry_id, exc.step, str(exc), permanent=exc.permanent)
            raise
        entry = outbox.mark_accepted(entry_id)  # on disk before anything else happens
        delivered_now = True
    problems: list[str] = []
    if entry.sent_saved is not True and account.folders.save_sent and append_sent is not None:
        error = _run_step(append_sent, outbox.message(entry_id))
        entry = outbox.mark_sent_saved(entry_id, error)
        if error:
            problems.append(f"Sent, but the copy could not be saved to Sent: {error}")
    if entry.original_marked is None and mark_original is not None:
        error = _run_step(mark_original)
        entry = outbox.mark_original(entry_id, error)
        if error:
            problems.append(f"Sent, but the original could not be flagged: {error}")
    removed = entry.sent_saved is not False
    if removed:
        outbox.remove(entry_id)
    return SendOutcome(
        entry_id=entry_id,
        delivered_now=delivered_now,
        sent_saved=entry.sent_saved,
        original_marked=entry.original_marked,
        removed=removed,
        problems=tuple(problems),
    )


def original_flag(reply_kind: str) -> str | None:
    """The flag an original gets once its reply or forward is sent."""
    return {"reply": ANSWERED, "forward": FORWARDED}.get(reply_kind)


def _run_step(step: Callable[..., None], *args: bytes) -> str:
    """Run a post-delivery step; its failure becomes text, never an exception."""
    try:
        step(*args)
    except Exception as exc:  # any failure here must not lead to a resend
        return str(exc) or exc.__class__.__name__
    return ""


class SendQueue:
    """Queues drafts in the outbox and delivers them in one-shot threads.

    Never sends one entry twice at once (an in-flight set), and never resends an
    entry the SMTP server accepted (``send_from_outbox`` persists that first).
    """

    def __init__(
        self,
        config: Config,
        outbox: Outbox,
        emit: api.EventListener,
        submit: Submit,
        append_sent: AppendSent,
        password_for: PasswordFor,
    ) -> None:
        self.config = config
        self.outbox = outbox
        self._emit = emit
        self._submit = submit
        self._append_sent = append_sent
        self._password_for = password_for
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ public

    def send(self, draft: Draft) -> Future[SendOutcome]:
        """Build ``draft``, queue it in the outbox and deliver it in a new thread.

        The Future fails with a ``MailError`` (the message stays in the outbox when it
        got that far) or gives the ``SendOutcome``.
        """
        future: Future[SendOutcome] = Future()
        thread = threading.Thread(
            target=self._run, args=(future, draft, None), name="smtp-send", daemon=True
        )
        thread.start()
        return future

    def resend(self, entry_id: str) -> Future[SendOutcome]:
        """Try an outbox entry again now (from the outbox folder or a retry)."""
        future: Future[SendOutcome] = Future()
        thread = threading.Thread(
            target=self._run, args=(future, None, entry_id), name="smtp-resend", daemon=True
        )
        thread.start()
        return future

    def retry_due(self, account: str | None = None) -> list[Future[SendOutcome]]:
        """Resend every entry whose backoff has passed (and unfinished Sent copies)."""
        entries = {e.id: e for e in (*self.outbox.due(), *self.outbox.unfinished())}
        return [
            self.resend(entry.id)
            for entry in entries.values()
            if account is None or entry.account == account
        ]

    def entries(self) -> list[OutboxEntry]:
        """What the outbox holds, oldest first."""
        return self.outbox.list()

    def message(self, entry_id: str) -> bytes:
        """The exact bytes queued for an entry."""
        return self.outbox.message(entry_id)

    def remove(self, entry_id: str) -> None:
        """Delete an entry the user gave up on (or took back to edit); announced."""
        with self._lock:
            if entry_id in self._in_flight:
                raise SendError("The message is being sent right now", step="outbox")
        self.outbox.remove(entry_id)
        self.announce()

    # ------------------------------------------------------------------ thread body

    def _run(self, future: Future[SendOutcome], draft: Draft | None, entry_id: str | None) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            if draft is not None:
                entry_id = self._queue(draft)
            assert entry_id is not None
            future.set_result(self._deliver(entry_id))
        except MailError as exc:
            future.set_exception(exc)
        except Exception as exc:  # a bug must not kill the thread silently: report it
            log.exception("send failed unexpectedly")
            future.set_exception(
                SendError("Sending failed unexpectedly", repr(exc), step="internal")
            )
        finally:
            self.announce()

    def _queue(self, draft: Draft) -> str:
        account = self._account(draft.account)
        attachments = load_attachments(draft.attachments)
        domain = draft.from_.email.rpartition("@")[2] or None
        message = build_message(
            draft,
            attachments=attachments,
            signature=signature_for(account, draft),
            message_id_domain=domain,
        )
        data = message_bytes(message)
        if draft.pgp:  # before the outbox: a recipient without a key stops the send here
            sender, recipients = envelope(draft)
            data = protect(data, draft.pgp, GnuPG(), sign_key=sender,
                           recipients=[*recipients, sender])  # the Sent copy: to yourself too
        return self.outbox.add_draft(draft, data)

    def _deliver(self, entry_id: str) -> SendOutcome:
        with self._lock:
            if entry_id in self._in_flight:
                raise SendError("This message is being sent already", entry_id, step="outbox")
            self._in_flight.add(entry_id)
        try:
            entry = self.outbox.get(entry_id)
            account = self._account(entry.account)
            password = None if entry.smtp_accepted else self._password_for(entry.account)
            return send_from_outbox(
                self.outbox,
                entry_id,
                account,
                password,
                append_sent=self._appender(account),
                mark_original=self._marker(entry),
            )
        finally:
            with self._lock:
                self._in_flight.discard(entry_id)

    def _appender(self, account: AccountConfig) -> Callable[[bytes], None] | None:
        if not account.folders.save_sent:
            return None

        def append(message: bytes) -> None:
            self._append_sent(account.name, message).result(timeout=IMAP_STEP_TIMEOUT)

        return append

    def _marker(self, entry: OutboxEntry) -> Callable[[], None] | None:
        flag = original_flag(entry.reply_kind)
        if entry.original is None or not flag:
            return None
        folder, uid = entry.original

        def mark() -> None:
            command = api.SetFlags(entry.account, folder, (uid,), (flag,), add=True)
            self._submit(command).result(timeout=IMAP_STEP_TIMEOUT)

        return mark

    def _account(self, name: str) -> AccountConfig:
        account = self.config.accounts.get(name)
        if account is None:
            raise NotFound("unknown account", name)
        return account

    def announce(self) -> None:
        """Emit ``OutboxChanged`` for every account (its count, the last error)."""
        try:
            entries = self.outbox.list()
        except OSError as exc:
            log.warning("outbox unreadable: %s", exc)
            return
        for account in {e.account for e in entries} | set(self.config.accounts):
            mine = [e for e in entries if e.account == account]
            pending = len(mine)
            failed = [e.last_error for e in mine if e.last_error]
            last_error = failed[-1] if failed else ""
            self._emit(api.OutboxChanged(account, pending, last_error))
