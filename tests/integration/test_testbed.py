"""The test bed itself: real Dovecot, pymap and aiosmtpd, the corpus, and ``--demo``.

If these fail, every other integration test is suspect, so they check the
servers the way the app will meet them (login, TLS trust, folders, counts,
capabilities, outage and restart) and that nothing is left running afterwards.
"""

from __future__ import annotations

import email
import email.policy
import os
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.servers.account import ImapAccount
from tests.servers.dovecot import MAIL_USER, DovecotServer
from tui_mail.config import load_config
from tui_mail.demo import demo_session
from tui_mail.demo.corpus import (
    FIXED_NOW,
    FOLDER_SIZES,
    FOLDERS,
    folder_counts,
    generate_mailbox,
    iter_messages,
)
from tui_mail.demo.seed import seed_over_imap, write_maildir
from tui_mail.demo.smtp_server import SmtpServer

pytestmark = pytest.mark.integration


def _login(account: ImapAccount) -> IMAPClient:
    client = IMAPClient(account.host, account.port, ssl=False, timeout=10)
    client.login(account.username, account.password)
    return client


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _status(client: IMAPClient, folder: str) -> dict[bytes, int]:
    return client.folder_status(folder, [b"MESSAGES", b"UNSEEN"])


# --- the corpus -----------------------------------------------------------------


def test_corpus_is_deterministic_and_varied() -> None:
    first = generate_mailbox(seed=7, inbox_size=150)
    assert first == generate_mailbox(seed=7, inbox_size=150)
    assert [m.raw for m in first] != [m.raw for m in generate_mailbox(seed=8, inbox_size=150)]
    inbox = [m for m in first if m.folder == "INBOX"]
    unread = sum("\\Seen" not in m.flags for m in inbox) / len(inbox)
    assert 0.2 < unread < 0.4
    assert any("\\Flagged" in m.flags for m in inbox)
    assert any("\\Answered" in m.flags for m in inbox)
    assert set(folder_counts(first)) == set(FOLDERS)
    dates = [m.internal_date for m in inbox]
    assert dates == sorted(dates) and dates[-1] < FIXED_NOW
    kinds: Counter[str] = Counter()
    charsets: Counter[str] = Counter()
    depth = 0
    for message in first:
        parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
        assert not parsed.defects, parsed.defects
        kinds[parsed.get_content_type()] += 1
        depth = max(depth, len(str(parsed.get("References", "")).split()))
        for part in parsed.walk():
            charset = part.get_content_charset()
            if charset:
                charsets[charset] += 1
            if not part.is_multipart():
                part.get_content()  # every part decodes
    assert {"text/plain", "text/html", "multipart/alternative", "multipart/mixed"} <= set(kinds)
    assert {"utf-8", "iso-8859-1", "koi8-r", "iso-2022-jp"} <= set(charsets)
    assert depth >= 3, "conversations should be several replies deep"


def test_corpus_large_newsletters_are_optional() -> None:
    plain = generate_mailbox(inbox_size=100)
    large = generate_mailbox(inbox_size=100, large_every=50)
    assert max(len(m.raw) for m in plain) < 50_000
    assert sum(len(m.raw) > 150_000 for m in large) == 2


@pytest.mark.slow
def test_corpus_scales_to_100k_lazily() -> None:
    started = time.monotonic()
    count = sum(1 for _ in iter_messages(inbox_size=100_000))
    elapsed = time.monotonic() - started
    assert count == 100_000 + sum(FOLDER_SIZES.values())
    assert elapsed < 20, f"100k messages took {elapsed:.1f} s"


# --- IMAP on both servers -------------------------------------------------------


def test_login_and_wrong_password(imap_server: ImapAccount) -> None:
    _login(imap_server).logout()
    client = IMAPClient(imap_server.host, imap_server.port, ssl=False, timeout=10)
    with pytest.raises(LoginError):
        client.login(imap_server.username, "not-the-password")


def test_seeded_folders_and_counts_match_the_corpus(imap_server: ImapAccount) -> None:
    expected = folder_counts(imap_server.corpus)
    assert imap_server.seeded == expected
    client = _login(imap_server)
    try:
        names = {name for _flags, _delim, name in client.list_folders()}
        assert set(FOLDERS) <= names
        for folder in FOLDERS:
            in_corpus = [m for m in imap_server.corpus if m.folder == folder]
            status = _status(client, folder)
            assert status[b"MESSAGES"] == expected[folder], folder
            assert status[b"UNSEEN"] == sum("\\Seen" not in m.flags for m in in_corpus), folder
        client.select_folder("INBOX", readonly=True)
        flagged = sum("\\Flagged" in m.flags for m in imap_server.corpus if m.folder == "INBOX")
        assert len(client.search(["FLAGGED"])) == flagged
        newest = max(client.search("ALL"))
        fetched = client.fetch([newest], ["INTERNALDATE", "BODY.PEEK[]"])[newest]
        last = [m for m in imap_server.corpus if m.folder == "INBOX"][-1]
        assert fetched[b"BODY[]"] == last.raw
        assert abs(fetched[b"INTERNALDATE"].timestamp() - last.internal_date.timestamp()) < 1
    finally:
        client.logout()


def test_capabilities_differ_as_documented(imap_server: ImapAccount) -> None:
    assert {"IDLE", "MOVE", "UIDPLUS"} <= imap_server.capabilities
    if imap_server.kind == "dovecot":
        wanted = {"SPECIAL-USE", "SORT", "THREAD=REFERENCES", "CONDSTORE", "QRESYNC", "LIST-STATUS"}
        assert wanted <= imap_server.capabilities
        client = _login(imap_server)
        try:
            roles = {name: flags for flags, _d, name in client.list_folders()}
        finally:
            client.logout()
        assert b"\\Sent" in roles["Sent"] and b"\\Trash" in roles["Trash"]
        assert b"\\Drafts" in roles["Drafts"] and b"\\Junk" in roles["Junk"]
        assert b"\\Archive" in roles["Archive"]
    else:
        assert not imap_server.has("SORT")
        assert not imap_server.has("SPECIAL-USE")
        assert not imap_server.has("CONDSTORE")


@pytest.mark.corpus(inbox_size=3, folders=False)
def test_corpus_marker_gives_a_small_inbox(imap_server: ImapAccount) -> None:
    client = _login(imap_server)
    try:
        assert _status(client, "INBOX")[b"MESSAGES"] == 3
        assert "Lists/python" not in {n for _f, _d, n in client.list_folders()}
    finally:
        client.logout()


def test_config_toml_loads(
    imap_server: ImapAccount, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    path = imap_server.config_toml(tmp_path, smtp=smtp_server)
    account = load_config(path).account("test")
    assert account.imap.port == imap_server.port and account.imap.security == "none"
    assert os.environ[account.imap.password_env] == imap_server.password
    assert account.smtp is not None and account.smtp.security == "starttls"
    assert os.environ[account.smtp.password_env] == smtp_server.password
    if imap_server.kind == "dovecot":
        tls = load_config(imap_server.config_toml(tmp_path, security="tls", filename="t.toml"))
        assert tls.account().imap.port == imap_server.tls_port
        assert tls.account().imap.ca_file == imap_server.ca_file
    else:
        with pytest.raises(ValueError):
            imap_server.config_toml(tmp_path, security="tls")


# --- Dovecot specifics ----------------------------------------------------------


def _fresh_user(dovecot: DovecotServer) -> tuple[str, str]:
    name, password = "t" + uuid.uuid4().hex[:10], "pw-" + uuid.uuid4().hex[:6]
    dovecot.add_user(name, password)
    return name, password


def test_imaps_trusts_only_the_generated_ca(dovecot: DovecotServer) -> None:
    name, password = _fresh_user(dovecot)
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    client = IMAPClient("127.0.0.1", dovecot.imaps_port, ssl=True, ssl_context=context, timeout=10)
    client.login(name, password)
    client.logout()
    small = generate_mailbox(inbox_size=2)
    assert seed_over_imap(dovecot.host, dovecot.imaps_port, name, password, small, context)
    assert seed_over_imap(dovecot.host, dovecot.imap_port, name, password, small, context, True)
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(
            "127.0.0.1",
            dovecot.imaps_port,
            ssl=True,
            ssl_context=ssl.create_default_context(),
            timeout=10,
        )


def test_dovecot_restart_keeps_ports_and_mail(dovecot: DovecotServer) -> None:
    name, password = _fresh_user(dovecot)
    seed_over_imap(dovecot.host, dovecot.imap_port, name, password, generate_mailbox(inbox_size=5))
    ports = (dovecot.imap_port, dovecot.imaps_port)
    dovecot.stop()
    try:
        with pytest.raises(OSError):
            socket.create_connection((dovecot.host, dovecot.imap_port), timeout=2).close()
    finally:
        dovecot.start()
    assert (dovecot.imap_port, dovecot.imaps_port) == ports
    client = IMAPClient(dovecot.host, dovecot.imap_port, ssl=False, timeout=10)
    client.login(name, password)
    assert _status(client, "INBOX")[b"MESSAGES"] == 5
    client.logout()


def test_write_maildir_is_what_dovecot_serves(dovecot: DovecotServer) -> None:
    import pwd

    name, password = _fresh_user(dovecot)
    corpus = generate_mailbox(seed=4, inbox_size=30)
    user = pwd.getpwnam(MAIL_USER)
    counts = write_maildir(dovecot.homes / name / "Maildir", corpus, (user.pw_uid, user.pw_gid))
    assert counts == folder_counts(corpus)
    client = IMAPClient(dovecot.host, dovecot.imap_port, ssl=False, timeout=10)
    client.login(name, password)
    try:
        for folder in FOLDERS:
            unseen = sum("\\Seen" not in m.flags for m in corpus if m.folder == folder)
            assert _status(client, folder) == {b"MESSAGES": counts[folder], b"UNSEEN": unseen}
        subscribed = {name for _flags, _delim, name in client.list_sub_folders()}
        assert {"Lists/python", "Lists/rust", "Sent"} <= subscribed
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search("ALL"))
        first = client.fetch(uids[:1], ["BODY.PEEK[]"])[uids[0]][b"BODY[]"]
        assert first == [m for m in corpus if m.folder == "INBOX"][0].raw  # date order = UID order
    finally:
        client.logout()


# --- SMTP -----------------------------------------------------------------------


def test_smtp_starttls_auth_message_is_captured(smtp_server: SmtpServer) -> None:
    assert smtp_server.ca_file is not None
    context = ssl.create_default_context(cafile=str(smtp_server.ca_file))
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("auth"), "AUTH must wait for TLS"
        client.starttls(context=context)
        client.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(smtp_server.username, "wrong")
        client.login(smtp_server.username, smtp_server.password)
        client.sendmail("me@example.org", ["you@example.com"], b"Subject: hi\r\n\r\nhello\r\n")
    (received,) = smtp_server.wait_for_messages(1)
    assert received.mail_from == "me@example.org" and received.rcpt_tos == ("you@example.com",)
    assert received.data == b"Subject: hi\r\n\r\nhello\r\n"


def test_smtp_faults(smtp_server: SmtpServer) -> None:
    context = ssl.create_default_context(cafile=str(smtp_server.ca_file))

    def send() -> None:
        with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
            client.starttls(context=context)
            client.login(smtp_server.username, smtp_server.password)
            client.sendmail("me@example.org", ["you@example.com"], b"Subject: x\r\n\r\nx\r\n")

    smtp_server.fail_rcpt(450, "4.2.1 try later")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send()
    smtp_server.clear_faults()
    smtp_server.fail_data(554, "5.6.0 no")
    with pytest.raises(smtplib.SMTPDataError):
        send()
    assert smtp_server.messages == []
    smtp_server.clear_faults()
    smtp_server.drop_after_data()
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send()
    assert len(smtp_server.messages) == 1  # kept: the client cannot know it arrived


# --- the demo -------------------------------------------------------------------


def test_demo_session_starts_delivers_and_cleans_up() -> None:
    started = time.monotonic()
    with demo_session() as demo:
        startup = time.monotonic() - started
        assert startup < 5, f"demo took {startup:.1f} s to start"
        config = load_config(demo.config_path)
        account = config.account()
        assert account.name == "demo" and account.email == "demo@example.org"
        password = os.environ[account.imap.password_env]
        client = IMAPClient(account.imap.host, account.imap.port, ssl=False, timeout=10)
        client.login(account.imap.username, password)
        assert _status(client, "INBOX")[b"MESSAGES"] == 200
        assert account.smtp is not None
        with smtplib.SMTP(account.smtp.host, account.smtp.port, timeout=10) as smtp:
            smtp.login(account.imap.username, password)
            smtp.sendmail("x@example.com", ["Demo@Example.org"], b"Subject: to demo\r\n\r\nhi\r\n")
            smtp.sendmail(
                "x@example.com", ["other@example.com"], b"Subject: elsewhere\r\n\r\n.\r\n"
            )
        assert _status(client, "INBOX")[b"MESSAGES"] == 201  # delivered before 250 came back
        client.logout()
        pid, root = demo.imap.pid, demo.root
        assert pid is not None and demo.cache_dir.is_relative_to(root)
    assert not _alive(pid), "pymap must not outlive the demo"
    assert not root.exists()
    assert account.imap.password_env not in os.environ


def test_pymap_dies_with_its_parent(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from tui_mail.demo.pymap_server import PymapServer\n"
        "s = PymapServer(); s.start(); print(s.pid, flush=True); time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    parent.kill()  # no atexit, no finally: only PR_SET_PDEATHSIG can clean up
    parent.wait(5)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_server_started_from_a_short_lived_thread_survives_it() -> None:
    """PDEATHSIG follows the forking thread; the spawner thread keeps servers alive."""
    import threading

    from tui_mail.demo.pymap_server import PymapServer

    server = PymapServer()
    starter = threading.Thread(target=server.start)
    starter.start()
    starter.join()
    try:
        time.sleep(0.3)
        assert server.running
        IMAPClient(server.host, server.port, ssl=False, timeout=5).logout()
    finally:
        server.stop()
    assert not server.running
