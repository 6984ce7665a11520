"""The account worker's command connection and the password it logs in with.

Kept apart from ``worker.py`` so the thread and its lanes read on their own: this
opens and drops the one ``ImapSession``, remembers a typed password until the
server refuses it, and keeps the last password that worked (the IDLE watcher and
the SMTP sender borrow it). Used on the worker's thread, except :meth:`abort`
and the read-only :attr:`good_password` / :attr:`online`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tui_mail.backend.auth.tokens import Credential, credential_for
from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import AccountConfig
from tui_mail.errors import AuthError

PasswordSource = Callable[[AccountConfig], "Credential | None"]


def default_password(account: AccountConfig) -> Credential | None:
    """The stored IMAP password (keyring, command or environment), or the OAuth2 token source."""
    if account.incoming.uses_oauth2:
        return credential_for(account)
    from tui_mail.secrets import get_password

    return get_password(account, "imap")


class CommandConnection:
    """Opens, holds and drops the account's command session."""

    def __init__(
        self, account: AccountConfig, password_source: PasswordSource, timeout: float
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
