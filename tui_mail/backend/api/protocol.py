"""``MailService``: the backend as the UI sees it (implemented in ``backend/service.py``)."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Protocol, TypeVar

from tui_mail.backend.api.commands import Command
from tui_mail.backend.api.sending import OutboxQueue, SendOutcome
from tui_mail.backend.api.signin import SignedIn
from tui_mail.backend.api.views import MessageView, ViewOrder
from tui_mail.models import Address, Draft, Folder

R = TypeVar("R")


class MailService(Protocol):
    """The backend as the UI sees it (implemented in ``backend/service.py``)."""

    @property
    def accounts(self) -> tuple[str, ...]:
        """Account names in config order."""
        ...

    def start(self) -> None:
        """Start one worker (and IDLE watcher) per account."""
        ...

    def stop(self, timeout: float = 5.0) -> None:
        """Stop all threads; returns within about ``timeout`` seconds."""
        ...

    def submit(self, command: Command[R]) -> Future[R]:
        """Queue a command on its account's worker; the Future gives the command's result."""
        ...

    def view(
        self,
        account: str,
        folder: str,
        order: ViewOrder,
        collapsed: frozenset[int] = frozenset(),
    ) -> Future[MessageView]:
        """Build a view of a folder's cached rows (off the UI thread).

        In a threaded order, the thread roots in ``collapsed`` hide their replies.
        """
        ...

    def cached_folders(self, account: str) -> list[Folder]:
        """The folder list from the cache (may be empty before the first sync)."""
        ...

    def address_suggestions(self, account: str, text: str) -> list[Address]:
        """Addresses matching ``text`` fuzzily for completion: people written to first,
        then others seen in the cache, plus the account's address book command.
        Blocks (SQLite, a subprocess): call it in a thread. Never raises."""
        ...

    def set_password(self, account: str, password: str, remember: bool = False) -> None:
        """Use this password from now on (after an AuthError) and reconnect."""
        ...

    def sign_in(self, account: str, flow: str | None = None) -> Future[SignedIn]:
        """Sign an OAuth2 account in again (blocking parts on a thread of the backend's).

        What to show the user comes as ``SignInPrompted`` events; on success the
        account reconnects and its waiting outbox messages are sent.
        """
        ...

    def cancel_sign_in(self, account: str) -> None:
        """Give up the sign-in in progress (its Future then fails)."""
        ...

    def send_queue(self) -> OutboxQueue:
        """The outbox and its sender (``backend/send/pipeline.py``'s ``SendQueue``)."""
        ...

    def send(self, draft: Draft) -> Future[SendOutcome]:
        """Queue ``draft`` in the outbox and send it (SMTP, Sent copy, original flagged).

        The Future gives a ``SendOutcome`` or fails with a ``MailError``; a message
        that failed stays in the outbox with its error (``OutboxChanged``).
        """
        ...
