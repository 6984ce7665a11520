"""One POP3 session on poplib: connect (TLS, STLS or plain), CAPA, login, mailbox commands.

The rules are IMAP's (``backend/imap/connect.py``): STLS only when offered and
never a fall back to plain text; whatever the server said before the handshake
is dropped (the buffered reader is replaced) and CAPA is asked again over TLS;
no password goes over an unencrypted connection to a non-loopback host unless
the account says ``allow_insecure``, and no OAuth2 access token over one at all
(:meth:`Pop3Session.login_oauth2`). Every failure leaves as a
``tui_mail.errors`` error with the server's words sanitised
(:func:`~tui_mail.backend.pop3.protocol.translate_errors`); a refused login is
an ``AuthError``, never retried by the worker without a new password.
"""

from __future__ import annotations

import hashlib
import poplib
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass

from tui_mail.backend.auth.sasl import MECHANISMS, SaslExchange, authenticate
from tui_mail.backend.auth.tls import make_ssl_context
from tui_mail.backend.auth.tokens import AccessToken, Credential, OAuth2Credential
from tui_mail.backend.pop3 import protocol
from tui_mail.backend.pop3.listing import Listed, parse_listing
from tui_mail.backend.pop3.protocol import (
    MAX_MESSAGE_BYTES,
    MAX_STATUS_LINE,
    Refused,
    TooBig,
    command,
    hard_close,
    join_message,
    read_multiline,
    server_words,
    translate_errors,
)
from tui_mail.backend.pop3.sasl import sasl_auth
from tui_mail.config import AccountConfig
from tui_mail.errors import (
    AuthError,
    ConfigError,
    ConnectionLost,
    MailError,
    ServerError,
    TLSError,
)
from tui_mail.hosts import is_loopback_host
from tui_mail.pop3_config import Pop3Config

READ_TIMEOUT = 60.0
#: The header block TOP may bring (a message's headers are rarely over 100 kB).
MAX_HEADER_BYTES = 4 * 1024 * 1024
#: RFC 2449 response codes that mean "try again later", not "wrong password".
_TEMPORARY = re.compile(r"^\[(IN-USE|SYS/TEMP|LOGIN-DELAY)\]", re.IGNORECASE)
_TIMESTAMP = re.compile(rb"<[!-;=?-~]+@[!-;=?-~]+>")


class Oversized(ConnectionLost):
    """A message (or its headers) is over the limit: not downloaded; the connection was dropped."""


@dataclass(frozen=True, slots=True)
class MailboxStat:
    """What STAT said: how many messages, how many octets."""

    count: int
    size: int


class Pop3Session:
    """A connected (after :meth:`login`, authenticated) POP3 session.

    Not thread-safe: one thread uses it, except :meth:`abort`, which any thread
    may call to break a blocked read.
    """

    def __init__(self, client: poplib.POP3, server: Pop3Config, allow_insecure: bool) -> None:
        self.client = client
        self.server = server
        self.where = f"{server.host}:{server.port}"
        self.allow_insecure = allow_insecure
        self.encrypted = server.security == "tls"
        self.capabilities: dict[str, tuple[str, ...]] = {}
        """CAPA names (upper case) -> their arguments; empty when the server has no CAPA."""
        self.has_capa = False
        found = _TIMESTAMP.search(client.welcome or b"")
        self.timestamp: bytes | None = found.group(0) if found else None
        """The APOP timestamp of the greeting (dropped after STLS: it was said in plain text)."""
        self.mechanism = ""
        """How it logged in: "SASL PLAIN", "USER/PASS", "APOP", "SASL XOAUTH2"/"SASL OAUTHBEARER"."""
        self.login_token: AccessToken | None = None
        """The access token an OAuth2 login was accepted with (None for a password)."""

    # ------------------------------------------------------------ opening

    @classmethod
    def connect(
        cls, server: Pop3Config, *, allow_insecure: bool = False, timeout: float = READ_TIMEOUT
    ) -> Pop3Session:
        """Open the connection, read the greeting and CAPA, STLS as ``server.security`` says."""
        where = f"{server.host}:{server.port}"
        with translate_errors(where):
            if server.security == "tls":
                client: poplib.POP3 = poplib.POP3_SSL(
                    server.host,
                    server.port,
                    timeout=timeout,
                    context=make_ssl_context(server.ca_file, server.cert_fingerprint),
                )
            else:
                client = poplib.POP3(server.host, server.port, timeout=timeout)
        session = cls(client, server, allow_insecure)
        try:
            session.refresh_capabilities()
            if server.security == "starttls":
                session.start_tls()
        except BaseException:
            hard_close(client)
            raise
        return session

    @classmethod
    def open(
        cls,
        account: AccountConfig,
        password: Credential,
        *,
        timeout: float = READ_TIMEOUT,
        on_connected: Callable[[Pop3Session], None] | None = None,
    ) -> Pop3Session:
        """Connect and log in as the account's POP3 user: the one way the app gets a session.

        ``password`` is a password, or for ``auth = "xoauth2"``/``"oauthbearer"`` the
        account's OAuth2 credential (its token source).

        ``on_connected`` gets the session before the login, so another thread can
        :meth:`abort` a login that hangs. On any failure the connection is closed.
        """
        server = account.pop3
        if server is None:
            raise ConfigError("config", f"accounts.{account.name}.pop3", "not a POP3 account")
        session = cls.connect(server, allow_insecure=account.allow_insecure, timeout=timeout)
        try:
            if on_connected is not None:
                on_connected(session)
            username = server.username or account.email
            if isinstance(password, OAuth2Credential):
                session.login_oauth2(username, password)
            else:
                session.login(username, password)
        except BaseException:
            session.abort()
            raise
        return session

    def refresh_capabilities(self) -> None:
        """Ask CAPA (RFC 2449); a server without it (RFC 1939 only) leaves them empty."""
        with translate_errors(self.where):
            try:
                command(self.client, b"CAPA")
            except Refused:
                self.capabilities, self.has_capa = {}, False
                return
            lines = read_multiline(
                self.client, 256 * 1024, max_lines=1000, line_limit=MAX_STATUS_LINE
            )
        found: dict[str, tuple[str, ...]] = {}
        for line in lines:
            words = line.decode("ascii", "replace").split()
            if words:
                found[words[0].upper()] = tuple(words[1:])
        self.capabilities, self.has_capa = found, True

    def has(self, name: str) -> bool:
        """True when CAPA listed ``name``."""
        return name.upper() in self.capabilities

    def start_tls(self) -> None:
        """STLS (RFC 2595) with IMAP STARTTLS's precautions; TLSError on any doubt."""
        if not self.has("STLS"):
            raise TLSError(f"{self.where} does not offer STLS", "refusing to continue without TLS")
        with translate_errors(self.where):
            try:
                command(self.client, b"STLS")
            except Refused as exc:
                raise TLSError(f"{self.where} refused STLS", server_words(exc.text)) from exc
            context = make_ssl_context(self.server.ca_file, self.server.cert_fingerprint)
            sock = context.wrap_socket(self.client.sock, server_hostname=self.server.host)
            # A new reader: bytes the server sent before the handshake are dropped with the old one.
            self.client.sock = sock
            self.client.file = sock.makefile("rb")
        self.encrypted = True
        self.timestamp = None
        self.refresh_capabilities()

    def tls_socket(self) -> socket.socket | None:
        """The connection's socket (an ``ssl.SSLSocket`` when encrypted), for ``check``."""
        return self.client.sock

    # ------------------------------------------------------------ login

    def sasl_mechanisms(self) -> list[str]:
        """The SASL mechanisms CAPA listed (upper case; empty without CAPA or SASL)."""
        return [m.upper() for m in self.capabilities.get("SASL", ())]

    def login_methods(self) -> list[str]:
        """The ways to log in this server allows, best first.

        Over TLS: SASL PLAIN (carries any UTF-8), USER/PASS, APOP. In plain text
        (loopback or ``allow_insecure``): APOP first, as it never sends the password.
        """
        plain = "PLAIN" in self.sasl_mechanisms()
        user = self.has("USER") or not self.has_capa
        methods = ["SASL PLAIN"] * plain + ["USER/PASS"] * user
        apop = ["APOP"] if self.timestamp else []
        return methods + apop if self.encrypted else apop + methods

    def login(self, username: str, password: str) -> None:
        """Log in with the best method offered; AuthError when refused."""
        if not self.encrypted and not is_loopback_host(self.server.host) and not self.allow_insecure:
            raise TLSError(
                f"refusing to send a password unencrypted to {self.where}",
                'use security = "tls" or "starttls"',
            )
        user = protocol.check_argument(username, "username")
        secret = protocol.check_argument(password, "password")
        methods = self.login_methods()
        if not methods:
            offered = " ".join(sorted(self.capabilities)) or "no CAPA"
            raise AuthError("the POP3 server offers no login tui-mail can use", offered)
        method = methods[0]
        with translate_errors(self.where):
            try:
                if method == "SASL PLAIN":
                    self._sasl_plain(user, secret)
                elif method == "USER/PASS":
                    command(self.client, b"USER", user)
                    command(self.client, b"PASS", secret)
                else:
                    # APOP (RFC 1939) is defined on MD5; it is chosen only where it beats
                    # sending the password itself (plain text on loopback/allow_insecure).
                    digest = hashlib.md5((self.timestamp or b"") + secret).hexdigest()
                    command(self.client, b"APOP", user, digest.encode("ascii"))
            except Refused as exc:
                raise _refusal(exc, method) from exc
        self.mechanism = method

    def _sasl_plain(self, user: bytes, secret: bytes) -> None:
        """AUTH PLAIN (RFC 5034); a server that asks again gets the same response."""
        response = b"\0" + user + b"\0" + secret
        sasl_auth(self.client, b"PLAIN", response, lambda _challenge: response)

    def login_oauth2(self, username: str, credential: OAuth2Credential) -> None:
        """SASL XOAUTH2 or OAUTHBEARER (``server.auth``) with the account's access token.

        Only over TLS or to a loopback host: a bearer token opens the mailbox like
        a password and, unlike one, is never sent in clear (``allow_insecure`` or
        not). Only when CAPA's SASL line lists the mechanism. A token the server
        refuses is refreshed and tried once more (``auth.sasl.authenticate``, as
        for IMAP and SMTP); a grant the provider refuses leaves as SignInNeeded
        (an AuthError saying "needs sign-in").
        """
        if not self.encrypted and not is_loopback_host(self.server.host):
            raise TLSError(
                f"refusing to send an access token unencrypted to {self.where}",
                'use security = "tls" or "starttls"',
            )
        mechanism = MECHANISMS.get(self.server.auth, "")
        offered = self.sasl_mechanisms()
        if not mechanism or mechanism not in offered:
            raise AuthError(
                f"the POP3 server does not offer SASL {mechanism or self.server.auth}",
                f"offered: {' '.join(offered) or 'none'}",
            )
        protocol.check_argument(username, "username")
        method = f"SASL {mechanism}"

        def attempt(exchange: SaslExchange) -> None:
            with translate_errors(self.where):
                try:
                    sasl_auth(
                        self.client,
                        mechanism.encode("ascii"),
                        exchange().encode("utf-8"),
                        lambda challenge: exchange(challenge).encode("utf-8"),
                    )
                except Refused as exc:
                    raise _refusal(exc, method) from exc

        self.login_token = authenticate(
            attempt, credential, self.server.auth, username, self.server.host, self.server.port
        )
        self.mechanism = method

    # ------------------------------------------------------------ the mailbox

    def stat(self) -> MailboxStat:
        """STAT: message count and total size."""
        with translate_errors(self.where):
            words = command(self.client, b"STAT").split()
        try:
            return MailboxStat(int(words[0]), int(words[1]))
        except (IndexError, ValueError):
            raise ServerError("unreadable STAT answer", server_words(b" ".join(words))) from None

    def listing(self) -> tuple[list[Listed], list[str]]:
        """Every message's number, size and UIDL (None where the server gave none usable),
        and what was wrong with the answers (lines skipped, duplicate UIDLs)."""
        count = self.stat().count
        with translate_errors(self.where):
            command(self.client, b"LIST")
            sizes = read_multiline(
                self.client, 64 * 1024 * 1024, line_limit=MAX_STATUS_LINE
            )
            uidls: list[bytes] | None = None
            if self.has("UIDL") or not self.has_capa:
                try:
                    command(self.client, b"UIDL")
                    uidls = read_multiline(
                        self.client, 128 * 1024 * 1024, line_limit=MAX_STATUS_LINE
                    )
                except Refused:
                    uidls = None
        return parse_listing(count, sizes, uidls)

    def top_headers(self, number: int) -> bytes:
        """``TOP n 0``: the message's header block (and the blank line after it)."""
        return self._read_message(b"TOP", number, MAX_HEADER_BYTES, b"0")

    def retrieve(self, number: int, max_bytes: int = MAX_MESSAGE_BYTES) -> bytes:
        """``RETR n``: the whole message, CRLF line ends; Oversized past ``max_bytes``."""
        return self._read_message(b"RETR", number, max_bytes)

    def _read_message(self, verb: bytes, number: int, max_bytes: int, *extra: bytes) -> bytes:
        with translate_errors(self.where):
            command(self.client, verb, str(number).encode(), *extra)
            try:
                return join_message(read_multiline(self.client, max_bytes))
            except TooBig as exc:
                self.abort()  # the rest of the answer is unread: the stream is out of step
                raise Oversized(
                    f"message {number} on {self.where} is over {max_bytes} bytes", str(exc)
                ) from exc

    def delete(self, number: int) -> None:
        """DELE (takes effect only at a successful QUIT)."""
        with translate_errors(self.where):
            command(self.client, b"DELE", str(number).encode())

    def noop(self) -> None:
        """NOOP: a liveness check."""
        with translate_errors(self.where):
            command(self.client, b"NOOP")

    def quit(self) -> None:
        """QUIT: the server removes what was marked with DELE; ServerError if it says it failed."""
        try:
            with translate_errors(self.where):
                command(self.client, b"QUIT")
        finally:
            self.abort()

    def abort(self) -> None:
        """Break the connection from any thread (a blocked read then fails fast)."""
        hard_close(self.client)


def _refusal(exc: Refused, method: str) -> MailError:
    """A refused login: AuthError, or ConnectionLost for RFC 2449's "try later" codes."""
    words = server_words(exc.text)
    if _TEMPORARY.match(exc.text):
        return ConnectionLost("the POP3 server cannot open the mailbox now", words)
    return AuthError(f"the server refused the login ({method})", words)
