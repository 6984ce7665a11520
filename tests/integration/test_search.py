"""Search (issue #6) against real Dovecot and pymap: local and server answers agree.

The service's workers run the UID SEARCHes (``ServerSearch``) exactly as the app
would; the local side reads the cache those workers filled. ``MessageSearch`` is
driven here directly because the service does not route ``SearchMessages`` yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backend_helpers import account_config, other_client, running_service
from tui_mail.backend import FetchBody, ListFolders, MailServiceImpl, SyncFolder, api
from tui_mail.backend.cache.search_view import SearchView
from tui_mail.backend.imap.session import ImapSession
from tui_mail.backend.search.searcher import MessageSearch
from tui_mail.backend.service import cache_file
from tui_mail.config import ServerConfig
from tui_mail.mail.query import SearchScope

pytestmark = pytest.mark.integration
WAIT = 30

#: Messages of our own, with words the generated corpus never uses.
OURS = [
    (
        "INBOX",
        "From: Zed Quill <zed@example.com>\r\nTo: Demo User <demo@example.org>\r\n"
        "Subject: Harvest festival\r\nDate: Tue, 14 Jan 2025 12:00:00 +0000\r\n\r\n"
        "We saw a quokka near the zebrafish pond.\r\n",
    ),
    (
        "INBOX",
        "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.net>\r\n"
        "To: Demo User <demo@example.org>\r\nCc: Zed Quill <zed@example.com>\r\n"
        "Subject: Budget for the harvest\r\nDate: Wed, 05 Feb 2025 12:00:00 +0000\r\n\r\n"
        "Numbers attached below, no quokka this time.\r\n",
    ),
    (
        "Archive",
        "From: Zed Quill <zed@example.com>\r\nTo: Demo User <demo@example.org>\r\n"
        "Subject: Old harvest notes\r\nDate: Fri, 10 Jan 2020 12:00:00 +0000\r\n\r\n"
        "An archived quokka sighting.\r\n",
    ),
]

#: Queries on which the cache (every body fetched) and the server must agree.
AGREEING = [
    "quokka",
    "zebrafish",
    "harvest",
    "subject:harvest",
    "body:quokka",
    "from:zed",
    "cc:zed",
    "to:demo",
    "quokka OR festival",
    "harvest -body:zebrafish",
    '"harvest festival"',
    "-quokka",
    "is:unread",
    "is:flagged",
    "is:answered",
    "-is:read",
    "before:2025-01-20 harvest",
    "after:2025-01-20 harvest",
    "newer:30d",
    "is:flagged OR from:zed",
]
#: On pymap the cache marks none of the corpus's attachment messages as having an
#: attachment (``has_attachment`` comes from BODYSTRUCTURE); Dovecot agrees.
AGREEING_ON_DOVECOT = ["has:attachment"]


@pytest.fixture
def synced(imap_server: Any, tmp_path: Path) -> Iterator[tuple[MailServiceImpl, MessageSearch]]:
    client = other_client(imap_server)
    for folder, text in OURS:
        client.append(folder, text.encode())
    client.logout()
    config = account_config(imap_server, tmp_path)
    with running_service(config, tmp_path) as (service, _log):
        service.submit(ListFolders("test")).result(WAIT)
        for folder in ("INBOX", "Archive"):
            service.submit(SyncFolder("test", folder)).result(WAIT)
        searcher = MessageSearch({"test": cache_file(tmp_path / "cache", "test")}, zone=UTC)
        try:
            yield service, searcher
        finally:
            searcher.close()


def fetch_every_body(service: MailServiceImpl, folder: str) -> None:
    view = service.view("test", folder, api.ViewOrder()).result(WAIT)
    for row in view.rows(0, len(view)):
        service.submit(FetchBody("test", folder, row.summary.uid)).result(WAIT)
    # Bodies are indexed by jobs queued after each answer; a later job ends after them.
    service.submit(SyncFolder("test", folder)).result(WAIT)


def run(
    service: MailServiceImpl, searcher: MessageSearch, request: api.SearchMessages
) -> SearchView:
    with ThreadPoolExecutor(1) as pool:
        view = searcher.submit(request, pool, service.submit).result(WAIT)
    assert isinstance(view, SearchView)
    return view


def keys(view: SearchView, server: bool | None = None) -> set[tuple[str, int]]:
    return {
        (row.summary.folder, row.summary.uid)
        for row in view.rows(0, len(view))
        if server is None or row.from_server == server
    }


def server_hits(
    service: MailServiceImpl, searcher: MessageSearch, request: api.SearchMessages
) -> set[tuple[str, int]]:
    found = set()
    for job in searcher.server_jobs(request):
        found |= {(job.folder, uid) for uid in service.submit(job).result(WAIT)}
    return found


def test_local_and_server_results_agree(
    imap_server: Any, synced: tuple[MailServiceImpl, MessageSearch]
) -> None:
    service, searcher = synced
    fetch_every_body(service, "INBOX")
    disagreements = {}
    extra = AGREEING_ON_DOVECOT if imap_server.kind == "dovecot" else []
    for text in AGREEING + extra:
        request = api.SearchMessages("test", "INBOX", text, server=True)
        local = keys(searcher.local(request))
        server = server_hits(service, searcher, request)
        if local != server:
            disagreements[text] = (sorted(local - server), sorted(server - local))
        merged = run(service, searcher, request)
        assert not merged.server_errors, (text, merged.server_errors)
        assert keys(merged) == local | server and keys(merged, server=True) == server - local
        assert local or text.startswith(("newer", "is:", "-is")), text
    assert disagreements == {}, f"[{imap_server.kind}] (local only, server only)"


def test_text_attachments_are_found_by_the_server_only(
    imap_server: Any, synced: tuple[MailServiceImpl, MessageSearch]
) -> None:
    """The cache indexes the shown body; the server's BODY also reads text attachments
    (the corpus's "Notes" message has "Budget" only in notes.txt)."""
    service, searcher = synced
    fetch_every_body(service, "INBOX")
    merged = run(service, searcher, api.SearchMessages("test", "INBOX", "budget", server=True))
    marked = {r.summary.subject: r.from_server for r in merged.rows(0, len(merged))}
    if imap_server.kind == "pymap":  # pymap's BODY does not read attachments
        assert "Notes" not in marked
    else:
        assert marked["Notes"] is True
    assert marked["Budget for next year"] is False and marked["Budget for the harvest"] is False


def test_server_finds_what_the_cache_cannot_and_marks_it(
    synced: tuple[MailServiceImpl, MessageSearch],
) -> None:
    service, searcher = synced
    request = api.SearchMessages("test", "INBOX", "zebrafish", server=True)
    assert len(searcher.local(request)) == 0  # no body cached yet
    merged = run(service, searcher, request)
    rows = merged.rows(0, len(merged))
    assert [(r.summary.subject, r.from_server) for r in rows] == [("Harvest festival", True)]
    assert merged.server_searched and rows[0].summary.folder == "INBOX"


def test_all_folders_scope_on_the_server(synced: tuple[MailServiceImpl, MessageSearch]) -> None:
    service, searcher = synced
    request = api.SearchMessages("test", "INBOX", "quokka", scope=SearchScope.ALL, server=True)
    merged = run(service, searcher, request)
    subjects = {row.summary.folder: row.summary.subject for row in merged.rows(0, len(merged))}
    assert subjects.get("Archive") == "Old harvest notes"
    assert {"Budget for the harvest", "Harvest festival"} <= set(subjects.values()) | {
        row.summary.subject for row in merged.rows(0, len(merged))
    }
    only_archive = run(
        service, searcher, api.SearchMessages("test", "INBOX", "folder:archive quokka", server=True)
    )
    assert {row.summary.folder for row in only_archive.rows(0, len(only_archive))} == {"Archive"}


def test_hostile_text_reaches_the_server_as_data(
    synced: tuple[MailServiceImpl, MessageSearch],
) -> None:
    """CR/LF, quotes and non-ASCII in a query never break the command line."""
    service, searcher = synced
    for text in ['"x\r\nA1 DELETE INBOX"', 'subject:"say \\"hi\\""', "Müller OR Grüße"]:
        view = run(service, searcher, api.SearchMessages("test", "INBOX", text, server=True))
        assert not view.server_errors, text
    assert service.submit(SyncFolder("test", "INBOX")).result(WAIT).total > 0


def test_diacritics_fold_in_the_merged_result(
    imap_server: Any, synced: tuple[MailServiceImpl, MessageSearch]
) -> None:
    """``muller`` finds Jürgen Müller: the cache folds diacritics, whatever the server does."""
    service, searcher = synced
    for text in ("muller", "from:MULLER", "jurgen"):
        merged = run(service, searcher, api.SearchMessages("test", "INBOX", text, server=True))
        rows = merged.rows(0, len(merged))
        assert ("Budget for the harvest", False) in [
            (r.summary.subject, r.from_server) for r in rows
        ], (imap_server.kind, text)


#: Session-level queries for the ESEARCH/SEARCH comparison: ranges, nothing found,
#: CHARSET UTF-8, CR/LF that must stay data, groups and negation.
SESSION_QUERIES: dict[str, list[Any]] = {
    "all": ["ALL"],
    "quokka": ["TEXT", "quokka"],
    "utf8": ["FROM", "Müller"],
    "utf8 or": ["OR", "SUBJECT", "Grüße", "FROM", "Müller"],
    "crlf": ["SUBJECT", "x\r\nA1 DELETE INBOX"],
    "crlf body": ["BODY", "quokka\r\n"],
    "not": ["NOT", "TEXT", "quokka"],
    "none": ["TEXT", "no-message-says-this"],
    "group": [["SUBJECT", "harvest", "UNSEEN"]],
}


def test_esearch_and_plain_search_find_the_same_uids(imap_server: Any) -> None:
    """Dovecot answers ``UID SEARCH RETURN (ALL)`` with ESEARCH ranges; pymap, without
    ESEARCH, gets plain SEARCH. Either way the UIDs equal plain SEARCH's."""
    client = other_client(imap_server)
    for folder, text in OURS:
        client.append(folder, text.encode())
    client.logout()
    session = ImapSession.connect(
        ServerConfig(imap_server.host, imap_server.port, "none", imap_server.username)
    )
    try:
        session.login(imap_server.username, imap_server.password)
        total = session.select("INBOX").exists
        sent: list[bytes] = []
        received: list[bytes] = []
        imap = session.client._imap
        send, get_line = imap.send, imap._get_line

        def recording_send(data: bytes) -> None:
            sent.append(bytes(data))
            send(data)

        def recording_get_line() -> bytes:
            line: bytes = get_line()
            received.append(line)
            return line

        imap.send, imap._get_line = recording_send, recording_get_line

        extended = {name: session.search(query) for name, query in SESSION_QUERIES.items()}
        offered = session.has("ESEARCH")
        assert offered == (imap_server.kind == "dovecot")
        assert any(b" SEARCH RETURN (ALL) " in line for line in sent) == offered
        # RFC 4731: RETURN (...) precedes CHARSET.
        assert any(b" SEARCH RETURN (ALL) CHARSET UTF-8 " in line for line in sent) == offered
        assert any(line.startswith(b"* ESEARCH ") for line in received) == offered
        if offered:  # Dovecot sends the matches as ranges ("ALL 1:27"), never "* SEARCH"
            assert any(b" UID ALL 1:" in line for line in received)
            assert not any(line.startswith(b"* SEARCH") for line in received)

        session.capabilities = session.capabilities - {"ESEARCH"}  # force the fallback
        sent.clear()
        plain = {name: session.search(query) for name, query in SESSION_QUERIES.items()}
        assert not any(b"RETURN" in line for line in sent)
        # The CR/LF searches did not run "A1 DELETE INBOX": the folder is still whole.
        assert session.select("INBOX").exists == total
    finally:
        session.logout()

    assert extended == plain, imap_server.kind
    assert extended["all"] == sorted(extended["all"]) and len(extended["all"]) == total > 0
    assert len(extended["quokka"]) == 2
    assert set(extended["not"]) == set(extended["all"]) - set(extended["quokka"])
    assert extended["none"] == [] and extended["crlf"] == []
    if imap_server.kind == "dovecot":  # pymap compares the raw encoded-word header
        # Ours and the corpus's Müller; the OR finds them and maybe a "Grüße" subject.
        assert len(extended["utf8"]) >= 2 and set(extended["utf8"]) <= set(extended["utf8 or"])


def test_hits_in_a_folder_never_opened_show_sender_and_subject(
    imap_server: Any, synced: tuple[MailServiceImpl, MessageSearch]
) -> None:
    """An all-folders server search finds mail in a folder the app never synced: the
    hits show who and what (they showed "(no sender) (no subject)"), and the folder's
    first sync afterwards holds each message once."""
    service, searcher = synced
    client = other_client(imap_server)
    try:
        client.create_folder("Projects")
        for index in range(3):
            client.append(
                "Projects",
                f"From: Wombat Keeper <wk@example.com>\r\nSubject: Wombat plan {index}\r\n"
                f"Message-ID: <wombat{index}@example.com>\r\n\r\nwombat\r\n".encode(),
            )
    finally:
        client.logout()
    service.submit(ListFolders("test")).result(WAIT)
    request = api.SearchMessages("test", "INBOX", "wombat", scope=SearchScope.ALL, server=True)
    merged = run(service, searcher, request)
    rows = [r for r in merged.rows(0, len(merged)) if r.summary.folder == "Projects"]
    assert sorted(r.summary.subject for r in rows) == [f"Wombat plan {i}" for i in range(3)]
    assert {r.summary.from_[0].display() for r in rows} == {"Wombat Keeper"}
    assert all(r.from_server for r in rows)
    assert service.submit(SyncFolder("test", "Projects")).result(WAIT).total == 3
    assert len(service.workers["test"].cache.uids("Projects")) == 3  # type: ignore[union-attr]
