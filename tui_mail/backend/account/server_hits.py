"""A server search's hits that the cache lacks get their summaries, so they show as mail.

A search that asks the server (Enter in the search bar) finds messages the cache
does not hold yet: a folder never opened, mail older than what was synced. Merged
as bare UIDs they showed as "(no sender) (no subject)" rows that told the user
nothing. So the ``ServerSearch`` handler fetches the summaries of the newest
``MAX_HIT_SUMMARIES`` of them (the rows a user looks at first) and stores them in
the cache, as a sync would; the merge then finds them cached.

Safe for the folder's next sync: a stored row is an ordinary cached row of the
same UIDVALIDITY (the sync compares UIDs and fetches only the rest); hits are
not stored when the cache's UIDVALIDITY differs from the server's (the next sync
drops that folder's rows anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui_mail.backend.account.sync import SUMMARY_ITEMS
from tui_mail.backend.account.sync_reads import chunks
from tui_mail.backend.api import BackendEvent, MessagesAdded
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.imap.envelope import summary_from_fetch
from tui_mail.backend.imap.session import ImapSession

#: The most summaries one folder's server search fetches (newest first).
MAX_HIT_SUMMARIES = 500
#: Summaries per FETCH (one answer stays small).
FETCH_CHUNK = 100


def search_with_summaries(
    session: ImapSession,
    cache: MailCache,
    emit: Callable[[BackendEvent], None],
    account: str,
    folder: str,
    criteria: tuple[Any, ...],
) -> list[int]:
    """UID SEARCH ``criteria`` in ``folder``; store summaries of uncached hits; the UIDs."""
    session.ensure_selected(folder)
    uids = session.search(criteria)
    missing = sorted(set(uids) - cache.known_uids(folder, uids), reverse=True)
    if not missing:
        return uids
    info = session.select(folder)  # its UIDVALIDITY, for the rows stored
    state = cache.folder_state(folder)
    if state is not None and state.uidvalidity and state.uidvalidity != info.uidvalidity:
        return uids  # the folder's rows are stale: its next sync refetches them all
    for chunk in chunks(missing[:MAX_HIT_SUMMARIES], FETCH_CHUNK):
        data = session.fetch(chunk, SUMMARY_ITEMS)
        summaries = [
            summary_from_fetch(account, folder, uid, data[uid], info.uidvalidity)
            for uid in chunk
            if uid in data
        ]
        cache.add_summaries(folder, summaries)
        emit(MessagesAdded(account, folder, tuple(summaries)))
    return uids
