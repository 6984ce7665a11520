"""SASL XOAUTH2 and OAUTHBEARER (RFC 7628) for IMAP, POP3 and SMTP, with one retry.

:class:`SaslExchange` is the stateful callback both protocol libraries take
(imapclient's ``sasl_login`` and smtplib's ``auth``; POP3's ``pop3.sasl`` too): the first call answers
with the initial response; a later challenge is the server's JSON error
status, which is kept and answered with the empty response (XOAUTH2) or
``\\x01`` (OAUTHBEARER, RFC 7628 section 3.2.3), so the server finishes with
NO/535. :func:`authenticate` refreshes once and retries once when that status
says the token was refused (``invalid_token`` / 401), never more, and returns
the token the server took (an IMAP session keeps it: its expiry is when
Microsoft ends the session).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from tui_mail.backend.auth.tokens import AccessToken, OAuth2Credential
from tui_mail.errors import AuthError

MECHANISMS = {"xoauth2": "XOAUTH2", "oauthbearer": "OAUTHBEARER"}
#: Status values that mean "this token is no good": worth one refresh.
_REFUSED_TOKEN = {"401", "invalid_token"}

log = logging.getLogger(__name__)


class SaslExchange:
    """One AUTHENTICATE conversation (see the module docstring); never shows the token."""

    def __init__(self, mechanism: str, user: str, token: AccessToken, host: str, port: int) -> None:
        if mechanism not in MECHANISMS:
            raise ValueError(f"not an OAuth2 mechanism: {mechanism!r}")
        self.mechanism = MECHANISMS[mechanism]
        self._user, self._token, self._host, self._port = user, token, host, port
        self._answered = False
        self.status: dict[str, object] | None = None
        """The server's JSON error status, once it sent one."""

    def __repr__(self) -> str:
        return f"SaslExchange({self.mechanism}, user={self._user!r})"

    def initial_response(self) -> str:
        """The client's first message (it holds the bearer token)."""
        bearer = f"auth=Bearer {self._token.value}"
        if self.mechanism == "XOAUTH2":
            return f"user={self._user}\x01{bearer}\x01\x01"
        user = self._user.replace("=", "=3D").replace(",", "=2C")
        return f"n,a={user},\x01host={self._host}\x01port={self._port}\x01{bearer}\x01\x01"

    def __call__(self, challenge: bytes | None = None) -> str:
        if not self._answered:
            self._answered = True
            return self.initial_response()
        self.status = _parse_status(challenge or b"")
        # The error challenge must be answered before the server says NO.
        return "" if self.mechanism == "XOAUTH2" else "\x01"

    @property
    def token_refused(self) -> bool:
        """True when the server's status says the token itself was refused (or said nothing)."""
        if self.status is None:
            return True
        return str(self.status.get("status", "")) in _REFUSED_TOKEN

    def describe(self) -> str:
        """The server's status for an error message ('' when it sent none)."""
        if self.status is None:
            return ""
        return json.dumps(self.status, sort_keys=True)


def _parse_status(challenge: bytes) -> dict[str, object]:
    try:
        value = json.loads(challenge.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        return {"status": "unreadable", "text": challenge.decode("utf-8", "replace")[:200]}
    return value if isinstance(value, dict) else {"status": str(value)[:200]}


Attempt = Callable[[SaslExchange], None]


def authenticate(
    attempt: Attempt, credential: OAuth2Credential, mechanism: str, user: str, host: str, port: int
) -> AccessToken:
    """Log in through ``attempt`` (which raises AuthError when refused); one refresh+retry.

    Returns the access token the server accepted. The AuthError that escapes
    carries the server's JSON status in its details.
    """
    tokens = credential.tokens
    token = tokens.token()
    exchange = SaslExchange(mechanism, user, token, host, port)
    try:
        attempt(exchange)
        return token
    except AuthError as exc:
        if not exchange.token_refused:
            raise _with_status(exc, exchange) from None
        log.info("%s refused the access token (%s); refreshing once", host, exchange.describe())
    fresh = tokens.rejected(token)
    retry = SaslExchange(mechanism, user, fresh, host, port)
    try:
        attempt(retry)
    except AuthError as exc:
        raise _with_status(exc, retry) from None
    return fresh


def _with_status(exc: AuthError, exchange: SaslExchange) -> AuthError:
    """``exc`` with the server's JSON status added to its details (the error shown)."""
    status = exchange.describe()
    if status:
        exc.details = f"{exc.details} (server status: {status})" if exc.details else status
    return exc
