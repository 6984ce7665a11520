"""One IMAP session on imapclient: connect (TLS/STARTTLS), login, and the commands we use.

Every imapclient/socket/ssl exception leaves this module as a ``tui_mail.errors``
error (see :func:`translate_errors`). A few imapclient internals (``_imap``,
``_raw_command_untagged``) are used where imapclient has no public API: extended
LIST (LIST-STATUS), COPYUID from MOVE's untagged OK, VANISHED, and SEARCH with
forced literals (and its ESEARCH answer). Each use says why.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.imapclient import SocketTimeout, _parse_untagged_response
from imapclient.response_parser import parse_fetch_response, parse_message_list, parse_response

from tui_mail.backend.imap.esearch import esearch_uids
from tui_mail.backend.imap.folders import ListedFolder
from tui_mail.backend.imap.protocol import (
    UINT32_MAX,
    TlsInfo,
    as_bytes,
    copyuid_map,
    describe_tls,
    folder_name,
    group_untagged,
    hard_close,
    make_ssl_context,
    parse_uid_set,
    readable,
    response_text,
    translate_errors,
)
from tui_mail.backend.imap.search_args import build_search_args, is_atom, needs_utf8
from tui_mail.config import ServerConfig, is_loopback_host
from tui_mail.errors import AuthError, ConnectionLost, ServerError, TLSError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 20.0
#: After an IDLE line, how long to wait for the rest of a burst before returning.
IDLE_GRACE = 0.05
READ_TIMEOUT = 60.0
#: The largest literal (message body) we agree to read; a bigger announcement is
#: treated as a broken connection instead of an allocation of that size.
MAX_LITERAL_BYTES = 512 * 1024 * 1024
#: The longest response line we read. imaplib's own cap (1 MB) is below the ENVELOPE
#: Dovecot sends for a message with 50,000 recipients (2.6 MB): one such message
#: made every sync of its folder fail. Parsing 8 MB takes imapclient about 4 s.
MAX_LINE_BYTES = 8 * 1024 * 1024
#: RFC 7162: mod-sequences are 63-bit.
_MODSEQ_MAX = 2**63 - 1
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)
_SYSTEM_FLAGS = {"\\seen", "\\answered", "\\flagged", "\\deleted", "\\draft"}


@dataclass(frozen=True, slots=True)
class SelectInfo:
    """What SELECT told us about a folder."""

    uidvalidity: int
    uidnext: int
    exists: int
    highestmodseq: int


class ImapSession:
    """A connected (and after :meth:`login`, authenticated) IMAP session.

    Not thread-safe: one thread uses it, except :meth:`abort`, which any
    thread may call to break a blocked read.
    """

    def __init__(self, client: IMAPClient, server: ServerConfig, allow_insecure: bool) -> None:
        self.client = client
        self.server = server
        self.where = f"{server.host}:{server.port}"
        self.allow_insecure = allow_insecure
        self.capabilities: frozenset[str] = frozenset()
        self.enabled: frozenset[str] = frozenset()
        self.selected: str | None = None
        self.encrypted = server.security != "none"
        _bound_literals(client)
        _bound_lines(client)
        with contextlib.suppress(OSError):
            # Commands go out in several small writes (literals): don't let Nagle wait.
            client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._refresh_capabilities()

    # ------------------------------------------------------------ connecting

    @classmethod
    def connect(
        cls,
        server: ServerConfig,
        *,
        allow_insecure: bool = False,
        timeout: float = READ_TIMEOUT,
    ) -> ImapSession:
        """Open the connection and negotiate TLS as ``server.security`` says (no login)."""
        where = f"{server.host}:{server.port}"
        timeouts = SocketTimeout(min(CONNECT_TIMEOUT, timeout), timeout)
        with translate_errors(where):
            if server.security == "tls":
                client = IMAPClient(
                    server.host,
                    server.port,
                    ssl=True,
                    ssl_context=make_ssl_context(server.ca_file),
                    timeout=timeouts,
                )
            else:
                client = IMAPClient(server.host, server.port, ssl=False, timeout=timeouts)
            client.normalise_times = False  # keep time zones on dates
            try:
                if server.security == "starttls":
                    _start_tls(client, server, where)
            except BaseException:
                hard_close(client)
                raise
            return cls(client, server, allow_insecure)

    def _refresh_capabilities(self) -> None:
        with translate_errors(self.where):
            self.capabilities = frozenset(
                c.decode("ascii", "replace").upper() for c in self.client.capabilities()
            )

    def has(self, capability: str) -> bool:
        """True when the server announced ``capability``."""
        return capability.upper() in self.capabilities

    @property
    def authenticated(self) -> bool:
        """True after login (or PREAUTH on an unencrypted-by-choice connection)."""
        return bool(self.client._imap.state in ("AUTH", "SELECTED"))

    def login(self, username: str, password: str) -> None:
        """LOGIN (or AUTHENTICATE PLAIN for passwords LOGIN cannot carry)."""
        if self.authenticated:
            return
        if (
            not self.encrypted
            and not is_loopback_host(self.server.host)
            and not self.allow_insecure
        ):
            raise TLSError(
                f"refusing to send a password unencrypted to {self.where}",
                'use security = "tls" or "starttls"',
            )
        if self.has("LOGINDISABLED"):
            raise AuthError("the server does not allow LOGIN here", "LOGINDISABLED")
        with translate_errors(self.where):
            plain_ok = all(32 <= ord(ch) < 127 for ch in password + username)
            if plain_ok:
                self.client.login(username, password)
            elif self.has("AUTH=PLAIN"):
                self.client.plain_login(username, password)
            else:
                raise AuthError("the password has characters LOGIN cannot send")
            self.client._cached_capabilities = None  # they often change after login
        self._refresh_capabilities()

    def enable_sync_extensions(self) -> None:
        """ENABLE QRESYNC (or CONDSTORE) so SELECT reports HIGHESTMODSEQ."""
        wanted = [c for c in ("QRESYNC", "CONDSTORE") if self.has(c)]
        if not wanted or not self.has("ENABLE"):
            return
        with translate_errors(self.where):
            enabled = self.client.enable(*wanted)
        self.enabled = frozenset(
            (e.decode() if isinstance(e, bytes) else str(e)).upper() for e in enabled
        )
        if "QRESYNC" in self.enabled:
            self.enabled |= {"CONDSTORE"}  # QRESYNC implies CONDSTORE (RFC 7162)

    def tls_info(self) -> TlsInfo | None:
        """Protocol, cipher and certificate names of the TLS session, if any."""
        return describe_tls(self.client.socket())

    # ------------------------------------------------------------ folders

    def list_folders(self) -> tuple[list[ListedFolder], dict[str, tuple[int, int]]]:
        """LIST every folder, with (total, unread) counts (LIST-STATUS when offered)."""
        use_status = self.has("LIST-STATUS")
        returns = []
        if self.has("SPECIAL-USE") and self.has("LIST-EXTENDED"):
            returns.append("SPECIAL-USE")
        if use_status:
            returns.append("STATUS (MESSAGES UNSEEN)")
        extra = [f"RETURN ({' '.join(returns)})"] if returns else []
        with translate_errors(self.where):
            imap = self.client._imap  # imapclient has no extended LIST
            typ, data = imap._simple_command("LIST", '""', '"*"', *extra)
            self.client._checkok("list", typ, data)
            _, lines = imap._untagged_response(typ, data, "LIST")
            status_lines = imap.untagged_responses.pop("STATUS", [])
            listing = [self._listed(group) for group in group_untagged(lines)]
            counts = self._parse_status(status_lines) if use_status else {}
            for item in listing:
                if item.selectable and item.name not in counts:
                    counts[item.name] = self.status_counts(item.name)
        return listing, counts

    @staticmethod
    def _listed(group: list[Any]) -> ListedFolder:
        parsed = parse_response(group)
        flags, delimiter, name = parsed[0], parsed[1], parsed[2]
        return ListedFolder(
            name=folder_name(name),
            delimiter=delimiter.decode("ascii", "replace") if isinstance(delimiter, bytes) else "",
            attributes=frozenset(f.decode("ascii", "replace") for f in flags or ()),
        )

    @staticmethod
    def _parse_status(lines: Sequence[Any]) -> dict[str, tuple[int, int]]:
        counts: dict[str, tuple[int, int]] = {}
        for group in group_untagged(lines):
            parsed = parse_response(group)
            values = dict(zip(parsed[-1][::2], parsed[-1][1::2], strict=False))
            counts[folder_name(parsed[0])] = (
                int(values.get(b"MESSAGES", 0)),
                int(values.get(b"UNSEEN", 0)),
            )
        return counts

    def status_counts(self, folder: str) -> tuple[int, int]:
        """(total, unread) of one folder with STATUS."""
        with translate_errors(self.where):
            status = self.client.folder_status(folder, ["MESSAGES", "UNSEEN"])
        return int(status.get(b"MESSAGES", 0)), int(status.get(b"UNSEEN", 0))

    def create_folder(self, name: str) -> None:
        """CREATE and SUBSCRIBE."""
        with translate_errors(self.where):
            self.client.create_folder(name)
            with contextlib.suppress(imaplib.IMAP4.error):
                self.client.subscribe_folder(name)

    def rename_folder(self, name: str, new_name: str) -> None:
        """RENAME (the selected folder is unselected first)."""
        self._leave(name)
        with translate_errors(self.where):
            self.client.rename_folder(name, new_name)

    def delete_folder(self, name: str) -> None:
        """DELETE (the selected folder is unselected first)."""
        self._leave(name)
        with translate_errors(self.where):
            self.client.delete_folder(name)

    def _leave(self, name: str) -> None:
        if self.selected == name:
            with translate_errors(self.where):
                self.client.select_folder("INBOX")
            self.selected = "INBOX"

    # ------------------------------------------------------------ selected-folder commands

    def select(self, folder: str, readonly: bool = False) -> SelectInfo:
        """SELECT (read-write; bodies are fetched with PEEK so nothing is marked read).

        ``readonly`` sends EXAMINE instead (the IDLE watcher's connection).
        """
        with translate_errors(self.where):
            info = self.client.select_folder(folder, readonly=readonly)
            # Out-of-range numbers (a broken server) would fail later in SQLite.
            selected = SelectInfo(
                uidvalidity=_number(info.get(b"UIDVALIDITY", 0), UINT32_MAX),
                uidnext=_number(info.get(b"UIDNEXT", 0), UINT32_MAX),
                exists=_number(info.get(b"EXISTS", 0), UINT32_MAX),
                highestmodseq=_number(info.get(b"HIGHESTMODSEQ", 0), _MODSEQ_MAX),
            )
        self.selected = folder
        return selected

    def ensure_selected(self, folder: str) -> None:
        """SELECT ``folder`` unless it already is."""
        if self.selected != folder:
            self.select(folder)

    def search(self, criteria: Sequence[Any]) -> list[int]:
        """UID SEARCH with every user value quoted safely or sent as a literal: the
        matching UIDs, ascending and distinct.

        Where the server offers ESEARCH (RFC 4731) the UIDs are asked for as
        ``RETURN (ALL)``: ranges like ``1:5000`` instead of 5,000 numbers on a line.
        """
        args = build_search_args(criteria)
        if needs_utf8(args):
            args = [b"CHARSET", b"UTF-8", *args]
        extended = self.has("ESEARCH")
        if extended:
            args = [b"RETURN", b"(ALL)", *args]  # RFC 4731: RETURN comes before CHARSET
        with translate_errors(self.where):
            # imapclient.search() would re-quote our values; send them as built.
            if not extended:
                data = self.client._raw_command_untagged(b"SEARCH", args)
                # Distinct, as ESEARCH's are: a server that repeats a UID must not make
                # a sync fetch and store it twice.
                return sorted({_number(u, UINT32_MAX) for u in parse_message_list(data)})
            # imaplib files the answer under "ESEARCH", not "SEARCH"; drop any stale
            # one so it cannot merge into ours (imaplib never clears them).
            self.client._imap.untagged_responses.pop("ESEARCH", None)
            data = self.client._raw_command_untagged(b"SEARCH", args, response_name="ESEARCH")
            return esearch_uids(group_untagged(data))

    def fetch(
        self, uids: Sequence[int] | str, items: Sequence[str], modifiers: Sequence[str] = ()
    ) -> dict[int, dict[bytes, Any]]:
        """UID FETCH ``items`` (``modifiers`` such as ``CHANGEDSINCE n``)."""
        if not uids:
            return {}
        with translate_errors(self.where):
            if isinstance(uids, str):  # a range like "1:*": imapclient filters by asked ids
                tag = self.client._imap._command(
                    "UID",
                    "FETCH",
                    uids,
                    f"({' '.join(items)})",
                    f"({' '.join(modifiers)})" if modifiers else None,
                )
                typ, data = self.client._imap._command_complete("FETCH", tag)
                self.client._checkok("fetch", typ, data)
                typ, data = self.client._imap._untagged_response(typ, data, "FETCH")
                return dict(parse_fetch_response(data, False, True))
            return dict(self.client.fetch(list(uids), list(items), list(modifiers) or None))

    def pop_vanished(self) -> list[int]:
        """UIDs reported in ``VANISHED`` responses since the last call (QRESYNC)."""
        lines = self.client._imap.untagged_responses.pop("VANISHED", [])
        uids: list[int] = []
        for line in lines:
            text = as_bytes(line).decode("ascii", "replace")
            text = re.sub(r"\(EARLIER\)", "", text, flags=re.IGNORECASE).strip()
            with contextlib.suppress(ServerError):  # unreadable or absurd: the next sync compares
                uids.extend(parse_uid_set(text))
        return uids

    def store_flags(
        self, uids: Sequence[int], flags: Sequence[str], add: bool
    ) -> dict[int, frozenset[str]]:
        """STORE +FLAGS/-FLAGS; returns the new flags the server reported."""
        for flag in flags:
            bare = flag[1:] if flag.startswith("\\") else flag
            if not (flag.lower() in _SYSTEM_FLAGS or (not flag.startswith("\\") and is_atom(bare))):
                raise ServerError("not a valid flag", repr(flag)[:80])
        with translate_errors(self.where):
            method = self.client.add_flags if add else self.client.remove_flags
            result = method(list(uids), list(flags))
        from tui_mail.backend.imap.envelope import decode_flags

        return {uid: decode_flags(value) for uid, value in (result or {}).items()}

    def copy(self, uids: Sequence[int], dest: str) -> dict[int, int]:
        """UID COPY; old -> new UID map from COPYUID (empty without UIDPLUS)."""
        return self._with_copyuid(self.client.copy, uids, dest)

    def move(self, uids: Sequence[int], dest: str) -> dict[int, int]:
        """UID MOVE, else COPY + \\Deleted + a safe expunge. Returns the UID map."""
        if not self.has("MOVE"):
            uid_map = self.copy(uids, dest)
            self.expunge_exactly(uids)
            return uid_map
        return self._with_copyuid(self.client.move, uids, dest)

    def _with_copyuid(self, method: Any, uids: Sequence[int], dest: str) -> dict[int, int]:
        # imaplib files response codes (tagged, or MOVE's untagged OK) under their
        # name and never clears them: drop any stale COPYUID first.
        codes = self.client._imap.untagged_responses
        codes.pop("COPYUID", None)
        with translate_errors(self.where):
            method(list(uids), dest)
        found = codes.pop("COPYUID", [])
        return copyuid_map([b"[COPYUID " + as_bytes(found[-1]) + b"]"]) if found else {}

    def expunge_exactly(self, uids: Sequence[int]) -> None:
        """Mark ``uids`` \\Deleted and expunge only them.

        With UIDPLUS this is ``UID EXPUNGE``. Without it a bare EXPUNGE would also
        remove other messages someone marked deleted, so we expunge only when no
        other message carries \\Deleted, and otherwise refuse (the messages stay
        marked \\Deleted, nothing else is lost).
        """
        with translate_errors(self.where):
            self.client.add_flags(list(uids), ["\\Deleted"], silent=True)
            if self.has("UIDPLUS"):
                self.client.uid_expunge(list(uids))
                return
        others = set(self.search(["DELETED"])) - set(uids)
        if others:
            raise ServerError(
                "cannot expunge safely: the server has no UIDPLUS and other messages are "
                "marked deleted",
                f"{len(others)} other message(s) marked \\Deleted; nothing was expunged",
            )
        with translate_errors(self.where):
            self.client.expunge()

    def append(self, folder: str, message: bytes, flags: Sequence[str] = ()) -> int | None:
        """APPEND; the new UID from APPENDUID when the server gives it."""
        with translate_errors(self.where):
            response = self.client.append(folder, message, flags=tuple(flags))
        match = _APPENDUID.search(as_bytes(response))
        return int(match[2]) if match else None

    # ------------------------------------------------------------ IDLE and liveness

    def noop(self) -> list[Any]:
        """NOOP; returns the untagged updates it collected."""
        with translate_errors(self.where):
            return list(self.client.noop()[1])

    def idle(self) -> None:
        """Enter IDLE."""
        with translate_errors(self.where):
            self.client.idle()

    def idle_check(self, timeout: float) -> list[Any]:
        """Wait up to ``timeout`` s for IDLE responses; ConnectionLost at EOF.

        Not imapclient's ``idle_check``: it reads on a non-blocking socket, so a
        response split across TCP segments (pymap sends them so) fails as an
        "unterminated line", and EOF comes back as an empty list. Here we wait
        for readability, then read whole lines with the normal read timeout.
        """
        sock = self.client.socket()
        if not readable(sock, timeout):
            return []
        responses: list[Any] = []
        with translate_errors(self.where):
            while True:
                line = self.client._imap._get_line()  # raises abort at EOF
                responses.append(_parse_untagged_response(line))
                if not readable(sock, IDLE_GRACE):
                    break
        for response in responses:
            if isinstance(response, tuple) and response[:1] == (b"BYE",):
                raise ConnectionLost(f"{self.where} closed the connection", response_text(response))
        return responses

    def idle_done(self) -> list[Any]:
        """Leave IDLE; returns responses that arrived meanwhile."""
        with translate_errors(self.where):
            return list(self.client.idle_done()[1])

    def abort(self) -> None:
        """Break the connection from any thread (a blocked read then fails fast)."""
        hard_close(self.client)

    def logout(self) -> None:
        """LOGOUT politely, falling back to closing the socket; never raises."""
        try:
            self.client.logout()
        except Exception:
            hard_close(self.client)


def _number(value: Any, limit: int) -> int:
    """A protocol number (UID, UIDVALIDITY, mod-sequence); ValueError when not in 0..limit."""
    number = int(value)
    if not 0 <= number <= limit:
        raise ValueError(f"the server sent {number}, outside 0..{limit}")
    return number


def _bound_literals(client: IMAPClient) -> None:
    """Make imaplib refuse a literal over ``MAX_LITERAL_BYTES`` before allocating it."""
    imap = client._imap
    read = imap.read

    def bounded_read(size: int) -> bytes:
        if size > MAX_LITERAL_BYTES:
            raise imaplib.IMAP4.abort(
                f"the server announced a {size}-byte literal (limit {MAX_LITERAL_BYTES})"
            )
        return read(size)

    imap.read = bounded_read


def _bound_lines(client: IMAPClient) -> None:
    """Read response lines up to ``MAX_LINE_BYTES`` (imaplib's module-wide cap is 1 MB)."""
    imap = client._imap

    def bounded_readline() -> bytes:
        line: bytes = imap.file.readline(MAX_LINE_BYTES + 1)
        if len(line) > MAX_LINE_BYTES:
            raise imaplib.IMAP4.abort(f"a response line is over {MAX_LINE_BYTES} bytes")
        return line

    imap.readline = bounded_readline


def _start_tls(client: IMAPClient, server: ServerConfig, where: str) -> None:
    """STARTTLS with the CVE-2020-14954 precautions; raises TLSError on any doubt."""
    if client._imap.state != "NONAUTH":
        # PREAUTH before TLS means the whole session would run in plain text.
        raise TLSError(f"{where} sent PREAUTH before STARTTLS", "refusing an unencrypted session")
    if b"STARTTLS" not in client.capabilities():
        raise TLSError(f"{where} does not offer STARTTLS", "refusing to continue without TLS")
    client.starttls(make_ssl_context(server.ca_file))
    # Nothing said before the handshake may count: drop it and ask again over TLS.
    client._imap.untagged_responses.clear()
    client._cached_capabilities = None
    client._imap.capabilities = tuple(
        c.decode("ascii", "replace").upper() for c in client.capabilities()
    )
