"""Fetching message bodies: the one place that asks the server for ``BODY.PEEK[]``.

Both an opened message (``FetchBody``) and the background indexer fetch through
:func:`fetch_bodies`, so a fix to how bodies are fetched (never marking them
read, a message expunged meanwhile) reaches both.
"""

from __future__ import annotations

from collections.abc import Sequence

from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.imap.session import ImapSession
from tui_mail.mail.body_text import body_text

#: PEEK, so fetching (opening, prefetching, indexing) never sets \Seen.
BODY_ITEM = "BODY.PEEK[]"


def fetch_bodies(session: ImapSession, folder: str, uids: Sequence[int]) -> dict[int, bytes]:
    """The raw bytes of each of ``uids`` in ``folder`` (one UID FETCH).

    UIDs the server did not answer (expunged meanwhile) are left out.
    """
    session.ensure_selected(folder)
    fetched = session.fetch(uids, [BODY_ITEM])
    bodies: dict[int, bytes] = {}
    for uid in uids:
        raw = fetched.get(uid, {}).get(b"BODY[]")
        if isinstance(raw, bytes):
            bodies[uid] = raw
    return bodies


def index_body(cache: MailCache, folder: str, uid: int, raw: bytes) -> None:
    """Write the searchable text of a cached body into the full-text index."""
    text = body_text(raw)
    if text:
        cache.save_body(folder, uid, raw, text)
