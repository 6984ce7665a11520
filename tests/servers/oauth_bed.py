"""The OAuth2 test bed: one authorization server, Dovecot's oauth2 passdb, aiosmtpd, one user
(:class:`OAuthBed` for IMAP, :class:`Pop3OAuthBed` for a POP3 account).

Dovecot validates the JWTs locally with the key the authorization server
writes; the SMTP server's ``auth_XOAUTH2`` / ``auth_OAUTHBEARER`` handlers
validate the same tokens and, like Dovecot, answer a bad one with a JSON
error challenge before refusing it.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult

from tests.servers.dovecot import DovecotServer
from tests.servers.oauth_server import OAuthServer
from tests.servers.pop3_account import Pop3Account
from tui_mail.demo.smtp_server import SmtpServer, _Handler

# aiosmtpd logs every command line at DEBUG (AUTH lines carry tokens): keep it quiet.
logging.getLogger("mail.log").setLevel(logging.INFO)


class _OAuthHandler(_Handler):
    """The demo handler plus XOAUTH2 and OAUTHBEARER checked against the test server's key."""

    owner: OAuthSmtpServer

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        blob = await _initial(server, args)
        fields = dict(_pairs(blob.split(b"\x01")))
        return await self._check(server, fields.get("user", ""), fields.get("auth", ""))

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:
        blob = await _initial(server, args)
        gs2, _, rest = blob.partition(b"\x01")
        user = gs2.decode(errors="replace").split(",")[1].removeprefix("a=")
        fields = dict(_pairs(rest.split(b"\x01")))
        return await self._check(
            server, user.replace("=2C", ",").replace("=3D", "="), fields.get("auth", "")
        )

    async def _check(self, server: SMTP, user: str, auth: str) -> AuthResult:
        token = auth.removeprefix("Bearer ")
        self.owner.attempts += 1
        if self.owner.auth_server.validate(token, user):
            return AuthResult(success=True, handled=False, auth_data=user)
        status = {"status": "invalid_token", "schemes": "bearer", "scope": "mail"}
        await server.challenge_auth(json.dumps(status))  # the client answers, then 535
        return AuthResult(success=False, handled=False)


async def _initial(server: SMTP, args: list[str]) -> bytes:
    if len(args) > 1:
        try:
            return base64.b64decode(args[1], validate=True)
        except binascii.Error:
            return b""
    answer = await server.challenge_auth("")
    return answer if isinstance(answer, bytes) else b""


def _pairs(parts: list[bytes]) -> list[tuple[str, str]]:
    found = []
    for part in parts:
        key, sep, value = part.decode(errors="replace").partition("=")
        if sep:
            found.append((key, value))
    return found


class OAuthSmtpServer(SmtpServer):
    """aiosmtpd taking only OAuth2 logins (plain text AUTH: loopback tests only)."""

    handler_class = _OAuthHandler

    def __init__(self, auth_server: OAuthServer, **kwargs: Any) -> None:
        super().__init__(auth_server.email, "", auth_require_tls=False, **kwargs)
        self.auth_server = auth_server
        self.attempts = 0


@dataclass
class OAuthBed:
    """What an OAuth2 test gets: the three servers and a config writer."""

    auth: OAuthServer
    dovecot: DovecotServer
    smtp: OAuthSmtpServer
    user: str

    def config_toml(
        self,
        tmp_path: Path,
        *,
        imap_auth: str = "xoauth2",
        smtp_auth: str = "xoauth2",
        flow: str = "auto",
        account: str = "work",
    ) -> Path:
        """A config whose account signs in to this bed (plain text on loopback)."""
        smtp_lines = f'username = "{self.user}"\nauth = "{smtp_auth}"\n'
        text = f"""
[accounts.{account}]
email = "{self.user}@example.org"
[accounts.{account}.imap]
host = "127.0.0.1"
port = {self.dovecot.imap_port}
security = "none"
username = "{self.user}"
auth = "{imap_auth}"
{_smtp_and_oauth2(self, account, flow, smtp_lines)}"""
        path = tmp_path / "config.toml"
        path.write_text(text)
        return path


@dataclass
class Pop3OAuthBed:
    """The POP3 side of the bed: Dovecot's POP3 with the oauth2 passdb, a mailbox, SMTP."""

    auth: OAuthServer
    dovecot: DovecotServer
    smtp: OAuthSmtpServer
    user: str
    mailbox: Pop3Account
    """Delivers mail into the user's Maildir (its password is empty: no plain login here)."""

    def config_toml(
        self,
        tmp_path: Path,
        *,
        security: str = "starttls",
        auth: str = "xoauth2",
        flow: str = "auto",
        account: str = "pop",
    ) -> Path:
        """A config whose POP3 account signs in to this bed; SMTP inherits ``auth``."""
        port = self.dovecot.pop3s_port if security == "tls" else self.dovecot.pop3_port
        ca_file = f'ca_file = "{self.dovecot.ca_file}"\n' if security != "none" else ""
        text = f"""
[general]
default_account = "{account}"
[accounts.{account}]
email = "{self.user}@example.org"
display_name = "POP OAuth"
[accounts.{account}.pop3]
host = "127.0.0.1"
port = {port}
security = "{security}"
username = "{self.user}"
auth = "{auth}"
{ca_file}{_smtp_and_oauth2(self, account, flow)}"""
        path = tmp_path / "config.toml"
        path.write_text(text)
        path.chmod(0o600)
        return path


def _smtp_and_oauth2(bed: OAuthBed | Pop3OAuthBed, account: str, flow: str, extra: str = "") -> str:
    """The [smtp] table (plain text on loopback, plus ``extra`` lines) and the [oauth2] table."""
    return f"""[accounts.{account}.smtp]
host = "127.0.0.1"
port = {bed.smtp.port}
security = "none"
{extra}[accounts.{account}.oauth2]
{bed.auth.oauth2_toml(flow)}"""
