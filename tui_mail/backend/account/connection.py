"""The account worker's command connection and the password it logs in with.

Kept apart from ``worker.py`` so the thread and its lanes read on their own: this
opens and drops the one ``ImapSession``, remembers a typed password until the
server refuses it, and keeps the last password that worked (the IDLE watcher and
the SMTP sender borrow it). Used on the worker's thread, except :meth:`abort`
and the read-only :attr:`good_password` / :attr:`online`.

It also decides when a lost connection needs no OFFLINE state
(:meth:`CommandConnection.reconnected_quietly`): Microsoft 365 ends a live
session with ``* BYE ... AccessTokenExpired`` when the access token it logged
in with expires. That is no outage: the token is refreshed (forced, for it is
dead on the server whatever its ``exp`` says) and a session opened at once; the
interrupted job then takes the worker's usual way after a connection loss (a
read-only one runs again first, an action is queued and replayed at once). At
most one such reconnect per :data:`QUIET_RECONNECT_EVERY` seconds, so a broken
server cannot make a loop of it: the next goes the OFFLINE/backoff way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from tui_mail.backend.auth.tokens import Credential, OAuth2Credential, credential_for
from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import AccountConfig
from tui_mail.errors import AuthError, ConnectionLost, MailError

PasswordSource = Callable[[AccountConfig], "Credential | None"]

#: What Microsoft's BYE says when the session's access token has expired (any case).
TOKEN_EXPIRED = "accesstokenexpired"
#: At most one quiet reconnect in this many seconds; the next loss within it goes OFFLINE.
QUIET_RECONNECT_EVERY = 60.0

log = logging.getLogger(__name__)


def default_password(account: AccountConfig) -> Credential | None:
    """The stored IMAP password (keyring, command or environment), or the OAuth2 token source."""
    if account.incoming.uses_oauth2:
        return credential_for(account)
    from tui_mail.secrets import get_password

    return get_password(account, "imap")


class CommandConnection:
    """Opens, holds and drops the account's command session."""

    def __init__(
        self,
        account: AccountConfig,
        password_source: PasswordSource,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account = account
        self.password_source = password_source
        self.timeout = timeout
        self.session: ImapSession | None = None
        self.typed_password: Credential | None = None
        """A password the user typed (``set_password``), tried before the stored one."""
        self.good_password: Credential | None = None
        """The last password the server accepted."""
        self.online = threading.Event()
        """Set while logged in; the IDLE watcher waits on it for a good password."""
        self.quiet_reconnects = 0
        """Sessions replaced after an expired token without going OFFLINE."""
        self._clock = clock
        self._quiet_at = -QUIET_RECONNECT_EVERY  # clock() of the last quiet reconnect

    def open(self) -> ImapSession:
        """Connect and log in (``tui_mail.errors`` on failure); the new session."""
        typed = self.typed_password
        password = typed if typed is not None else self.password_source(self.account)
        if password is None:
            raise AuthError("a password is needed", f"no stored password for {self.account.name}")
        connected: list[ImapSession] = []  # a failure before this is the network, not the password
        try:
            session = ImapSession.open(
                self.account, password, timeout=self.timeout, on_connected=connected.append
            )
        except BaseException:
            if connected and typed is not None and password == self.typed_password:
                self.typed_password = None  # rejected: do not keep trying it
            raise
        self.session = session
        self.good_password = password
        self.online.set()
        return session

    def reconnected_quietly(self, lost: ConnectionLost, quiet_before: int) -> bool:
        """True when ``lost`` needs no OFFLINE state: a working session is up (see the module).

        ``quiet_before`` is :attr:`quiet_reconnects` when the failed job started: a
        different count means a job run inside it (a sync lets quick jobs run
        between batches) replaced the session it was using, and only that old
        session is gone. Otherwise this reconnects at once when ``lost`` is an
        OAuth2 session ended for its expired token, and the last quiet reconnect
        is :data:`QUIET_RECONNECT_EVERY` s ago. False (anything else, or the
        reconnect failed): the caller goes the OFFLINE way, whose next attempt
        shows an AuthError (a revoked grant) as such.
        """
        if self.quiet_reconnects != quiet_before and self.session is not None:
            return True
        expired = TOKEN_EXPIRED in str(lost).lower() and self.account.incoming.uses_oauth2
        now = self._clock()
        if not expired or now - self._quiet_at < QUIET_RECONNECT_EVERY:
            return False
        self._quiet_at = now
        dead = self.session.login_token if self.session is not None else None
        self.drop()
        try:
            typed = self.typed_password
            credential = typed if typed is not None else self.password_source(self.account)
            if isinstance(credential, OAuth2Credential) and dead is not None:
                credential.tokens.rejected(dead)  # refreshed unless another connection did
            self.open()
        except MailError as exc:
            log.info("%s: reconnect after an expired token failed: %s", self.account.name, exc)
            self.drop()
            return False
        self.quiet_reconnects += 1
        log.info(
            "%s: the server ended the session at its token's expiry; reconnected in %.2f s",
            self.account.name,
            self._clock() - now,
        )
        return True

    def drop(self) -> None:
        """Forget the session, breaking it off (after a failure)."""
        self.online.clear()
        session, self.session = self.session, None
        if session is not None:
            session.abort()

    def close(self) -> None:
        """LOGOUT politely (the worker is ending)."""
        session, self.session = self.session, None
        if session is not None:
            session.logout()
        self.online.clear()

    def abort(self) -> None:
        """Break a blocked read from another thread (a bounded stop)."""
        session = self.session
        if session is not None:
            session.abort()
