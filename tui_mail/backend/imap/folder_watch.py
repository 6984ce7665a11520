"""New mail in the folders the IDLE watcher does not select (issue 21 item 3).

IDLE watches one folder. For the others the watcher uses, in order of preference:

- **NOTIFY** (RFC 5465), where the server offers it (Dovecot does): one
  ``NOTIFY SET`` after login, and the server then sends a ``STATUS`` line for a
  folder whose messages came or went, in the middle of the IDLE it already
  waits in. Seen on Dovecot 2.3: half a second after another client's APPEND.
- **Polling** otherwise (pymap, most hosted servers): every
  ``folder_poll_interval`` s the counts of every folder are read (one
  ``LIST ... RETURN (STATUS ...)`` where LIST-STATUS is offered, else a STATUS
  per folder) and a folder whose counts moved since the last poll is reported.
  The same poll runs after every reconnect, NOTIFY or not: no report came
  while the connection was down.

Either way the watcher only names folders; the service syncs each one, and the
sync updates the tree's counts and tells whether new mail came.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from tui_mail.backend.imap.protocol import folder_name
from tui_mail.backend.imap.session import ImapSession
from tui_mail.errors import ServerError

log = logging.getLogger(__name__)

#: The watched (selected) folder keeps its usual untagged responses; every other
#: folder of the user's own namespace reports new and expunged messages as STATUS.
NOTIFY_EVENTS = (
    "(selected (MessageNew MessageExpunge FlagChange)) (personal (MessageNew MessageExpunge))"
)


def start_notify(session: ImapSession) -> bool:
    """Ask for NOTIFY's reports where offered; False: the caller has to poll."""
    if not session.has("NOTIFY"):
        return False
    try:
        session.notify_set(NOTIFY_EVENTS)
    except ServerError as exc:  # offered but refused (e.g. a proxy in front of it)
        log.info("NOTIFY refused (%s): polling the other folders", exc)
        return False
    return True


def is_status(response: Any) -> bool:
    """True for an untagged ``STATUS <folder> (...)`` line (what NOTIFY sends)."""
    return (
        isinstance(response, tuple)
        and len(response) >= 2
        and isinstance(response[0], bytes)
        and response[0].upper() == b"STATUS"
    )


def notified_folders(responses: Iterable[Any], watched: str) -> list[str]:
    """The folders NOTIFY's STATUS lines name, in order, without repeats or ``watched``."""
    found: list[str] = []
    for response in responses:
        if is_status(response):
            name = folder_name(response[1])
            if name != watched and name not in found:
                found.append(name)
    return found


class FolderCountsPoll:
    """Reports folders whose (total, unread) counts moved since the last poll."""

    def __init__(
        self, interval: float, watched: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.watched = watched
        """The folder IDLE (or the INBOX poll) already covers: never reported here."""
        self._clock = clock
        self._counts: dict[str, tuple[int, int]] | None = None
        self._due = 0.0

    def seconds_left(self) -> float:
        """Seconds until the next poll is due (0 or less: now)."""
        return self._due - self._clock()

    def poll(self, session: ImapSession) -> list[str]:
        """Read every folder's counts now; the folders (not ``watched``) that moved.

        The first poll only learns the counts (what came before the app ran is
        the worker's first sync's business); a poll after a reconnect reports
        what moved while the connection was down, NOTIFY or not.
        """
        self._due = self._clock() + self.interval
        _, counts = session.list_folders()
        before, self._counts = self._counts, counts
        if before is None:
            return []
        return [
            name
            for name, pair in counts.items()
            if name != self.watched and before.get(name) != pair
        ]
