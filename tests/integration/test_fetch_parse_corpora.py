"""The fast FETCH reader over real answers: every corpus message, served by Dovecot.

Every message of ``../shared/corpora`` goes into one Dovecot mailbox; the sync's
own FETCH (and a few other item sets: whole bodies as literals, sections,
BODY) is read raw from the wire and parsed both ways. The results must be
equal (imapclient's parser is the oracle) and the fast path must have read every
answer itself, or the comparison proves nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from imapclient import IMAPClient
from imapclient.response_parser import parse_fetch_response

from tests.corpora import listed, messages, require_corpora
from tests.servers.dovecot import DovecotServer
from tui_mail.backend.account.sync import SUMMARY_ITEMS
from tui_mail.backend.imap import transport
from tui_mail.backend.imap.fetch_atoms import read_atoms

pytestmark = pytest.mark.integration

ITEM_SETS = (
    SUMMARY_ITEMS,
    ("UID", "FLAGS"),
    ("UID", "BODY.PEEK[]", "BODY"),
    ("UID", "BODY.PEEK[HEADER.FIELDS (SUBJECT FROM DATE TO CC)]", "BODY.PEEK[TEXT]<0.2048>"),
)


@pytest.fixture(scope="module")
def corpus_box(dovecot: DovecotServer) -> Iterator[tuple[IMAPClient, int]]:
    """A logged-in client with INBOX selected, holding every corpus message."""
    require_corpora()
    name, password = "c" + uuid.uuid4().hex[:12], "pw-" + uuid.uuid4().hex[:8]
    maildir = dovecot.add_user(name, password)
    count = 0
    for path, kind in listed():
        for raw in messages(path, kind):
            count += 1
            (maildir / "cur" / f"{count}.corpus:2,").write_bytes(raw)
    dovecot.chown_maildir(name)
    client = IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=60)
    client.normalise_times = False  # as the app's connection (backend/imap/connect.py)
    client.login(name, password)
    assert client.select_folder("INBOX")[b"EXISTS"] == count
    try:
        yield client, count
    finally:
        client.logout()


def _raw_fetch(client: IMAPClient, items: tuple[str, ...]) -> list[Any]:
    """imaplib's records of ``UID FETCH 1:* (items)``, unparsed."""
    imap = client._imap
    tag = imap._command("UID", "FETCH", "1:*", f"({' '.join(items)})")
    typ, data = imap._command_complete("FETCH", tag)
    assert typ == "OK"
    _, data = imap._untagged_response(typ, data, "FETCH")
    return list(data)


@pytest.mark.parametrize("items", ITEM_SETS, ids=lambda items: " ".join(items)[:40])
def test_every_corpus_message_parses_exactly_as_imapclient(
    corpus_box: tuple[IMAPClient, int], items: tuple[str, ...]
) -> None:
    client, count = corpus_box
    data = _raw_fetch(client, items)
    assert len(read_atoms(data)) == 2 * count  # read by the fast path, no fallback
    for normalise in (False, True):
        for uid_key in (False, True):
            ours = transport.parse_fetch(data, normalise, uid_key)
            assert ours == dict(parse_fetch_response(data, normalise, uid_key))
            assert len(ours) == count


def test_the_session_fetch_gives_what_imapclient_fetch_gives(
    corpus_box: tuple[IMAPClient, int],
) -> None:
    client, count = corpus_box
    uids = client.search(["ALL"])
    assert len(uids) == count
    asked = [*uids[::3], 999_999]  # one UID that does not exist
    ours = transport.fetch_uids(client, asked, SUMMARY_ITEMS, ())
    assert ours == client.fetch(asked, list(SUMMARY_ITEMS))
    assert list(ours) == uids[::3]
