"""The searchable text of a raw message, for the local full-text index.

Pure (no I/O): the backend calls it on the account worker's thread after a body
is fetched, and the background indexer for each body it stores.
"""

from __future__ import annotations


def body_text(raw: bytes) -> str:
    """The searchable text of a raw message (plain part, else HTML as text); never raises."""
    # Imported here: the parser pulls in the email package and html2text, which a
    # process that only syncs summaries never needs.
    from tui_mail.mail.parse import parse_message

    return parse_message(raw).text
