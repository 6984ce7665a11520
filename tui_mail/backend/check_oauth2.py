"""``tui-mail check``'s OAuth2 lines, for IMAP and POP3 accounts alike.

Apart from ``check.py`` so ``check_pop3.py`` can use it without importing
``check.py`` back (which imports it); the report is any object with
``line``/``ok``/``note``/``fail`` (:class:`Reporter`).
"""

from __future__ import annotations

import time
from typing import Protocol

from tui_mail.backend.auth.sasl import MECHANISMS
from tui_mail.backend.auth.tokens import OAuth2Credential, credential_for
from tui_mail.config import AccountConfig
from tui_mail.errors import MailError


class Reporter(Protocol):
    """The part of ``check.Report`` used by the POP3 and OAuth2 checks (it sanitises every line)."""

    password: str | None
    """The secret to log in with instead of looking it up (setup), or None."""

    def line(self, text: str) -> None: ...
    def ok(self, text: str) -> None: ...
    def note(self, text: str) -> None: ...
    def fail(self, text: str) -> None: ...


def check_oauth2(account: AccountConfig, report: Reporter) -> OAuth2Credential | None:
    """Report the OAuth2 side: mechanism, token expiry and scopes, where the refresh token is.

    Takes a token as the app would (refreshing it when within 300 s of expiry),
    so a check after the token expired proves the stored refresh token works.
    """
    credential = credential_for(account)
    oauth2 = credential.tokens.oauth2
    servers = (account.imap, account.pop3, account.smtp)
    mechanisms = sorted({MECHANISMS[s.auth] for s in servers if s and s.uses_oauth2})
    report.ok(f"OAuth2: {', '.join(mechanisms)} with provider {oauth2.provider}")
    try:
        status = credential.tokens.status()
    except MailError as exc:
        report.fail(f"OAuth2 token: {exc} (run `tui-mail login --account {account.name}`)")
        return None
    where = {"keyring": "the keyring", "file": "the token file (no keyring)"}
    report.ok(f"refresh token from {where.get(status.source or '', 'this session')}")
    left = status.expires_at - time.time()
    expiry = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(status.expires_at))
    refreshed = " (just refreshed)" if status.refreshed else ""
    remaining = f"{left / 60:.0f} min" if left >= 120 else f"{left:.0f} s"
    report.ok(f"access token valid until {expiry}, {remaining} left{refreshed}")
    report.ok("scopes: " + (" ".join(status.scopes) or "(none reported)"))
    return credential
