"""A hostile or broken IMAP server cannot crash, mislead or exhaust the backend.

Every test here talks to ``scripted_imap.ScriptedImapServer``, a FAKE server on
127.0.0.1: real servers (Dovecot, pymap; see ``tests/integration``) never inject
bytes after STARTTLS, hang up mid-FETCH, answer with garbage or announce
100 MB literals, so a scripted socket is the only way to provoke these. Cases a
real server can give (UIDVALIDITY change, server restart during sync or IDLE)
and PREAUTH before STARTTLS are tested in ``tests/integration`` already.
"""

from __future__ import annotations

import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import hostile_messages
from tests.integration.backend_helpers import EventLog
from tests.security.scripted_imap import (
    Handler,
    ImapConnection,
    Mailbox,
    Message,
    ScriptedImapServer,
    fetch_summary,
)
from tests.servers.tls import CertPair, make_self_signed_cert
from tests.waiting import wait_until
from tui_mail.backend import AccountState, AccountStateChanged, FetchBody, SyncFolder
from tui_mail.backend.account.worker import AccountWorker
from tui_mail.backend.backoff import Backoff
from tui_mail.backend.cache.store import MailCache
from tui_mail.backend.imap.idle import IdleWatcher
from tui_mail.backend.imap.session import ImapSession
from tui_mail.backend.imap.transport import MAX_LINE_BYTES
from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.errors import ConnectionLost, MailError, TLSError

pytestmark = pytest.mark.integration

INJECTED = b"* CAPABILITY IMAP4rev1 LOGINDISABLED INJECTED\r\n* 66 EXISTS\r\n* OK [UIDVALIDITY 666] x\r\n"


def _messages(count: int) -> list[Message]:
    return [Message(uid, f"Subject: m{uid}\r\n\r\nbody {uid}\r\n".encode()) for uid in range(1, count + 1)]


def _account(port: int, security: str = "none", ca_file: Path | None = None) -> AccountConfig:
    server = ServerConfig("127.0.0.1", port, security, "u", ca_file=ca_file)  # type: ignore[arg-type]
    return AccountConfig(name="test", email="u@example.com", display_name="U", imap=server, smtp=None)


@contextmanager
def _worker(account: AccountConfig, tmp_path: Path, retries: int = 1) -> Iterator[tuple[AccountWorker, EventLog]]:
    log = EventLog()
    worker = AccountWorker(
        account, tmp_path / "cache.sqlite3", log, backoff=Backoff(0.05, 0.2),
        password_source=lambda _: "pw", max_job_retries=retries, timeout=5,
    )
    worker.start()
    try:
        yield worker, log
    finally:
        worker.stop(3)
        assert not worker.is_alive()


def _cached_uids(tmp_path: Path, folder: str = "INBOX") -> list[int]:
    cache = MailCache.open(tmp_path / "cache.sqlite3", "test")
    try:
        return list(cache.uids(folder))
    finally:
        cache.close()


# --- STARTTLS ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> CertPair:
    return make_self_signed_cert(tmp_path_factory.mktemp("tls"), "imap")


def _starttls_script(cert: CertPair, before_ok: bytes, after_ok: bytes) -> ScriptedImapServer:
    mailbox = Mailbox(_messages(2))

    def script(conn: ImapConnection, index: int) -> None:
        conn.send(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] plain greeting\r\n")
        while (line := conn.read_line()) is not None:
            tag, _, verb = line.partition(b" ")
            if verb.upper() == b"CAPABILITY":
                conn.send(b"* CAPABILITY IMAP4rev1 STARTTLS\r\n" + tag + b" OK done\r\n")
            elif verb.upper() == b"STARTTLS":
                # One write: the OK and the injection arrive in the same segment.
                conn.send(before_ok + tag + b" OK begin TLS\r\n" + after_ok)
                if conn.start_tls(cert.server_context()):
                    mailbox.serve(conn, greeting=b"")
                return

    return ScriptedImapServer(script)


@pytest.mark.parametrize(
    ("before_ok", "after_ok"),
    [(b"", INJECTED), (INJECTED, b"")],
    ids=["pipelined-after-ok", "untagged-before-ok"],
)
def test_plain_text_around_starttls_never_counts(
    cert: CertPair, before_ok: bytes, after_ok: bytes
) -> None:
    """Injected plain-text responses (CVE-2020-14954 style) are dropped, not believed."""
    with _starttls_script(cert, before_ok, after_ok) as server:
        try:
            session = ImapSession.connect(
                ServerConfig("127.0.0.1", server.port, "starttls", "u", ca_file=cert.ca_file), timeout=5
            )
        except TLSError:
            return  # refusing is safe too: the injected bytes broke the handshake
        try:
            assert session.tls_info() is not None
            assert "INJECTED" not in session.capabilities
            assert "LOGINDISABLED" not in session.capabilities
            session.login("u", "pw")  # would be refused had LOGINDISABLED counted
            info = session.select("INBOX")
            assert (info.uidvalidity, info.exists) == (7, 2)
        finally:
            session.logout()
        assert not server.failures


# --- BYE in the middle of a FETCH ----------------------------------------------------------


def test_bye_in_the_middle_of_a_fetch_caches_no_partial_rows(tmp_path: Path) -> None:
    """Two of five FETCH responses, then BYE: nothing of the batch is kept; later it all is."""
    messages = _messages(5)

    def broken_fetch(conn: ImapConnection, tag: bytes, arguments: bytes) -> bool | None:
        conn.send(fetch_summary(5, messages[4]) + fetch_summary(4, messages[3]))
        conn.send(b"* BYE server shutting down\r\n")
        return True

    mailbox = Mailbox(messages)
    hang_up = mailbox.break_until_cleared("FETCH", broken_fetch)
    with ScriptedImapServer(lambda conn, index: mailbox.serve(conn)) as server, _worker(
        _account(server.port), tmp_path
    ) as (worker, log):
        with pytest.raises(ConnectionLost):
            worker.submit(SyncFolder("test", "INBOX")).result(20)
        assert server.connection_count == 2  # the read-only sync was retried once
        states = [e.state for e in log.of(AccountStateChanged)]
        assert AccountState.OFFLINE in states
        assert _cached_uids(tmp_path) == []
        hang_up.clear()
        folder = worker.submit(SyncFolder("test", "INBOX")).result(20)
        assert folder.total == 5
        assert sorted(_cached_uids(tmp_path)) == [1, 2, 3, 4, 5]
        assert worker.is_alive() and worker.state == AccountState.ONLINE
        assert not server.failures


# --- connection reset during IDLE ----------------------------------------------------------


def test_connection_reset_during_idle_reconnects_and_reports(tmp_path: Path) -> None:
    """A half-sent IDLE update and an RST: the watcher reconnects and reports a change."""

    def first_idle_resets(conn: ImapConnection, tag: bytes, arguments: bytes) -> bool | None:
        conn.send(b"+ idling\r\n")
        time.sleep(0.2)
        conn.send(b"* 3 EXI")  # half a line, then the connection dies
        conn.reset()
        return True

    def script(conn: ImapConnection, index: int) -> None:
        overrides: dict[str, Handler] = {"IDLE": first_idle_resets} if index == 0 else {}
        Mailbox(_messages(2), overrides=overrides).serve(conn)

    changes: list[str] = []
    with ScriptedImapServer(script) as server:
        watcher = IdleWatcher(
            _account(server.port), password=lambda: "pw", on_change=changes.append,
            backoff=Backoff(0.05, 0.2), check_timeout=0.5, timeout=5,
        )
        watcher.start()
        try:
            assert wait_until(lambda: server.connection_count >= 2 and watcher.watching.is_set(), 10)
            assert wait_until(lambda: changes == ["INBOX"], 5), changes
            assert watcher.is_alive() and watcher.uses_idle
        finally:
            watcher.stop(3)
        assert not watcher.is_alive()
        assert not server.failures


# --- huge literals ------------------------------------------------------------------------


def _literal_server(size: int, sent: int) -> ScriptedImapServer:
    """Announces a ``size``-byte literal as the body of UID 1, sends ``sent`` bytes of it."""

    def huge_body(conn: ImapConnection, tag: bytes, arguments: bytes) -> bool | None:
        if b"BODY.PEEK[]" not in arguments.upper():  # summaries stay normal
            mailbox.do_FETCH(conn, tag, arguments)
            return None
        conn.send(f"* 1 FETCH (UID 1 BODY[] {{{size}}}\r\n".encode())
        chunk = b"x" * (1 << 20)
        for _ in range(sent // len(chunk)):
            conn.send(chunk)
        if sent == size:
            conn.send(b")\r\n" + tag + b" OK fetched\r\n")
        return sent != size

    mailbox = Mailbox(_messages(1), overrides={"FETCH": huge_body})
    return ScriptedImapServer(lambda conn, index: mailbox.serve(conn))


def _fetch_body_peak(port: int) -> tuple[bytes | BaseException, float]:
    session = ImapSession.connect(ServerConfig("127.0.0.1", port, "none", "u"), timeout=10)
    session.login("u", "pw")
    session.select("INBOX")
    tracemalloc.start()
    try:
        result: bytes | BaseException = session.fetch([1], ["BODY.PEEK[]"])[1][b"BODY[]"]
    except BaseException as exc:
        result = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        session.abort()
    return result, peak


def test_a_100_megabyte_literal_is_read_with_bounded_memory() -> None:
    """Measured: about 3.4x the literal (imaplib buffers); assert under 5x."""
    size = 100 * 1024 * 1024
    with _literal_server(size, size) as server:
        body, peak = _fetch_body_peak(server.port)
    assert isinstance(body, bytes) and len(body) == size
    assert peak < 5 * size, f"peak {peak / 1e6:.0f} MB"


def test_an_absurd_literal_is_refused_without_allocating_it() -> None:
    """A 10 TB literal announcement: a clean ConnectionLost, not a MemoryError, no big buffer."""
    with _literal_server(10**13, 1 << 20) as server:
        result, peak = _fetch_body_peak(server.port)
    assert isinstance(result, ConnectionLost), repr(result)
    assert peak < 50 * 1024 * 1024


def test_worker_survives_an_absurd_literal(tmp_path: Path) -> None:
    """FetchBody fails with a tui_mail error; the worker keeps serving other jobs."""
    with _literal_server(10**13, 1 << 20) as server, _worker(_account(server.port), tmp_path) as (worker, _):
        with pytest.raises(MailError) as caught:
            worker.submit(FetchBody("test", "INBOX", 1)).result(20)
        assert isinstance(caught.value, ConnectionLost)
        assert worker.submit(SyncFolder("test", "INBOX")).result(20).total == 1
        assert worker.is_alive()


# --- garbage responses --------------------------------------------------------------------

GARBAGE = {
    "unbalanced-parens": b"* 1 FETCH (UID 1 FLAGS (\\Seen ENVELOPE (((\r\n",
    "binary-junk": b"\x00\xff\xfe\x1b[2J\x1b]52;c;QUFB\x07 junk\r\n",
    "non-numeric-uid": b"* 1 FETCH (UID one FLAGS ())\r\n",
    "bad-literal-size": b"* 1 FETCH (UID 1 BODY[] {xyz}\r\n",
    "negative-literal": b"* 1 FETCH (UID 1 BODY[] {-5}\r\n",
    "over-long-line": b"* 1 FETCH (UID 1 X-JUNK " + b"x" * (MAX_LINE_BYTES + 10) + b")\r\n",
    "unknown-status": None,  # the tagged reply itself is garbage
}


def _send_garbage(kind: str) -> Handler:
    def fetch(conn: ImapConnection, tag: bytes, arguments: bytes) -> bool | None:
        junk = GARBAGE[kind]
        conn.send((junk + tag + b" OK fetched\r\n") if junk else (tag + b" MAYBE \xff\r\n"))
        return None

    return fetch


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_response_is_a_clean_error_and_the_worker_goes_on(kind: str, tmp_path: Path) -> None:
    mailbox = Mailbox(_messages(3))
    active = mailbox.break_until_cleared("FETCH", _send_garbage(kind))
    with ScriptedImapServer(lambda conn, index: mailbox.serve(conn)) as server:
        session = ImapSession.connect(ServerConfig("127.0.0.1", server.port, "none", "u"), timeout=3)
        session.login("u", "pw")
        session.select("INBOX")
        with pytest.raises(MailError):
            session.fetch([1, 2, 3], ["UID", "FLAGS", "ENVELOPE"])
        session.abort()
        with _worker(_account(server.port), tmp_path) as (worker, _):
            with pytest.raises(MailError):
                worker.submit(SyncFolder("test", "INBOX")).result(20)
            assert _cached_uids(tmp_path) == []
            active.clear()
            assert worker.submit(SyncFolder("test", "INBOX")).result(20).total == 3
            assert worker.is_alive()
        assert not server.failures


# --- one hostile message on a real server ---------------------------------------------------


def test_a_message_with_50000_recipients_does_not_stop_its_folder_syncing(
    dovecot: Any, tmp_path: Path
) -> None:
    """Real Dovecot: its ENVELOPE is one 2.6 MB response line (imaplib's cap is 1 MB).

    imaplib's cap made every sync of the folder fail, so none of its messages showed.
    """
    username = "h" + uuid.uuid4().hex[:10]
    dovecot.add_user(username, "pw")
    inbox = dovecot.homes / username / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (inbox / sub).mkdir(parents=True, exist_ok=True)
    raws = [*(m.raw for m in _messages(3)), hostile_messages()["recipients_50000"]]
    for index, raw in enumerate(raws):
        (inbox / "cur" / f"{1700000000 + index}.M{index}P1.hostile:2,").write_bytes(raw)
    dovecot.chown_maildir(username)
    account = _account(dovecot.imap_port)
    account = replace(account, imap=replace(account.imap, host=dovecot.host, username=username))
    with _worker(account, tmp_path) as (worker, _):
        folder = worker.submit(SyncFolder("test", "INBOX")).result(60)
        assert folder.total == 4
        assert len(_cached_uids(tmp_path)) == 4


IDLE_GARBAGE = {
    "unbalanced": b"* 4 FETCH (FLAGS (((\r\n",
    "binary": b"\x00\xff\x1b[2J\x9b\r\n",
    "stray-tagged": b"A999 OK not yours\r\n",
    "continuation": b"+ again\r\n",
    "literal-in-idle": b"* 4 FETCH (BODY[] {5}\r\nhello)\r\n",
    "huge-literal": b"* 4 FETCH (BODY[] {99999999999999})\r\n",
    "bye": b"* BYE going down\r\n",
}


@pytest.mark.parametrize("kind", sorted(IDLE_GARBAGE))
def test_garbage_during_idle_never_kills_the_watcher(kind: str) -> None:
    """Whatever arrives during IDLE, the watcher reconnects and keeps watching."""

    def idle_with_garbage(conn: ImapConnection, tag: bytes, arguments: bytes) -> bool | None:
        conn.send(b"+ idling\r\n")
        time.sleep(0.1)
        conn.send(IDLE_GARBAGE[kind])
        conn.read_line()  # DONE, if the client still talks to us
        conn.send(tag + b" OK done\r\n")
        return True

    def script(conn: ImapConnection, index: int) -> None:
        overrides: dict[str, Handler] = {"IDLE": idle_with_garbage} if index == 0 else {}
        Mailbox(_messages(2), overrides=overrides).serve(conn)

    with ScriptedImapServer(script) as server:
        watcher = IdleWatcher(
            _account(server.port), password=lambda: "pw", on_change=lambda folder: None,
            backoff=Backoff(0.05, 0.2), check_timeout=0.3, liveness_after=0.5, timeout=3,
        )
        watcher.start()
        try:
            assert wait_until(lambda: server.connection_count >= 2 and watcher.watching.is_set(), 15)
            assert watcher.is_alive()
        finally:
            watcher.stop(3)
        assert not server.failures


SELECT_GARBAGE = {
    "uidvalidity-word": b"* 2 EXISTS\r\n* OK [UIDVALIDITY abc] x\r\n* OK [UIDNEXT 3] x\r\n",
    "uidnext-negative": b"* 2 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n* OK [UIDNEXT -1] x\r\n",
    "exists-word": b"* many EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n",
    "modseq-huge": b"* 2 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n* OK [HIGHESTMODSEQ 99999999999999999999999999] x\r\n",
}


@pytest.mark.parametrize("kind", sorted(SELECT_GARBAGE))
def test_garbage_select_answer_fails_cleanly_for_worker_and_watcher(kind: str, tmp_path: Path) -> None:
    """A broken SELECT answer is a tui_mail error; neither thread dies of it."""

    def select(conn: ImapConnection, tag: bytes, arguments: bytes) -> bool | None:
        conn.send(SELECT_GARBAGE[kind] + tag + b" OK [READ-WRITE] selected\r\n")
        return None

    mailbox = Mailbox(_messages(2))
    active = mailbox.break_until_cleared("SELECT", select)
    mailbox.overrides["EXAMINE"] = mailbox.overrides["SELECT"]
    with ScriptedImapServer(lambda conn, index: mailbox.serve(conn)) as server:
        watcher = IdleWatcher(
            _account(server.port), password=lambda: "pw", on_change=lambda folder: None,
            backoff=Backoff(0.05, 0.2), check_timeout=0.3, timeout=3,
        )
        watcher.start()
        try:
            with _worker(_account(server.port), tmp_path) as (worker, _):
                try:
                    worker.submit(SyncFolder("test", "INBOX")).result(20)
                except MailError as exc:
                    assert "unexpected" not in exc.summary, exc  # translated, not a bug path
                assert watcher.is_alive()
                active.clear()
                assert worker.submit(SyncFolder("test", "INBOX")).result(20).total == 2
                assert wait_until(watcher.watching.is_set, 10) and watcher.is_alive()
        finally:
            watcher.stop(3)
        assert not server.failures


def test_out_of_range_uid_in_search_is_a_clean_error(tmp_path: Path) -> None:
    """A UID over 32 bits would overflow SQLite later: refused at the protocol layer."""

    def search(conn: ImapConnection, tag: bytes, arguments: bytes) -> bool | None:
        conn.send(b"* SEARCH 1 2 99999999999999999999999\r\n" + tag + b" OK done\r\n")
        return None

    mailbox = Mailbox(_messages(2))
    active = mailbox.break_until_cleared("SEARCH", search)
    with ScriptedImapServer(lambda conn, index: mailbox.serve(conn)) as server, _worker(
        _account(server.port), tmp_path
    ) as (worker, _):
        with pytest.raises(ConnectionLost):
            worker.submit(SyncFolder("test", "INBOX")).result(20)
        assert _cached_uids(tmp_path) == []
        active.clear()
        assert worker.submit(SyncFolder("test", "INBOX")).result(20).total == 2
