"""Which of a sync's new messages are new mail, and not mail this client put there.

A sync fetches every message it has not seen, but only some of them deserve a
notice (issue 21 item 4): not a folder's first sync (all of it is "new"), not
mail already read, and never a message the user just moved, copied or deleted
into the folder (an undo moving it back to INBOX included). The handlers record
what they place (:class:`OwnPlacements`, by destination UID where the server
gave COPYUID and by Message-ID where it did not); :func:`new_mail` filters.

In memory, on the worker's thread only, bounded and forgotten after ``window`` s.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tui_mail.models import MessageSummary

#: How long a message we placed is remembered: longer than a poll interval of
#: the other folders (120 s by default) plus a slow sync of that folder.
PLACEMENT_WINDOW = 600.0
#: The most placements remembered (each one a move, copy or delete).
MAX_PLACEMENTS = 512
#: How many of the new messages an announcement carries (a notice names a few).
ANNOUNCED = 5


@dataclass(frozen=True, slots=True)
class _Placement:
    at: float
    folder: str
    uids: frozenset[int]
    message_ids: frozenset[str]


class OwnPlacements:
    """The messages this client put into folders lately (see the module docstring)."""

    def __init__(
        self,
        window: float = PLACEMENT_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.clock = clock
        self._placed: deque[_Placement] = deque(maxlen=MAX_PLACEMENTS)

    def record(self, folder: str, uids: Iterable[int], message_ids: Iterable[str]) -> None:
        """We just put messages into ``folder``: their new UIDs (if known), their Message-IDs."""
        placement = _Placement(
            self.clock(), folder, frozenset(uids), frozenset(m for m in message_ids if m)
        )
        if placement.uids or placement.message_ids:
            self._placed.append(placement)

    def placed_by_us(self, summary: MessageSummary) -> bool:
        """True when ``summary`` is a message we put into its folder within the window."""
        oldest = self.clock() - self.window
        while self._placed and self._placed[0].at < oldest:
            self._placed.popleft()
        return any(
            p.folder == summary.folder
            and (
                summary.uid in p.uids
                or (summary.message_id and summary.message_id in p.message_ids)
            )
            for p in self._placed
        )


@dataclass(slots=True)
class NewMail:
    """The new mail one sync found: how many, and the newest few."""

    count: int = 0
    newest: tuple[MessageSummary, ...] = ()

    def add(self, summaries: Sequence[MessageSummary]) -> None:
        """Count a batch (newest first, as a sync fetches) and keep the newest few."""
        self.count += len(summaries)
        if len(self.newest) < ANNOUNCED:
            self.newest += tuple(summaries[: ANNOUNCED - len(self.newest)])


def new_mail(
    summaries: Iterable[MessageSummary], first_new_uid: int, placements: OwnPlacements
) -> list[MessageSummary]:
    """Of a batch of fetched messages, those that came since the last sync, unread, not ours.

    ``first_new_uid`` is the folder's UIDNEXT at its last complete sync; 0 when
    there was none (a first sync announces nothing).
    """
    if first_new_uid <= 0:
        return []
    return [
        s
        for s in summaries
        if s.uid >= first_new_uid and s.unread and not placements.placed_by_us(s)
    ]
