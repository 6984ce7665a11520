"""The UI's side of the line to the backend (DESIGN.md sections 1 and 3).

:class:`ServiceBridge` turns a command's ``concurrent.futures.Future`` into
something a Textual async worker can await, and turns a ``MailError`` into a
toast. Backend events arrive on a backend thread; :func:`listener_for` gives the
service a listener that only calls the thread-safe ``App.post_message`` with a
:class:`BackendMessage`, so widgets are only ever touched on the UI loop.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeVar

from textual.message import Message
from textual.worker import Worker, WorkerState

from tui_mail.backend import (
    BackendEvent,
    Command,
    EventListener,
    IndexProgress,
    MailService,
    MessageView,
    SyncProgress,
    ViewOrder,
)
from tui_mail.errors import MailError
from tui_mail.mail.sanitize import clean_line

if TYPE_CHECKING:
    from textual.app import App

R = TypeVar("R")


class BackendMessage(Message):
    """A :class:`BackendEvent` delivered on the UI loop (the app routes it to the screen)."""

    def __init__(self, event: BackendEvent) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        """True when ``message``, queued behind this one, makes it stale (DESIGN.md section 3).

        Progress reports of one sync (same account and folder) or of one account's
        indexing only say how far it got: a burst is shown as its newest report.
        Textual only merges neighbours in the queue, so no other event is reordered.
        """
        if not isinstance(message, BackendMessage):
            return False
        old, new = self.event, message.event
        if isinstance(old, SyncProgress) and isinstance(new, SyncProgress):
            return (old.account, old.folder) == (new.account, new.folder)
        if isinstance(old, IndexProgress) and isinstance(new, IndexProgress):
            return old.account == new.account
        return False


class WorkerFailed(Message):
    """A UI worker died of an unexpected error; the app shows it in a dialog."""

    def __init__(self, error: BaseException, job: str) -> None:
        super().__init__()
        self.error = error
        self.job = job


def report_failure(app: App[Any], event: Worker.StateChanged) -> None:
    """Forward a worker's unexpected error to the app's one error handler.

    ``MailError`` is expected (the bridge has toasted it); anything else is a bug
    the user should see as a dialog, not as a traceback.
    """
    error = event.worker.error
    if event.state is WorkerState.ERROR and error is not None and not isinstance(error, MailError):
        app.post_message(WorkerFailed(error, event.worker.name or event.worker.group))


def listener_for(app: App[Any]) -> EventListener:
    """A backend listener that hands each event to the UI loop (thread-safe)."""

    def listen(event: BackendEvent) -> None:
        app.post_message(BackendMessage(event))

    return listen


class ServiceBridge:
    """Awaitable access to a :class:`MailService` from the UI loop.

    ``await bridge.call(cmd)`` returns the command's result; a ``MailError`` is
    shown as a toast (its summary, sanitised) and then re-raised so the caller
    can roll back. Cancelling the awaiting worker cancels the Future, so the
    account worker skips a job nobody waits for any more.
    """

    def __init__(self, app: App[Any], service: MailService) -> None:
        self.app = app
        self.service = service

    async def call(self, command: Command[R], *, quiet: bool = False) -> R:
        """Submit ``command`` and await its result (of the type the command names).

        A ``MailError`` is toasted unless ``quiet``, then re-raised.
        """
        try:
            return await asyncio.wrap_future(self.service.submit(command))
        except MailError as error:
            if not quiet:
                self.notify_error(error)
            raise

    async def view(
        self,
        account: str,
        folder: str,
        order: ViewOrder,
        collapsed: frozenset[int] = frozenset(),
    ) -> MessageView:
        """Build a folder view off the loop and await it (``collapsed``: folded thread roots)."""
        try:
            return await asyncio.wrap_future(self.service.view(account, folder, order, collapsed))
        except MailError as error:
            self.notify_error(error)
            raise

    def notify_error(self, error: MailError) -> None:
        """A toast with the error's one-line summary (network text, so sanitised)."""
        self.app.notify(clean_line(error.summary), title="Error", severity="error", markup=False)
