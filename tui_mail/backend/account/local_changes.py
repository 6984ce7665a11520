"""RecentLocalChanges: the flags this client set lately, so a sync does not undo them.

Some servers keep showing a session the flags it saw before another session's
STORE, some until LOGOUT (issue 22). A sync that reads such a stale answer right
after the user marked a message read would flip it back to unread. So the
``SetFlags`` handler records each change here, and for ``LOCAL_CHANGE_WINDOW``
seconds a sync that sees flags contradicting it keeps ours (the cache already
holds them) and asks again at the next sync. After the window the server's word
wins: we never fight the server for good.

In memory only and used on the account worker's thread only. Bounded: at most
``MAX_RECORDS`` changes are kept, each with its UIDs packed in an array.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

#: How long (seconds) our own flag change outranks what a sync reads from the server.
LOCAL_CHANGE_WINDOW = 120.0
#: The most changes remembered at once (the oldest is forgotten first).
MAX_RECORDS = 256


@dataclass(frozen=True, slots=True)
class _Change:
    at: float
    folder: str
    uids: array[int]
    """Sorted, for a bisect lookup."""
    flags: frozenset[str]
    add: bool

    def covers(self, uid: int) -> bool:
        index = bisect_left(self.uids, uid)
        return index < len(self.uids) and self.uids[index] == uid


class RecentLocalChanges:
    """Our flag changes of the last ``window`` seconds, and the UIDs to check again."""

    def __init__(
        self,
        window: float = LOCAL_CHANGE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        max_records: int = MAX_RECORDS,
    ) -> None:
        self.window = window
        self.clock = clock
        self._changes: deque[_Change] = deque(maxlen=max_records)
        self._recheck: dict[str, set[int]] = {}

    def record(self, folder: str, uids: Iterable[int], flags: Iterable[str], add: bool) -> None:
        """Remember that we just added (``add``) or removed ``flags`` on ``uids``."""
        self._prune()
        packed = array("I", sorted(set(uids)))
        if packed:
            self._changes.append(_Change(self.clock(), folder, packed, frozenset(flags), add))

    def keeps_ours(self, folder: str, uid: int, server_flags: Collection[str]) -> bool:
        """True when ``server_flags`` contradict a change we made within the window.

        Then the caller keeps the cached (our) flags, and ``uid`` is marked to be
        asked again at the next sync (:meth:`to_recheck`). Flags our changes did not
        touch never count: another client's ``\\Flagged`` is news, not staleness.
        """
        expected = self._expected(folder, uid)
        server = {flag.lower() for flag in server_flags} if expected else set()
        stale = any((flag in server) != present for flag, present in expected.items())
        if stale:
            self._recheck.setdefault(folder, set()).add(uid)
        elif folder in self._recheck:
            self._recheck[folder].discard(uid)
        return stale

    def to_recheck(self, folder: str) -> list[int]:
        """UIDs of ``folder`` whose server flags looked stale at an earlier sync, ascending."""
        return sorted(self._recheck.get(folder, ()))

    def forget(self, folder: str, uids: Iterable[int]) -> None:
        """Stop re-checking ``uids`` (they are gone from the folder)."""
        pending = self._recheck.get(folder)
        if pending is not None:
            pending.difference_update(uids)

    def _expected(self, folder: str, uid: int) -> dict[str, bool]:
        """flag (lower case: flags are case-blind) -> present, as our recent changes of
        ``uid`` left it (the last one wins)."""
        self._prune()
        expected: dict[str, bool] = {}
        if not self._changes:
            return expected
        for change in self._changes:
            if change.folder == folder and change.covers(uid):
                for flag in change.flags:
                    expected[flag.lower()] = change.add
        return expected

    def _prune(self) -> None:
        horizon = self.clock() - self.window
        while self._changes and self._changes[0].at < horizon:
            self._changes.popleft()
