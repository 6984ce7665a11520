"""The searchable text of a raw message, for the local full-text index.

Pure (no I/O): the backend calls it on the account worker's thread after a body
is fetched, and the background indexer for each body it stores. It never
decrypts: a PGP/MIME encrypted body has no text here, and an inline armored
``PGP MESSAGE`` block is left out (ciphertext is noise to search, and the clear
text must not reach the cache), so search skips encrypted bodies.
"""

from __future__ import annotations

import re

_ARMORED_MESSAGE = re.compile(
    r"(?ms)^-----BEGIN PGP MESSAGE-----[ \t\r]*$.*?^-----END PGP MESSAGE-----[ \t\r]*$"
)


def body_text(raw: bytes) -> str:
    """The searchable text of a raw message (plain part, else HTML as text); never raises."""
    # Imported here: the parser pulls in the email package and html2text, which a
    # process that only syncs summaries never needs.
    from tui_mail.mail.parse import parse_message

    text = parse_message(raw).text
    if "-----BEGIN PGP MESSAGE-----" in text:
        text = _ARMORED_MESSAGE.sub("", text)
    return text
