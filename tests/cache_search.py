"""Ask the real local searcher which UIDs of one folder match some words (test helper).

The cache had a second full-text query builder used only by tests; the tests now
go through the one the app uses (``MessageSearch.local``), so what they check is
what the user's search finds.
"""

from __future__ import annotations

from tui_mail.backend import api
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.search.searcher import MessageSearch


def text_hits(cache: MailCache, folder: str, words: str) -> list[int]:
    """UIDs (ascending) in ``folder`` of ``cache`` that the app's search finds for ``words``."""
    account = cache.account or "test"
    search = MessageSearch({account: cache.path})
    try:
        view = search.local(api.SearchMessages(account, folder, words))
        return sorted(row.summary.uid for row in view.rows(0, len(view)))
    finally:
        search.close()
