"""One IMAP session on imapclient: open (connect + login), capabilities, folders, IDLE.

Every imapclient/socket/ssl exception leaves this package as a ``tui_mail.errors``
error (see :func:`~tui_mail.backend.imap.protocol.translate_errors`). The TLS
connection is made in :mod:`~tui_mail.backend.imap.connect`; message commands
(SEARCH, FETCH, STORE, MOVE...) are in :mod:`~tui_mail.backend.imap.messages`;
what imapclient has no public API for goes through
:mod:`~tui_mail.backend.imap.transport`, the only user of its private names.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.response_parser import parse_response

from tui_mail.backend.auth.sasl import MECHANISMS, authenticate
from tui_mail.backend.auth.tokens import AccessToken, Credential, OAuth2Credential
from tui_mail.backend.imap import transport
from tui_mail.backend.imap.connect import READ_TIMEOUT, open_client
from tui_mail.backend.imap.folders import ListedFolder
from tui_mail.backend.imap.messages import MessageCommands
from tui_mail.backend.imap.protocol import (
    UINT32_MAX,
    TlsInfo,
    bounded_number,
    describe_tls,
    folder_name,
    group_untagged,
    hard_close,
    readable,
    response_text,
    translate_errors,
)
from tui_mail.config import AccountConfig, ServerConfig, is_loopback_host
from tui_mail.errors import AuthError, ConnectionLost, TLSError

log = logging.getLogger(__name__)

#: After an IDLE line, how long to wait for the rest of a burst before returning.
IDLE_GRACE = 0.05
#: RFC 7162: mod-sequences are 63-bit.
_MODSEQ_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class SelectInfo:
    """What SELECT told us about a folder."""

    uidvalidity: int
    uidnext: int
    exists: int
    highestmodseq: int


class ImapSession(MessageCommands):
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
        self.login_token: AccessToken | None = None
        """The OAuth2 access token this session logged in with (None: a password).

        Microsoft 365 ends the session when this token expires.
        """
        self._refresh_capabilities()

    # ------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        account: AccountConfig,
        password: Credential,
        *,
        timeout: float = READ_TIMEOUT,
        sync_extensions: bool = True,
        on_connected: Callable[[ImapSession], None] | None = None,
    ) -> ImapSession:
        """Connect, log in as the account's IMAP user and (unless ``sync_extensions``
        is False) ENABLE QRESYNC/CONDSTORE: the one way the app gets a session.

        ``on_connected`` gets the session before LOGIN, so another thread can
        :meth:`abort` a login that hangs. On any failure the connection is closed.
        """
        server = account.imap_server
        session = cls.connect(server, allow_insecure=account.allow_insecure, timeout=timeout)
        try:
            if on_connected is not None:
                on_connected(session)
            username = server.username or account.email
            if isinstance(password, OAuth2Credential):
                session.login_oauth2(username, password)
            else:
                session.login(username, password)
            if sync_extensions:
                session.enable_sync_extensions()
        except BaseException:
            session.abort()
            raise
        return session

    @classmethod
    def connect(
        cls,
        server: ServerConfig,
        *,
        allow_insecure: bool = False,
        timeout: float = READ_TIMEOUT,
    ) -> ImapSession:
        """Open the connection and negotiate TLS as ``server.security`` says (no login).

        ``tui-mail check`` uses this and :meth:`login` step by step; the app uses :meth:`open`.
        """
        client = open_client(server, timeout)
        try:
            return cls(client, server, allow_insecure)
        except BaseException:
            hard_close(client)
            raise

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
        return transport.protocol_state(self.client) in ("AUTH", "SELECTED")

    def login(self, username: str, password: str) -> None:
        """LOGIN (or AUTHENTICATE PLAIN for passwords LOGIN cannot carry)."""
        if self.authenticated:
            return
        self._refuse_plain_text("a password")
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
            transport.forget_capabilities(self.client)  # they often change after login
        self._refresh_capabilities()

    def _refuse_plain_text(self, what: str) -> None:
        if (
            not self.encrypted
            and not is_loopback_host(self.server.host)
            and not self.allow_insecure
        ):
            raise TLSError(
                f"refusing to send {what} unencrypted to {self.where}",
                'use security = "tls" or "starttls"',
            )

    def login_oauth2(self, username: str, credential: OAuth2Credential) -> None:
        """AUTHENTICATE XOAUTH2 or OAUTHBEARER (``server.auth``) with the account's token.

        A refused token is refreshed and tried once more (``auth.sasl.authenticate``).
        """
        if self.authenticated:
            return
        self._refuse_plain_text("an access token")
        mechanism = MECHANISMS.get(self.server.auth, "")
        if not self.has(f"AUTH={mechanism}"):
            offered = (
                " ".join(sorted(c for c in self.capabilities if c.startswith("AUTH="))) or "none"
            )
            raise AuthError(f"the server does not offer AUTH={mechanism}", f"offered: {offered}")

        def attempt(exchange: object) -> None:
            with translate_errors(self.where):
                self.client.sasl_login(mechanism, exchange)

        self.login_token = authenticate(
            attempt, credential, self.server.auth, username, self.server.host, self.server.port
        )
        transport.forget_capabilities(self.client)
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
            lines, status_lines = transport.list_extended(self.client, extra)
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

    def subscribe_folder(self, name: str, subscribe: bool = True) -> None:
        """SUBSCRIBE or UNSUBSCRIBE."""
        with translate_errors(self.where):
            if subscribe:
                self.client.subscribe_folder(name)
            else:
                self.client.unsubscribe_folder(name)

    def _leave(self, name: str) -> None:
        if self.selected == name:
            with translate_errors(self.where):
                self.client.select_folder("INBOX")
            self.selected = "INBOX"

    # ------------------------------------------------------------ selecting (commands: messages.py)

    def select(self, folder: str, readonly: bool = False) -> SelectInfo:
        """SELECT (read-write; bodies are fetched with PEEK so nothing is marked read).

        ``readonly`` sends EXAMINE instead (the IDLE watcher's connection).
        """
        with translate_errors(self.where):
            info = self.client.select_folder(folder, readonly=readonly)
            # Out-of-range numbers (a broken server) would fail later in SQLite.
            selected = SelectInfo(
                uidvalidity=bounded_number(info.get(b"UIDVALIDITY", 0), UINT32_MAX),
                uidnext=bounded_number(info.get(b"UIDNEXT", 0), UINT32_MAX),
                exists=bounded_number(info.get(b"EXISTS", 0), UINT32_MAX),
                highestmodseq=bounded_number(info.get(b"HIGHESTMODSEQ", 0), _MODSEQ_MAX),
            )
        self.selected = folder
        return selected

    def ensure_selected(self, folder: str) -> None:
        """SELECT ``folder`` unless it already is."""
        if self.selected != folder:
            self.select(folder)

    # ------------------------------------------------------------ IDLE and liveness

    def noop(self) -> list[Any]:
        """NOOP; returns the untagged updates it collected."""
        with translate_errors(self.where):
            return list(self.client.noop()[1])

    def notify_set(self, events: str) -> None:
        """``NOTIFY SET <events>`` (RFC 5465): other folders' changes come as STATUS lines."""
        with translate_errors(self.where):
            transport.simple_command(self.client, "NOTIFY", "SET", events)

    def idle(self) -> None:
        """Enter IDLE."""
        with translate_errors(self.where):
            self.client.idle()

    def idle_check(self, timeout: float) -> list[Any]:
        """Wait up to ``timeout`` s for IDLE responses; ConnectionLost at EOF.

        Not imapclient's ``idle_check`` (see :func:`transport.read_response`): we
        wait for readability, then read whole lines with the normal read timeout.
        """
        sock = self.client.socket()
        if not readable(sock, timeout):
            return []
        responses: list[Any] = []
        with translate_errors(self.where):
            while True:
                responses.append(transport.read_response(self.client))  # abort at EOF
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
