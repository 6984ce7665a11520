"""Put the sample corpus into a mail store: over IMAP (any server) or as Maildir files.

``seed_over_imap`` is how both test servers and the demo get the same mail: it
creates the folders with the server's delimiter and APPENDs in batches
(MULTIAPPEND where offered, so 200 messages take a fraction of a second).
``write_maildir`` writes Dovecot's Maildir++ layout directly, for benchmarks too
big to APPEND.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Iterable, Iterator
from itertools import groupby
from pathlib import Path

from imapclient import IMAPClient

from tui_mail.demo.corpus import SeedMessage

#: Flush a MULTIAPPEND batch at this many messages or bytes, whichever comes first.
BATCH_MESSAGES = 100
BATCH_BYTES = 4_000_000


def _batches(messages: Iterable[SeedMessage]) -> Iterator[list[SeedMessage]]:
    batch: list[SeedMessage] = []
    size = 0
    for message in messages:
        batch.append(message)
        size += len(message.raw)
        if len(batch) >= BATCH_MESSAGES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def server_folder_name(folder: str, delimiter: str) -> str:
    """Map a corpus folder name (``/``-separated) to the server's hierarchy delimiter."""
    return folder.replace("/", delimiter or "/")


def seed_over_imap(
    host: str,
    port: int,
    username: str,
    password: str,
    messages: Iterable[SeedMessage],
    ssl_context: ssl.SSLContext | None = None,
    starttls: bool = False,
    timeout: float = 30.0,
) -> dict[str, int]:
    """Create the folders and APPEND ``messages`` with their flags and dates.

    With ``ssl_context`` and ``starttls=False`` the connection is implicit TLS;
    with ``starttls=True`` it upgrades a plain connection. Messages of one folder
    should be adjacent (as :func:`~tui_mail.demo.corpus.iter_messages` yields
    them) so they batch well. Returns how many messages went into each folder.
    """
    implicit_tls = ssl_context is not None and not starttls
    client = IMAPClient(host, port, ssl=implicit_tls, ssl_context=ssl_context, timeout=timeout)
    counts: dict[str, int] = {}
    try:
        # imapclient writes an APPEND as several small sends; with Nagle on, each
        # command then waits ~40 ms for a delayed ACK (measured: 43 ms -> 3 ms).
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if starttls:
            client.starttls(ssl_context)
        client.login(username, password)
        multiappend = b"MULTIAPPEND" in client.capabilities()
        listed = client.list_folders()
        delimiter = next((d.decode() for _f, d, _n in listed if d), "/")
        existing = {name for _flags, _delim, name in listed}
        for folder, group in groupby(messages, key=lambda m: m.folder):
            name = server_folder_name(folder, delimiter)
            if name not in existing and name.upper() != "INBOX":
                client.create_folder(name)
                client.subscribe_folder(name)
                existing.add(name)
            for batch in _batches(group):
                _append_batch(client, name, batch, multiappend)
                counts[folder] = counts.get(folder, 0) + len(batch)
    finally:
        try:
            client.logout()
        except Exception:  # noqa: S110 - the server may already have gone; seeding is done
            pass
    return counts


def _append_batch(
    client: IMAPClient, folder: str, batch: list[SeedMessage], multiappend: bool
) -> None:
    if multiappend:
        client.multiappend(
            folder,
            [{"msg": m.raw, "flags": m.flags, "date": m.internal_date} for m in batch],
        )
        return
    for message in batch:
        client.append(folder, message.raw, message.flags, message.internal_date)


_MAILDIR_FLAG_LETTERS = {
    "\\Draft": "D",
    "\\Flagged": "F",
    "\\Answered": "R",
    "\\Seen": "S",
    "\\Deleted": "T",
}


def maildir_folder_path(maildir: Path, folder: str) -> Path:
    """Where Dovecot's Maildir++ layout keeps ``folder`` (``Lists/python`` -> ``.Lists.python``)."""
    if folder.upper() == "INBOX":
        return maildir
    return maildir / ("." + folder.replace("/", "."))


def write_maildir(
    maildir: Path, messages: Iterable[SeedMessage], owner: tuple[int, int] | None = None
) -> dict[str, int]:
    """Write ``messages`` as Maildir++ files under ``maildir`` (the user's ``~/Maildir``).

    File names start with the internal date so Dovecot hands out UIDs in date
    order; each file's mtime is its internal date (Dovecot's received date).
    ``owner`` (uid, gid) chowns what is written, for a server running as that user.
    Returns how many messages went into each folder.
    """
    counts: dict[str, int] = {}
    for sequence, message in enumerate(messages):
        folder_dir = maildir_folder_path(maildir, message.folder)
        if message.folder not in counts:
            _make_maildir_folder(maildir, folder_dir, message.folder, owner)
            counts[message.folder] = 0
        counts[message.folder] += 1
        stamp = int(message.internal_date.timestamp())
        letters = "".join(
            sorted(_MAILDIR_FLAG_LETTERS[f] for f in message.flags if f in _MAILDIR_FLAG_LETTERS)
        )
        name = f"{stamp}.M{sequence:08d}P0.seed,S={len(message.raw)}:2,{letters}"
        path = folder_dir / "cur" / name
        path.write_bytes(message.raw)
        os.utime(path, (stamp, stamp))
        if owner:
            os.chown(path, *owner)
    return counts


def _make_maildir_folder(
    maildir: Path, folder_dir: Path, folder: str, owner: tuple[int, int] | None
) -> None:
    created = [p for p in (maildir, folder_dir) if not p.exists()]
    for sub in ("cur", "new", "tmp"):
        created += [folder_dir / sub] if not (folder_dir / sub).exists() else []
        (folder_dir / sub).mkdir(parents=True, exist_ok=True)
    if folder_dir != maildir:
        (folder_dir / "maildirfolder").touch()
        created.append(folder_dir / "maildirfolder")
        _subscribe(maildir, folder)
        created.append(maildir / "subscriptions")
    if owner:
        for path in created:
            os.chown(path, *owner)


_SUBSCRIPTIONS_HEADER = "V\t2\n\n"


def _subscribe(maildir: Path, folder: str) -> None:
    """Add ``folder`` to Dovecot's subscriptions file (v2: levels separated by TABs)."""
    path = maildir / "subscriptions"
    text = path.read_text(encoding="utf-8") if path.exists() else _SUBSCRIPTIONS_HEADER
    entry = folder.replace("/", "\t")
    if entry not in text.splitlines():
        path.write_text(text + entry + "\n", encoding="utf-8")
