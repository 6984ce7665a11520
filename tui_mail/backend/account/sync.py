"""Bring one folder's cache up to date with the server (DESIGN.md section 4).

Per folder the cache keeps UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ from the last
*complete* sync (an interrupted sync leaves the old state, so the next one
redoes what is missing; rows are upserted by UID so nothing is duplicated).

- UIDVALIDITY changed: the folder's rows are dropped and fetched again.
- Expunges first: ``VANISHED`` with QRESYNC, else every UID on the server
  compared with the cache; the gone rows are dropped before anything else is
  asked, so no later command names a UID the server no longer has (issue 22:
  a server that refused such a ``UID FETCH`` wedged the folder for good).
- Flag changes: ``CHANGEDSINCE`` when CONDSTORE is enabled, else a FLAGS sweep
  of the survivors only. Flags that contradict our own change of the last
  minutes are not taken (:mod:`~tui_mail.backend.account.local_changes`).
- New messages: fetched newest first in batches, each stored and announced;
  those that are new mail (:mod:`~tui_mail.backend.account.arrivals`) are
  announced once more, together, as ``NewMailArrived``.

A refused read is tried once in a safer form (:mod:`~tui_mail.backend.account.
sync_reads`); a refused CONDSTORE/QRESYNC read falls back to the full comparison.
When a folder's sync still fails, its stored state is cleared of the deltas, so
the next sync starts from a full comparison instead of the half-state that failed.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tui_mail.backend.account.arrivals import NewMail, OwnPlacements, new_mail
from tui_mail.backend.account.local_changes import RecentLocalChanges
from tui_mail.backend.account.sync_reads import (
    REFUSED,
    SAFE_CHUNK,
    CachedUids,
    FolderReads,
    chunks,
    split_uids,
    uid_set,
    with_safer_form,
)
from tui_mail.backend.api import (
    BackendEvent,
    FlagsChanged,
    FolderCountsChanged,
    MessagesAdded,
    MessagesRemoved,
    NewMailArrived,
    SyncProgress,
)
from tui_mail.backend.cache.store import FolderState, MailCache
from tui_mail.backend.imap.envelope import decode_flags, summary_from_fetch
from tui_mail.backend.imap.session import ImapSession, SelectInfo

log = logging.getLogger(__name__)

BATCH_SIZE = 500
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
        local_changes: RecentLocalChanges | None = None,
        placements: OwnPlacements | None = None,
    ) -> None:
        self.session = session
        self.cache = cache
        self.account = account
        self.folder = folder
        self.emit = emit
        self.batch_size = batch_size
        self.between_batches = between_batches
        """Runs what the user asked for meanwhile (a body, a flag) between two batches."""
        self.local_changes = local_changes or RecentLocalChanges()
        """Our recent flag changes, which a stale server answer must not undo."""
        self.reads = FolderReads(session, cache, folder)
        self.placements = placements or OwnPlacements()
        """What this client put into folders lately: not new mail."""
        self.arrived = NewMail()
        self._first_new_uid = 0

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
        self._first_new_uid = state.uidnext if state is not None else 0
        try:
            removed, flag_changes, new_uids = self._reconcile(info, state)
            self._fetch_new(new_uids, info.uidvalidity)
            total, unread = self.cache.counts(self.folder)
            if total != info.exists:
                self._reconcile_all(info)
                total, unread = self.cache.counts(self.folder)
        except REFUSED:
            if state is not None:
                # No UIDNEXT or HIGHESTMODSEQ to start from: the next sync compares
                # every UID afresh instead of retrying the delta that failed.
                self.cache.set_folder_state(self.folder, FolderState(state.uidvalidity))
            raise
        uidnext = info.uidnext or (self.cache.max_uid(self.folder) + 1)
        self.cache.set_folder_state(
            self.folder, FolderState(info.uidvalidity, uidnext, info.highestmodseq)
        )
        announce_counts(self.cache, self.emit, self.account, self.folder, (total, unread))
        if self.arrived.count:
            self.emit(
                NewMailArrived(self.account, self.folder, self.arrived.count, self.arrived.newest)
            )
        return SyncResult(total, unread, len(new_uids), removed, flag_changes)

    # ------------------------------------------------------------ expunges and flags

    def _reconcile(
        self, info: SelectInfo, state: FolderState | None
    ) -> tuple[int, int, Sequence[int]]:
        """Apply expunges, then flag changes; return their counts and the UIDs to fetch."""
        enabled = self.session.enabled
        changes: dict[int, frozenset[str]] | None = None
        if (
            state is not None
            and state.highestmodseq
            and info.highestmodseq > 0
            and "CONDSTORE" in enabled
        ):
            try:
                changes, vanished = self._changed_since(state, info, "QRESYNC" in enabled)
                if "QRESYNC" in enabled:
                    return self._reconcile_qresync(state, changes, vanished)
            except REFUSED as exc:
                # The full comparison is the safer form of every delta read.
                log.warning("%s: delta sync refused (%s); comparing every UID", self.folder, exc)
                changes = None
        return self._reconcile_full(info, state, changes)

    def _changed_since(
        self, state: FolderState, info: SelectInfo, qresync: bool
    ) -> tuple[dict[int, frozenset[str]], list[int]]:
        """Flags changed since the last sync (CONDSTORE), and with QRESYNC the UIDs gone."""
        if state.highestmodseq == info.highestmodseq:
            return {}, []  # nothing changed (an expunge raises HIGHESTMODSEQ too)
        modifiers = [f"CHANGEDSINCE {state.highestmodseq}", *(["VANISHED"] if qresync else [])]
        # "1:*" names no UID, so a server cannot refuse it for a gone one.
        answer = self.session.fetch("1:*", ["FLAGS"], modifiers)
        vanished = self.session.pop_vanished() if qresync else []
        return {uid: decode_flags(d.get(b"FLAGS")) for uid, d in answer.items()}, vanished

    def _reconcile_qresync(
        self, state: FolderState, changes: dict[int, frozenset[str]], vanished: list[int]
    ) -> tuple[int, int, Sequence[int]]:
        """QRESYNC told us what vanished: no UID list is read (a few lookups only)."""
        cached = CachedUids(self.cache, self.folder)
        removed = self._remove(sorted(cached.among(vanished)) if cached.count else [])
        changes.update(self._recheck(removed))
        flag_changes = self._apply_flags(changes)
        new = self.session.search(["UID", f"{max(state.uidnext, 1)}:*"])
        # "n:*" answers the last message even when it is older than n.
        known = cached.among(new)
        return len(removed), flag_changes, array("I", sorted(set(new) - known, reverse=True))

    def _reconcile_full(
        self,
        info: SelectInfo,
        state: FolderState | None,
        changes: dict[int, frozenset[str]] | None,
    ) -> tuple[int, int, Sequence[int]]:
        """Compare every UID with the server; ``changes`` None: sweep the survivors' flags."""
        cached = CachedUids(self.cache, self.folder)
        unchanged = (
            state is not None and state.uidnext == info.uidnext and cached.count == info.exists
        )
        if unchanged and changes is not None:
            removed: Sequence[int] = ()  # nothing new, nothing gone, flags already known
            new: Sequence[int] = array("I")
            changes.update(self._recheck(removed))
        else:
            local = cached.all()
            server = local if unchanged else self.reads.all_uids(info.exists)
            gone, kept, new = split_uids(local, server)
            removed = self._remove(gone)
            if changes is None:
                changes = self.reads.changed_flags(kept, len(server))
            else:
                changes.update(self._recheck(removed))
            del local, server, kept  # freed before the long fetch of new mail
        return len(removed), self._apply_flags(changes), new

    def _remove(self, gone: Sequence[int]) -> Sequence[int]:
        """Drop expunged rows from the cache and tell the UI, before any flag is asked."""
        if gone:
            self.cache.remove_uids(self.folder, gone)
            self.local_changes.forget(self.folder, gone)
            self.emit(MessagesRemoved(self.account, self.folder, tuple(gone)))
        return gone

    def _recheck(self, removed: Sequence[int]) -> dict[int, frozenset[str]]:
        """Flags of messages whose server flags looked stale at an earlier sync.

        A delta (CHANGEDSINCE) would not report them again, so they are asked by
        UID; a refusal leaves them to be asked at the next sync.
        """
        pending = sorted(set(self.local_changes.to_recheck(self.folder)) - set(removed))
        found: dict[int, frozenset[str]] = {}
        try:
            for chunk in chunks(pending, SAFE_CHUNK):
                for uid, item in self.session.fetch(uid_set(chunk), ["FLAGS"]).items():
                    found[uid] = decode_flags(item.get(b"FLAGS"))
        except REFUSED as exc:
            log.info("%s: re-checking flags refused (%s); next sync", self.folder, exc)
        return found

    def _apply_flags(self, server_flags: Mapping[int, frozenset[str]]) -> int:
        """Store the server's flags of cached messages, except where ours are newer."""
        if not server_flags:
            return 0
        known = self.cache.flags_of(self.folder, sorted(server_flags))
        changed: dict[int, frozenset[str]] = {}
        for uid, flags in server_flags.items():
            if uid not in known:
                continue  # new mail (fetched whole below) or just removed
            if self.local_changes.keeps_ours(self.folder, uid, flags):
                continue  # a stale answer over our own recent change: asked again later
            if flags != known[uid]:
                changed[uid] = flags
        if changed:
            self.cache.set_flags(self.folder, changed)
            self.emit(FlagsChanged(self.account, self.folder, changed))
        return len(changed)

    # ------------------------------------------------------------ new mail

    def _fetch_new(self, new_uids: Sequence[int], uidvalidity: int) -> None:
        """Fetch summaries newest first, one batch at a time, announcing each."""
        total = len(new_uids)
        done = 0
        # Always announced, even 0 of 0, so a "syncing" indicator can end.
        self.emit(SyncProgress(self.account, self.folder, 0, total))
        for batch in chunks(new_uids, self.batch_size):
            data = self._fetch_batch(batch)
            summaries = [
                summary_from_fetch(self.account, self.folder, uid, data[uid], uidvalidity)
                for uid in batch
                if uid in data
            ]
            self.cache.add_summaries(self.folder, summaries)
            self.arrived.add(new_mail(summaries, self._first_new_uid, self.placements))
            done += len(batch)
            self.emit(MessagesAdded(self.account, self.folder, tuple(summaries)))
            self.emit(SyncProgress(self.account, self.folder, done, total))
            if self.between_batches is not None and done < total:
                # A long first sync must not make the user wait for the message they
                # opened: their jobs run now, then this folder is selected again.
                self.between_batches()
                self.session.ensure_selected(self.folder)

    def _fetch_batch(self, batch: Sequence[int]) -> dict[int, dict[bytes, Any]]:
        """One batch of summaries; refused, only those still there, in smaller chunks."""

        def still_there() -> dict[int, dict[bytes, Any]]:
            # A message expunged since the comparison is what such a server refuses.
            present = set(self.session.search(["UID", f"{min(batch)}:{max(batch)}"]))
            data: dict[int, dict[bytes, Any]] = {}
            for chunk in chunks([uid for uid in batch if uid in present], SAFE_CHUNK):
                data.update(self.session.fetch(chunk, SUMMARY_ITEMS))
            return data

        return with_safer_form(
            self.folder,
            "fetch of new messages",
            lambda: self.session.fetch(batch, SUMMARY_ITEMS),
            still_there,
        )

    def _reconcile_all(self, info: SelectInfo) -> None:
        """Safety net when counts disagree: compare every UID with the server."""
        server = self.reads.all_uids(info.exists)
        gone, _, new = split_uids(CachedUids(self.cache, self.folder).all(), server)
        self._remove(gone)
        self._fetch_new(new, info.uidvalidity)
