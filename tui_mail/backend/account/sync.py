"""Bring one folder's cache up to date with the server (DESIGN.md section 4).

Per folder the cache keeps UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ from the last
*complete* sync (an interrupted sync leaves the old state, so the next one
redoes what is missing; rows are upserted by UID so nothing is duplicated).

- UIDVALIDITY changed: the folder's rows are dropped and fetched again.
- New messages: fetched newest first in batches, each stored and announced.
- Flag changes: ``CHANGEDSINCE`` when CONDSTORE is enabled, else a FLAGS sweep.
- Expunges: ``VANISHED`` with QRESYNC, else a ``UID SEARCH ALL`` comparison.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass

from tui_mail.backend.api import (
    BackendEvent,
    FlagsChanged,
    FolderCountsChanged,
    MessagesAdded,
    MessagesRemoved,
    SyncProgress,
)
from tui_mail.backend.cache.store import FolderState, MailCache
from tui_mail.backend.imap.envelope import decode_flags, summary_from_fetch
from tui_mail.backend.imap.session import ImapSession, SelectInfo

log = logging.getLogger(__name__)

BATCH_SIZE = 500
FLAG_SWEEP_CHUNK = 2000
SUMMARY_ITEMS = (
    "UID",
    "FLAGS",
    "INTERNALDATE",
    "RFC822.SIZE",
    "ENVELOPE",
    "BODYSTRUCTURE",
    "BODY.PEEK[HEADER.FIELDS (REFERENCES)]",
)

Emit = Callable[[BackendEvent], None]


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync did, for the caller's Folder and for tests."""

    total: int
    unread: int
    added: int
    removed: int
    flag_changes: int


def announce_counts(
    cache: MailCache,
    emit: Emit,
    account: str,
    folder: str,
    counts: tuple[int, int] | None = None,
) -> None:
    """Store a folder's (total, unread) and tell the UI (``FolderCountsChanged``).

    ``counts`` when the caller has just counted (a sync does, to compare with the
    server); otherwise they are counted from the cached rows here.
    """
    total, unread = cache.counts(folder) if counts is None else counts
    cache.set_counts(folder, total, unread)
    emit(FolderCountsChanged(account, folder, total, unread))


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    return (items[i : i + size] for i in range(0, len(items), size))


class CachedUids:
    """A folder's cached UIDs, read whole only when a sync must compare every one.

    Why: the usual resync (QRESYNC or CONDSTORE, little changed) needs only the count
    and a few membership checks, and reading 100,000 UIDs into a set for those cost
    about 10 MB of peak memory at every start.
    """

    def __init__(self, cache: MailCache, folder: str) -> None:
        self._cache = cache
        self._folder = folder
        self._all: set[int] | None = None
        self.count = cache.counts(folder)[0]

    def all(self) -> set[int]:
        """Every cached UID (read once)."""
        if self._all is None:
            self._all = set(self._cache.uids(self._folder))
        return self._all

    def among(self, uids: Iterable[int]) -> set[int]:
        """Those of ``uids`` that are cached."""
        if self._all is not None:
            return self._all.intersection(uids)
        return self._cache.known_uids(self._folder, uids)


class FolderSync:
    """One sync of one folder over an authenticated session."""

    def __init__(
        self,
        session: ImapSession,
        cache: MailCache,
        account: str,
        folder: str,
        emit: Emit,
        batch_size: int = BATCH_SIZE,
        between_batches: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self.cache = cache
        self.account = account
        self.folder = folder
        self.emit = emit
        self.batch_size = batch_size
        self.between_batches = between_batches
        """Runs what the user asked for meanwhile (a body, a flag) between two batches."""

    def run(self) -> SyncResult:
        """SELECT, reconcile, fetch new mail; raises ``tui_mail.errors`` on failure."""
        info = self.session.select(self.folder)
        state = self.cache.folder_state(self.folder)
        if state is not None and state.uidvalidity != info.uidvalidity:
            log.info("%s: UIDVALIDITY changed, dropping cached rows", self.folder)
            stale = tuple(self.cache.uids(self.folder))
            self.cache.reset_folder(self.folder)
            if stale:
                self.emit(MessagesRemoved(self.account, self.folder, stale))
            state = None
        removed, flag_changes, new_uids = self._reconcile(info, state)
        self._fetch_new(new_uids, info.uidvalidity)
        total, unread = self.cache.counts(self.folder)
        if total != info.exists:
            self._reconcile_all(info.uidvalidity)
            total, unread = self.cache.counts(self.folder)
        uidnext = info.uidnext or (self.cache.max_uid(self.folder) + 1)
        self.cache.set_folder_state(
            self.folder, FolderState(info.uidvalidity, uidnext, info.highestmodseq)
        )
        announce_counts(self.cache, self.emit, self.account, self.folder, (total, unread))
        return SyncResult(total, unread, len(new_uids), removed, flag_changes)

    def _reconcile(
        self, info: SelectInfo, state: FolderState | None
    ) -> tuple[int, int, array[int]]:
        """Apply expunges and flag changes; return their counts and the UIDs to fetch.

        The UID sets built here (100,000 UIDs are about 9 MB as Python ints) are freed
        when this returns, before the long fetch; the UIDs to fetch are kept packed.
        """
        cached = CachedUids(self.cache, self.folder)
        condstore = "CONDSTORE" in self.session.enabled and info.highestmodseq > 0
        changed_flags, vanished = self._flag_changes(info, state, cached, condstore)
        server_uids = self._server_uids(info, state, cached, vanished)
        if server_uids is not None:
            removed = sorted(cached.all().difference(server_uids)) if cached.count else []
        else:
            removed = sorted(cached.among(vanished))
        if removed:
            self.cache.remove_uids(self.folder, removed)
            self.emit(MessagesRemoved(self.account, self.folder, tuple(removed)))
        still_cached = cached.among(changed_flags).difference(removed)
        changed_flags = {u: f for u, f in changed_flags.items() if u in still_cached}
        if changed_flags:
            self.cache.set_flags(self.folder, changed_flags)
            self.emit(FlagsChanged(self.account, self.folder, changed_flags))
        if server_uids is None:
            new = self.session.search(["UID", f"{max(state.uidnext if state else 1, 1)}:*"])
            new_uids = sorted(set(new) - cached.among(new), reverse=True)
        elif cached.count:
            known = cached.all()
            new_uids = sorted((uid for uid in server_uids if uid not in known), reverse=True)
        else:
            new_uids = sorted(server_uids, reverse=True)
        return len(removed), len(changed_flags), array("I", new_uids)

    def _flag_changes(
        self, info: SelectInfo, state: FolderState | None, cached: CachedUids, condstore: bool
    ) -> tuple[dict[int, frozenset[str]], set[int]]:
        """New flags of cached rows, and (with QRESYNC) UIDs the server expunged."""
        if not cached.count:
            return {}, set()
        if condstore and state is not None and state.highestmodseq:
            if state.highestmodseq == info.highestmodseq:
                return {}, set()
            modifiers = [f"CHANGEDSINCE {state.highestmodseq}"]
            qresync = "QRESYNC" in self.session.enabled
            if qresync:
                modifiers.append("VANISHED")
            changes = self.session.fetch("1:*", ["FLAGS"], modifiers)
            vanished = set(self.session.pop_vanished()) if qresync else set()
            return {uid: decode_flags(d.get(b"FLAGS")) for uid, d in changes.items()}, vanished
        known = self.cache.flags(self.folder)
        changed: dict[int, frozenset[str]] = {}
        for chunk in _chunks(sorted(cached.all()), FLAG_SWEEP_CHUNK):
            for uid, item in self.session.fetch(chunk, ["FLAGS"]).items():
                flags = decode_flags(item.get(b"FLAGS"))
                if known.get(uid) != flags:
                    changed[uid] = flags
        return changed, set()

    def _server_uids(
        self, info: SelectInfo, state: FolderState | None, cached: CachedUids, vanished: set[int]
    ) -> Collection[int] | None:
        """All UIDs on the server, or None when QRESYNC already told us what vanished."""
        qresync = "QRESYNC" in self.session.enabled and state is not None and state.highestmodseq
        if qresync:
            return None
        if state is not None and state.uidnext == info.uidnext and cached.count == info.exists:
            return cached.all()  # nothing new and nothing gone
        found = self.session.search(["ALL"])
        # A set only to compare with cached UIDs: for a first sync of 100,000 it
        # would be 4 MB more at the peak, for nothing.
        return set(found) if cached.count else found

    def _fetch_new(self, new_uids: Sequence[int], uidvalidity: int) -> None:
        """Fetch summaries newest first, one batch at a time, announcing each."""
        total = len(new_uids)
        done = 0
        # Always announced, even 0 of 0, so a "syncing" indicator can end.
        self.emit(SyncProgress(self.account, self.folder, 0, total))
        for batch in _chunks(new_uids, self.batch_size):
            data = self.session.fetch(batch, SUMMARY_ITEMS)
            summaries = [
                summary_from_fetch(self.account, self.folder, uid, data[uid], uidvalidity)
                for uid in batch
                if uid in data
            ]
            self.cache.add_summaries(self.folder, summaries)
            done += len(batch)
            self.emit(MessagesAdded(self.account, self.folder, tuple(summaries)))
            self.emit(SyncProgress(self.account, self.folder, done, total))
            if self.between_batches is not None and done < total:
                # A long first sync must not make the user wait for the message they
                # opened: their jobs run now, then this folder is selected again.
                self.between_batches()
                self.session.ensure_selected(self.folder)

    def _reconcile_all(self, uidvalidity: int) -> None:
        """Safety net when counts disagree: compare every UID with the server."""
        server = set(self.session.search(["ALL"]))
        cached = set(self.cache.uids(self.folder))
        gone = sorted(cached - server)
        if gone:
            self.cache.remove_uids(self.folder, gone)
            self.emit(MessagesRemoved(self.account, self.folder, tuple(gone)))
        self._fetch_new(sorted(server - cached, reverse=True), uidvalidity)
