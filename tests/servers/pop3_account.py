"""``Pop3Account``: a fresh mailbox on the private Dovecot's POP3 (what ``pop3_server`` gives).

Mail is "delivered" by writing it into the user's Maildir ``new/`` (as a local
delivery agent would), so a test can add a message while the app runs. The
server's side is read back with plain ``poplib`` (``server_uidls``), never
through the code under test.
"""

from __future__ import annotations

import os
import poplib
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import tomlkit

from tests.servers.dovecot import DovecotServer

SetEnv = Callable[[str, str], None]


def sample_message(number: int, *, subject: str = "", body: str = "", days_ago: float = 0) -> bytes:
    """A small RFC 5322 message; ``number`` makes its Message-ID and default subject unique."""
    message = EmailMessage()
    message["From"] = f"Sender {number} <sender{number}@example.org>"
    message["To"] = "pop-user@example.org"
    message["Subject"] = subject or f"POP3 message {number}"
    when = time.time() - days_ago * 86400 - (1000 - number) * 60
    message["Date"] = format_datetime(_utc(when))
    message["Message-ID"] = f"<pop3-{number}-{uuid.uuid4().hex[:8]}@example.org>"
    message.set_content(body or f"Body of message {number}.\n")
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _utc(timestamp: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC)


@dataclass
class Pop3Account:
    """One new user on the test Dovecot, reachable over POP3 (plain/STLS and POP3S)."""

    dovecot: DovecotServer = field(repr=False)
    username: str
    password: str
    maildir: Path
    set_env: SetEnv = field(repr=False)
    delivered: int = 0

    @property
    def host(self) -> str:
        """127.0.0.1."""
        return self.dovecot.host

    @property
    def port(self) -> int:
        """Plain POP3 (where STLS is offered)."""
        return self.dovecot.pop3_port

    @property
    def tls_port(self) -> int:
        """POP3S."""
        return self.dovecot.pop3s_port

    @property
    def ca_file(self) -> Path:
        """The PEM that verifies the server's certificate."""
        return self.dovecot.ca_file

    @property
    def email(self) -> str:
        """The account's address."""
        return f"{self.username}@example.org"

    def deliver(self, raw: bytes | None = None, *, mtime: float | None = None) -> bytes:
        """Put one message in the mailbox (a sample one when ``raw`` is None); returns it."""
        self.delivered += 1
        raw = raw if raw is not None else sample_message(self.delivered)
        name = f"{time.time():.6f}.{uuid.uuid4().hex}.test"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw.replace(b"\r\n", b"\n"))  # Maildir files use bare LF
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
        os.chown(tmp, *self._owner())
        tmp.rename(self.maildir / "new" / name)
        return raw

    def _owner(self) -> tuple[int, int]:
        stat = self.maildir.stat()
        return stat.st_uid, stat.st_gid

    def client(self) -> poplib.POP3:
        """A logged-in plain poplib client (loopback), for checking the server's side."""
        client = poplib.POP3(self.host, self.port, timeout=10)
        client.user(self.username)
        client.pass_(self.password)
        return client

    def server_uidls(self) -> list[str]:
        """The UIDLs the server lists now."""
        client = self.client()
        try:
            return [line.split()[1].decode() for line in client.uidl()[1]]
        finally:
            client.quit()

    def tls_context(self) -> ssl.SSLContext:
        """A client context trusting the test certificate."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def config_toml(
        self,
        tmp_path: Path,
        *,
        security: str = "none",
        account: str = "pop",
        password: str | None = None,
        pop3_extra: Mapping[str, Any] | None = None,
        filename: str = "config.toml",
    ) -> Path:
        """Write a tui-mail config with one POP3 account to ``tmp_path/filename``.

        ``security``: ``"none"``/``"starttls"`` use the plain port, ``"tls"`` the
        POP3S one; both TLS kinds get ``ca_file``. The password goes into a fresh
        environment variable named by ``password_env``.
        """
        variable = f"TUI_MAIL_TEST_POP3_{uuid.uuid4().hex[:8].upper()}"
        self.set_env(variable, self.password if password is None else password)
        pop3: dict[str, Any] = {
            "host": self.host,
            "port": self.tls_port if security == "tls" else self.port,
            "security": security,
            "username": self.username,
            "password_env": variable,
            **({"ca_file": str(self.ca_file)} if security != "none" else {}),
            **(pop3_extra or {}),
        }
        document = tomlkit.document()
        document["general"] = {"default_account": account}
        accounts = tomlkit.table(is_super_table=True)
        accounts[account] = {"email": self.email, "display_name": "POP User", "pop3": pop3}
        document["accounts"] = accounts
        path = tmp_path / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tomlkit.dumps(document))
        path.chmod(0o600)
        return path


def pop3_account(dovecot: DovecotServer, set_env: SetEnv, messages: int = 0) -> Pop3Account:
    """A new user on ``dovecot`` (started with ``pop3=True``) holding ``messages`` samples."""
    username = "p" + uuid.uuid4().hex[:12]
    password = "pw-" + uuid.uuid4().hex[:8]
    maildir = dovecot.add_user(username, password)
    account = Pop3Account(dovecot, username, password, maildir, set_env)
    for _ in range(messages):
        account.deliver()
    return account
