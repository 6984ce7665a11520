"""Cache test helpers: plausible summaries, UIDs of rows, and the app's search over a cache.

The cache had a second full-text query builder used only by tests; the tests now
go through the one the app uses (``MessageSearch.local``), so what they check is
what the user's search finds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tui_mail.backend import api
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.search.searcher import MessageSearch
from tui_mail.models import Address, MessageSummary

ACCOUNT = "work"


def summary(uid: int, folder: str = "INBOX", **fields: object) -> MessageSummary:
    """A summary with plausible defaults; ``fields`` override them."""
    values: dict[str, object] = {
        "date": datetime(2024, 3, 1, 12, 0, tzinfo=UTC).replace(minute=uid % 60),
        "from_": (Address(f"Sender {uid}", f"s{uid}@example.org"),),
        "subject": f"Message {uid}",
        "size": 1000 + uid,
        "message_id": f"<{uid}@example.org>",
        "uidvalidity": 7,
    }
    values.update(fields)
    return MessageSummary(ACCOUNT, folder, uid, **values)  # type: ignore[arg-type]


def uids_of(rows: object) -> list[int]:
    """The UIDs of a window of ``ListRow``s."""
    return [row.summary.uid for row in rows]  # type: ignore[attr-defined]


def text_hits(cache: MailCache, folder: str, words: str) -> list[int]:
    """UIDs (ascending) in ``folder`` of ``cache`` that the app's search finds for ``words``."""
    account = cache.account or "test"
    search = MessageSearch({account: cache.path})
    try:
        view = search.local(api.SearchMessages(account, folder, words))
        return sorted(row.summary.uid for row in view.rows(0, len(view)))
    finally:
        search.close()
