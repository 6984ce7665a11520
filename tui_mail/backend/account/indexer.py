"""Index everything (``index_bodies = "all"``, issue #6): bodies fetched in the background.

With "all", the account worker calls :meth:`BodyIndexer.step` whenever its
queue is empty. One step is one small batch: the newest messages of one folder
whose body is not cached yet are fetched (``BODY.PEEK[]``, nothing is marked
read), stored, and their text written to the FTS index. Between two messages
the worker runs the user's waiting jobs, so opening, moving or deleting a
message never waits longer than one message's parse; the next step only starts
when the queue is empty again, so user jobs always jump the queue.

Folders go INBOX first, then the others in tree order, Junk and Trash last;
a folder never synced is synced first. Messages over :data:`MAX_SIZE` are left
for when they are opened (their attachments would dwarf the text). Progress
reaches the UI as ``IndexProgress``. A failure pauses the indexer until the
account comes online again or a sync finishes, so a sick server never sees a
retry storm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tui_mail.backend import api
from tui_mail.backend.account.bodies import fetch_bodies
from tui_mail.backend.account.context import AccountContext
from tui_mail.mail.body_text import body_text
from tui_mail.models import Folder, FolderRole

log = logging.getLogger(__name__)

BATCH = 25
"""Messages fetched per step (one UID FETCH)."""
BATCH_BYTES = 2_000_000
"""A step stops adding messages past this many bytes (at least one is fetched)."""
MAX_SIZE = 2_000_000
"""Bigger messages are indexed only when the user opens them."""

_LAST_ROLES = (FolderRole.JUNK, FolderRole.TRASH)


def index_order(folders: tuple[Folder, ...]) -> list[str]:
    """Selectable folders in indexing order: INBOX, the rest in tree order, Junk/Trash last."""
    usable = [f for f in folders if f.selectable and f.role is not FolderRole.OUTBOX]
    first = [f.name for f in usable if f.role is FolderRole.INBOX or f.name.upper() == "INBOX"]
    last = [f.name for f in usable if f.role in _LAST_ROLES and f.name not in first]
    middle = [f.name for f in usable if f.name not in first and f.name not in last]
    return first + middle + last


class BodyIndexer:
    """Fetches and indexes the bodies of one account, a batch per :meth:`step`.

    ``sync_folder(name)`` syncs a folder never synced before (the worker passes
    its ``SyncFolder`` handler), so the indexer needs nothing else of the worker.
    """

    def __init__(self, context: AccountContext, sync_folder: Callable[[str], object]) -> None:
        self.context = context
        self._sync_folder = sync_folder
        self.armed = False
        """True while there may be work: set after a sync or on coming online,
        cleared when everything is indexed or a step failed."""
        self._finished: set[str] = set()
        self._skipped: set[tuple[str, int]] = set()
        self._done = 0
        self._total = -1  # recounted from the cache on the next step

    def arm(self) -> None:
        """There may be new work (a sync ran, the account is back online)."""
        self.armed = True
        self._finished.clear()
        self._total = -1

    def pause(self, reason: str) -> None:
        """Stop until :meth:`arm` (a step failed)."""
        log.info("%s: indexing paused: %s", self.context.name, reason)
        self.armed = False

    def step(self) -> None:
        """Index one batch; disarms itself when nothing is left (worker thread only)."""
        cache = self.context.cache_or_none
        if cache is None:
            self.armed = False
            return
        if self._total < 0:
            self._done, self._total = cache.body_counts(MAX_SIZE)
            self._report()
        for folder in index_order(self.context.folders):
            if folder in self._finished:
                continue
            if cache.folder_state(folder) is None:
                self._sync_folder(folder)
                self._total = -1  # the sync brought messages to count
                return
            if self._index_some(folder):
                return
            self._finished.add(folder)
        self.armed = False
        self._report(finished=True)

    def _index_some(self, folder: str) -> bool:
        """Fetch and index the next batch of ``folder``; False when it has none left."""
        cache = self.context.cache
        skipped = sum(1 for name, _ in self._skipped if name == folder)
        missing = [
            (uid, size)
            for uid, size in cache.bodies_missing(folder, BATCH + skipped, MAX_SIZE)
            if (folder, uid) not in self._skipped
        ]
        if not missing:
            return False
        uids: list[int] = []
        size_sum = 0
        for uid, size in missing[:BATCH]:
            if uids and size_sum + size > BATCH_BYTES:
                break
            uids.append(uid)
            size_sum += size
        fetched = fetch_bodies(self.context.session(), folder, uids)
        for uid in uids:
            raw = fetched.get(uid)
            if raw is None:  # expunged meanwhile: the next sync drops it
                self._skipped.add((folder, uid))
                continue
            if cache.summary(folder, uid) is None:
                continue  # deleted by a user job run between two saves: keep no orphan body
            cache.save_body(folder, uid, raw, body_text(raw))
            self._done += 1
            # Saved before yielding: a user's delete run here also drops the body row.
            self.context.run_waiting_user_jobs()
        self._report()
        return True

    def _report(self, finished: bool = False) -> None:
        # Finished: done == total even when some messages were skipped (expunged).
        total = max(self._total, self._done)
        done = total if finished else self._done
        self.context.emit(api.IndexProgress(self.context.name, done, total, finished))
