"""What a folder sync reads from the server, each read in a normal and a safer form.

Some servers break the rules (issue 22): one answered ``BAD`` to a ``UID FETCH``
whose UID set named a message another client had expunged, although RFC 3501
says missing UIDs are ignored. So every read of a sync's comparison is tried
once more, in a form such a server cannot refuse for that reason, before the
folder's sync fails (:func:`with_safer_form`):

- all UIDs: ``UID SEARCH ALL``, else a plain ``FETCH`` of sequence ranges
  asking ``UID`` (numbers 1..EXISTS always name a message);
- flags of the cached messages still on the server: ``UID FETCH`` of exactly
  those UIDs (``1:*`` when that is the same set and small), else sequence
  ranges in smaller chunks.

UIDs are kept in ``array("I")`` (4 bytes each, against about 36 as Python ints
in a set): a 100,000-message folder is compared with arrays of 400 kB and a
merge walk, never with sets of every UID.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.imap.envelope import decode_flags
from tui_mail.backend.imap.session import ImapSession
from tui_mail.errors import NotFound, ServerError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: UIDs per ``UID FETCH ... FLAGS`` of the normal flag sweep.
FLAG_SWEEP_CHUNK = 2000
#: Messages per plain ``FETCH`` of the safer forms (smaller: a server that
#: refused once may have a limit of its own).
SAFE_CHUNK = 500
#: How a BAD or NO comes back from the session: the connection is fine, the
#: command was refused (a "no such message" text is translated to NotFound).
REFUSED = (ServerError, NotFound)


def with_safer_form(folder: str, step: str, normal: Callable[[], T], safer: Callable[[], T]) -> T:
    """``normal()``; when the server refuses it (BAD/NO), ``safer()`` once.

    A second refusal fails the folder's sync with a ``ServerError`` whose details
    are the server's own words. Connection losses are not retried here (the
    worker reconnects and re-runs the whole sync).
    """
    try:
        return normal()
    except REFUSED as first:
        log.warning("%s: the server refused the %s (%s); trying a safer form", folder, step, first)
    try:
        return safer()
    except REFUSED as second:
        raise ServerError(
            f"cannot sync {folder}: the server refused the {step}",
            second.details or second.summary,
        ) from second


def chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    """``items`` in slices of ``size`` (array slices stay arrays)."""
    return (items[i : i + size] for i in range(0, len(items), size))


def uid_set(uids: Sequence[int]) -> str:
    """Ascending ``uids`` as an IMAP set, runs of consecutive UIDs as ``a:b``.

    Only exactly consecutive runs are joined, so the set never covers a UID
    that is not in ``uids`` (a gone UID inside a range is what some servers refuse).
    """
    parts: list[str] = []
    index = 0
    while index < len(uids):
        start = end = uids[index]
        index += 1
        while index < len(uids) and uids[index] == end + 1:
            end = uids[index]
            index += 1
        parts.append(str(start) if start == end else f"{start}:{end}")
    return ",".join(parts)


def split_uids(
    cached: Sequence[int], server: Sequence[int]
) -> tuple[array[int], array[int], array[int]]:
    """(gone, kept, new) from two ascending UID lists, by one merge walk.

    ``gone``: cached, not on the server; ``kept``: both; ``new``: on the server
    only, newest first (the order new mail is fetched in).
    """
    gone, kept, new = array("I"), array("I"), array("I")
    i = j = 0
    while i < len(cached) and j < len(server):
        if cached[i] == server[j]:
            kept.append(cached[i])
            i += 1
            j += 1
        elif cached[i] < server[j]:
            gone.append(cached[i])
            i += 1
        else:
            new.append(server[j])
            j += 1
    gone.extend(cached[i:])
    new.extend(server[j:])
    new.reverse()
    return gone, kept, new


class CachedUids:
    """A folder's cached UIDs, read whole only when a sync must compare every one.

    Why: the usual resync (QRESYNC, little changed) needs only the count and a few
    membership checks, and reading 100,000 UIDs for those cost about 10 MB of
    peak memory at every start. Read whole, they are packed (``array("I")``).
    """

    def __init__(self, cache: MailCache, folder: str) -> None:
        self._cache = cache
        self._folder = folder
        self._all: array[int] | None = None
        self.count = cache.counts(folder)[0]

    def all(self) -> array[int]:
        """Every cached UID, ascending (read once)."""
        if self._all is None:
            self._all = array("I", self._cache.uids(self._folder)) if self.count else array("I")
        return self._all

    def among(self, uids: Iterable[int]) -> set[int]:
        """Those of ``uids`` that are cached."""
        return self._cache.known_uids(self._folder, uids)


class FolderReads:
    """The comparison reads of one folder's sync (the folder is selected)."""

    def __init__(self, session: ImapSession, cache: MailCache, folder: str) -> None:
        self.session = session
        self.cache = cache
        self.folder = folder

    def all_uids(self, exists: int) -> array[int]:
        """Every UID in the folder, ascending (``exists``: the count SELECT gave)."""

        def by_sequence() -> array[int]:
            found: list[int] = []
            for first in range(1, max(exists, 0) + 1, SAFE_CHUNK):
                last = first + SAFE_CHUNK - 1
                # The last range ends at "*": messages that arrived since SELECT are
                # seen too, and a count that shrank cannot name a missing number.
                answer = self.session.fetch_by_sequence(
                    first, last if last < exists else None, ["UID"]
                )
                found.extend(answer.keys())
            return array("I", sorted(set(found)))

        return with_safer_form(
            self.folder,
            "search for every UID",
            lambda: array("I", self.session.search(["ALL"])),
            by_sequence,
        )

    def changed_flags(self, kept: Sequence[int], on_server: int) -> dict[int, frozenset[str]]:
        """New flags of the cached messages among ``kept`` (ascending, all still on the
        server, which has ``on_server`` messages) whose flags differ from the cache."""
        if not kept:
            return {}

        def by_uid() -> dict[int, frozenset[str]]:
            if len(kept) == on_server and on_server <= FLAG_SWEEP_CHUNK:
                # The very same set in one short command (and one small answer).
                return self._compare(self.session.fetch("1:*", ["FLAGS"]))
            changed: dict[int, frozenset[str]] = {}
            for chunk in chunks(kept, FLAG_SWEEP_CHUNK):
                changed.update(self._compare(self.session.fetch(uid_set(chunk), ["FLAGS"])))
            return changed

        def by_sequence() -> dict[int, frozenset[str]]:
            changed: dict[int, frozenset[str]] = {}
            for first in range(1, on_server + 1, SAFE_CHUNK):
                last = first + SAFE_CHUNK - 1
                answer = self.session.fetch_by_sequence(
                    first, last if last < on_server else None, ["FLAGS"]
                )
                changed.update(self._compare(answer))
            return changed

        return with_safer_form(self.folder, "flag check", by_uid, by_sequence)

    def _compare(self, answer: dict[int, dict[bytes, Any]]) -> dict[int, frozenset[str]]:
        """UID -> the server's flags, for cached messages whose flags changed.

        UIDs not cached (new mail, answered by a range) are left to the fetch of
        new messages; one chunk's cached flags are read at a time.
        """
        known = self.cache.flags_of(self.folder, sorted(answer))
        changed: dict[int, frozenset[str]] = {}
        for uid, item in answer.items():
            if uid in known:
                flags = decode_flags(item.get(b"FLAGS"))
                if flags != known[uid]:
                    changed[uid] = flags
        return changed
