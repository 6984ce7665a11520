"""Telling the user that mail came (issue 21 item 4): notify-send or their own command.

The service hands every event to :meth:`NewMailNotifier.offer`; the notifier
keeps the ``NewMailArrived`` of the folders each account lists in
``notify_folders`` (INBOX by default) and, on its own thread, runs one command
per folder for each burst (events within ``batch_delay`` s are merged): the
user's ``new_mail_command`` where set, else ``notify-send`` where installed
and ``new_mail_notify`` is on.

What a message says reaches the command only as argv elements, never through
a shell, so ``$(...)`` or backquotes in a subject stay text. Each value is
first made one safe line (escape sequences, control and bidi characters gone)
and cut short; for notify-send, whose body is markup, ``& < >`` are escaped
too. A command gets ``timeout`` s, then it is killed. Nothing here blocks the
caller: a slow command delays the next notice, not the mail.
"""

from __future__ import annotations

import html
import logging
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tui_mail.backend.api import BackendEvent, NewMailArrived
from tui_mail.config import Config
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import MessageSummary

log = logging.getLogger(__name__)

#: Events closer together than this are one burst: one notice.
BATCH_DELAY = 1.0
#: A notification command gets this long before it is killed.
COMMAND_TIMEOUT = 5.0
#: The longest value put in a placeholder (a subject can be kilobytes).
MAX_VALUE = 200

Runner = Callable[[Sequence[str], float], None]


@dataclass(frozen=True, slots=True)
class Notice:
    """What one notice says: already safe, one line each."""

    account: str
    folder: str
    count: int
    sender: str
    subject: str

    def values(self) -> dict[str, str]:
        """The placeholders of ``new_mail_command`` and their values."""
        return {
            "{from}": self.sender,
            "{subject}": self.subject,
            "{folder}": self.folder,
            "{account}": self.account,
            "{count}": str(self.count),
        }


def notice_for(account: str, folder: str, count: int, newest: Sequence[MessageSummary]) -> Notice:
    """The notice for ``count`` new messages whose newest few are ``newest``."""
    first = newest[0] if newest else None
    sender = ""
    if first is not None and first.from_:
        sender = first.from_[0].name or first.from_[0].email
    subject = first.subject if first is not None else ""
    if count > 1:
        subject = f"{count} new messages; newest: {subject}"
    return Notice(
        clean_line(account, MAX_VALUE),
        clean_line(folder, MAX_VALUE),
        count,
        clean_line(sender, MAX_VALUE),
        clean_line(subject, MAX_VALUE),
    )


def command_argv(template: Sequence[str], notice: Notice) -> list[str]:
    """``new_mail_command`` with each placeholder replaced inside its own argv element."""
    argv = []
    for word in template:
        for placeholder, value in notice.values().items():
            word = word.replace(placeholder, value)
        argv.append(word)
    return argv


def notify_send_argv(program: str, notice: Notice) -> list[str]:
    """A desktop notification: ``--`` first, so a subject starting with ``-`` is no option."""
    body = f"{notice.sender}: {notice.subject}" if notice.sender else notice.subject
    return [
        program,
        "--app-name=tui-mail",
        "--",
        html.escape(f"New mail in {notice.folder} ({notice.account})", quote=False),
        html.escape(body, quote=False),
    ]


def run_command(argv: Sequence[str], timeout: float) -> None:
    """Run ``argv`` without a shell, without our terminal, killed after ``timeout`` s."""
    subprocess.run(  # an argv list from the user's config: no shell
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
        start_new_session=True,  # a terminal's Ctrl-C must not reach it, nor it our tty
    )


class NewMailNotifier:
    """Runs the new-mail notice for each burst of ``NewMailArrived`` (module docstring)."""

    def __init__(
        self,
        config: Config,
        *,
        batch_delay: float = BATCH_DELAY,
        timeout: float = COMMAND_TIMEOUT,
        which: Callable[[str], str | None] = shutil.which,
        runner: Runner = run_command,
    ) -> None:
        general = config.general
        self._folders = {name: set(a.notify_folders) for name, a in config.accounts.items()}
        self._command = general.new_mail_command
        notify_send = which("notify-send") if general.new_mail_notify else None
        self._notify_send = notify_send
        self.batch_delay = batch_delay
        self.timeout = timeout
        self._runner = runner
        self._events: queue.Queue[NewMailArrived | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """False when there is nothing to run (no command, no notify-send)."""
        return bool(self._command) or self._notify_send is not None

    def offer(self, event: BackendEvent) -> None:
        """Take ``event`` if it is new mail in a folder to announce; never blocks."""
        if not isinstance(event, NewMailArrived) or not self.enabled:
            return
        if event.folder not in self._folders.get(event.account, ()):
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="new-mail-notices", daemon=True
                )
                self._thread.start()
        self._events.put(event)

    def close(self) -> None:
        """Let the thread end after what it is running (it is a daemon either way)."""
        self._events.put(None)

    def _run(self) -> None:
        while (first := self._events.get()) is not None:
            burst = [first]
            deadline = time.monotonic() + self.batch_delay
            while (left := deadline - time.monotonic()) > 0:
                try:
                    more = self._events.get(timeout=left)
                except queue.Empty:
                    break
                if more is None:
                    self._events.put(None)  # end after this burst
                    break
                burst.append(more)
            for notice in merged(burst):
                self._announce(notice)

    def _announce(self, notice: Notice) -> None:
        if self._command:
            argv = command_argv(self._command, notice)
        elif self._notify_send is not None:
            argv = notify_send_argv(self._notify_send, notice)
        else:
            return
        try:
            self._runner(argv, self.timeout)
        except subprocess.TimeoutExpired:
            log.warning("new-mail command %s took over %g s: killed", argv[0], self.timeout)
        except OSError as exc:
            log.warning("new-mail command %s could not run: %s", argv[0], exc)


def merged(burst: Sequence[NewMailArrived]) -> list[Notice]:
    """One notice per (account, folder) of a burst, counting all of its messages."""
    groups: dict[tuple[str, str], list[NewMailArrived]] = {}
    for event in burst:
        groups.setdefault((event.account, event.folder), []).append(event)
    notices = []
    for (account, folder), events in groups.items():
        newest = sorted((s for e in events for s in e.newest), key=lambda s: s.uid, reverse=True)
        notices.append(notice_for(account, folder, sum(e.count for e in events), newest))
    return notices
