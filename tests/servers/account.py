"""``ImapAccount``: what the ``imap_server`` fixture hands a test.

One fresh, seeded mailbox on one real server (Dovecot or pymap), with what a
test needs to reach it and a ``config_toml()`` that writes a matching tui-mail
config file.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from tests.servers.dovecot import DovecotServer
from tui_mail.demo.config_file import write_config
from tui_mail.demo.corpus import SeedMessage
from tui_mail.demo.pymap_server import PymapServer
from tui_mail.demo.seed import seed_over_imap
from tui_mail.demo.smtp_server import SmtpServer

SetEnv = Callable[[str, str], None]


@dataclass
class ImapAccount:
    """A fresh mailbox on a real local IMAP server.

    ``kind`` is ``"dovecot"`` or ``"pymap"``; ``port`` is plain IMAP (``security``
    ``"none"``); ``tls_port`` is IMAPS and ``ca_file`` the PEM to trust for it
    (both ``None`` on pymap, which has no TLS here). ``capabilities`` is what the
    server offers after login (upper case). ``seeded`` counts the corpus messages
    put in each folder (``/``-separated names) and ``corpus`` is that mail.
    """

    kind: str
    host: str
    port: int
    username: str
    password: str
    capabilities: frozenset[str]
    seeded: dict[str, int]
    corpus: list[SeedMessage] = field(repr=False)
    set_env: SetEnv = field(repr=False)
    tls_port: int | None = None
    ca_file: Path | None = None
    security: str = "none"

    @property
    def email(self) -> str:
        """The account's address (the username, made an address when it is not one)."""
        return self.username if "@" in self.username else f"{self.username}@example.org"

    def has(self, capability: str) -> bool:
        """True when the server offers ``capability`` (e.g. ``"SORT"``)."""
        return capability.upper() in self.capabilities

    def config_toml(
        self,
        tmp_path: Path,
        *,
        security: str = "none",
        account: str = "test",
        smtp: SmtpServer | None = None,
        password: str | None = None,
        imap_extra: Mapping[str, Any] | None = None,
        account_extra: Mapping[str, Any] | None = None,
        general: Mapping[str, Any] | None = None,
        filename: str = "config.toml",
    ) -> Path:
        """Write a tui-mail config for this account to ``tmp_path/filename``.

        ``security``: ``"none"`` (plain port), ``"tls"`` (IMAPS port with
        ``ca_file``) or ``"starttls"`` (plain port, upgraded, with ``ca_file``);
        TLS needs Dovecot. The password goes into a fresh environment variable
        (set through the test's monkeypatch) named by ``password_env``;
        ``password`` overrides it (e.g. a wrong one). ``smtp`` adds an
        ``[accounts.<account>.smtp]`` table for that server (STARTTLS with its
        ``ca_file`` when it has TLS, else ``"none"``).
        """
        if security != "none" and self.tls_port is None:
            raise ValueError(f"{self.kind} has no TLS in the test bed")
        variable = f"TUI_MAIL_TEST_PASSWORD_{uuid.uuid4().hex[:8].upper()}"
        self.set_env(variable, self.password if password is None else password)
        imap: dict[str, Any] = {
            "host": self.host,
            "port": self.tls_port if security == "tls" else self.port,
            "security": security,
            "username": self.username,
            "password_env": variable,
            "ca_file": self.ca_file if security != "none" else None,
            **(imap_extra or {}),
        }
        smtp_table: dict[str, Any] | None = None
        if smtp is not None:
            smtp_variable = variable + "_SMTP"
            self.set_env(smtp_variable, smtp.password)
            smtp_table = {
                "host": smtp.host,
                "port": smtp.port,
                "security": "starttls" if smtp.tls_context else "none",
                "username": smtp.username,
                "password_env": smtp_variable,
                "ca_file": smtp.ca_file if smtp.tls_context else None,
            }
        return write_config(
            tmp_path / filename,
            account,
            email=self.email,
            display_name="Test User",
            imap=imap,
            smtp=smtp_table,
            general=general,
            account_extra=account_extra,
        )


_CAPABILITIES: dict[str, frozenset[str]] = {}


def _capabilities(kind: str, host: str, port: int, username: str, password: str) -> frozenset[str]:
    """What the server offers after login; read once per kind (same binary, same config)."""
    if kind not in _CAPABILITIES:
        client = IMAPClient(host, port, ssl=False, timeout=10)
        try:
            client.login(username, password)
            _CAPABILITIES[kind] = frozenset(c.decode().upper() for c in client.capabilities())
        finally:
            client.logout()
    return _CAPABILITIES[kind]


def dovecot_account(
    dovecot: DovecotServer, set_env: SetEnv, corpus: Sequence[SeedMessage] = ()
) -> ImapAccount:
    """A new user on ``dovecot`` (empty Maildir), ``corpus`` seeded over IMAP."""
    username = "u" + uuid.uuid4().hex[:12]
    password = "pw-" + uuid.uuid4().hex[:8]
    dovecot.add_user(username, password)
    host, port = dovecot.host, dovecot.imap_port
    return ImapAccount(
        kind="dovecot",
        host=host,
        port=port,
        username=username,
        password=password,
        capabilities=_capabilities("dovecot", host, port, username, password),
        seeded=seed_over_imap(host, port, username, password, corpus) if corpus else {},
        corpus=list(corpus),
        set_env=set_env,
        tls_port=dovecot.imaps_port,
        ca_file=dovecot.ca_file,
    )


def pymap_account(
    pymap: PymapServer, set_env: SetEnv, corpus: Sequence[SeedMessage] = ()
) -> ImapAccount:
    """The one user of a started, fresh ``pymap``, ``corpus`` seeded over IMAP."""
    host, port, username, password = pymap.host, pymap.port, pymap.username, pymap.password
    return ImapAccount(
        kind="pymap",
        host=host,
        port=port,
        username=username,
        password=password,
        capabilities=_capabilities("pymap", host, port, username, password),
        seeded=seed_over_imap(host, port, username, password, corpus) if corpus else {},
        corpus=list(corpus),
        set_env=set_env,
    )
