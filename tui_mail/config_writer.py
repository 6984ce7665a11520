"""Write the account the setup screen built into the config file (no network, no UI).

The file may already exist with the user's comments and their order: it is
read and written back with tomlkit, which round-trips both, and the new
account is appended as ``[accounts.<name>]`` with its server tables. The text
is checked with :func:`tui_mail.config.parse_config` before anything is
written, so a setup never leaves a config tui-mail would refuse; the write
itself is atomic and mode 0600 (:func:`tui_mail.paths.write_private_file`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table

from tui_mail import paths
from tui_mail.config import Config, parse_config
from tui_mail.errors import ConfigError

HEADER = (
    "tui-mail configuration, written by `tui-mail setup`.\n"
    "Every key is described in config.example.toml (`tui-mail setup --example` writes it)."
)


@dataclass(frozen=True)
class ServerEntry:
    """One server table: ``[accounts.X.imap]``, ``[accounts.X.pop3]`` or ``[accounts.X.smtp]``."""

    protocol: str
    host: str
    port: int
    security: str = "tls"
    username: str = ""
    auth: str = "password"
    password_command: str = ""
    cert_fingerprint: str = ""
    """``sha256:<hex>`` when the user trusted exactly this (unverified) certificate."""


@dataclass(frozen=True)
class OAuth2Entry:
    """The ``[accounts.X.oauth2]`` table: the provider and the app the user registered."""

    provider: str
    client_id: str
    client_secret: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    """More keys of the table (a ``generic`` provider's endpoints and scopes)."""


@dataclass(frozen=True)
class NewAccount:
    """Everything the setup screen decided about one account."""

    name: str
    email: str
    display_name: str
    incoming: ServerEntry
    smtp: ServerEntry | None
    oauth2: OAuth2Entry | None = None
    extra: dict[str, object] = field(default_factory=dict)
    """Account-level keys beyond these (e.g. ``allow_insecure`` for a loopback test server)."""


def account_name_for(email: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A short config name for ``email``: its domain's first label, made unique (``gmail``, ``gmail-2``)."""
    domain = email.rpartition("@")[2].lower()
    label = re.sub(r"[^a-z0-9_-]+", "-", domain.split(".")[0]).strip("-") or "mail"
    name, n = label, 2
    while name in taken:
        name, n = f"{label}-{n}", n + 1
    return name


def _server_table(entry: ServerEntry) -> Table:
    table = tomlkit.table()
    table.add("host", entry.host)
    table.add("port", entry.port)
    table.add("security", entry.security)
    if entry.username:
        table.add("username", entry.username)
    if entry.auth != "password":
        table.add("auth", entry.auth)
    if entry.password_command:
        table.add("password_command", entry.password_command)
    if entry.cert_fingerprint:
        table.add("cert_fingerprint", entry.cert_fingerprint)
        table["cert_fingerprint"].comment("the certificate you trusted during setup")
    return table


def _account_table(account: NewAccount) -> Table:
    table = tomlkit.table()
    table.add("email", account.email)
    if account.display_name:
        table.add("display_name", account.display_name)
    for key, value in account.extra.items():
        table.add(key, value)
    table.add(account.incoming.protocol, _server_table(account.incoming))
    if account.smtp is not None:
        table.add("smtp", _server_table(account.smtp))
    if account.oauth2 is not None:
        oauth = tomlkit.table()
        oauth.add("provider", account.oauth2.provider)
        oauth.add("client_id", account.oauth2.client_id)
        if account.oauth2.client_secret:
            oauth.add("client_secret", account.oauth2.client_secret)
        for key, value in account.oauth2.extra.items():
            oauth.add(key, value)
        table.add("oauth2", oauth)
    return table


def render_config(account: NewAccount, existing: str | None) -> str:
    """The config text with ``account`` added to ``existing`` (None: a new file).

    Raises ConfigError when ``existing`` is not TOML or already has that account.
    """
    if existing is None:
        document = tomlkit.document()
        for line in HEADER.splitlines():
            document.add(tomlkit.comment(line))
        document.add(tomlkit.nl())
    else:
        try:
            document = tomlkit.parse(existing)
        except TOMLKitError as exc:
            raise ConfigError(
                "config", "", f"not valid TOML, so setup cannot add to it: {exc}"
            ) from None
    accounts = document.get("accounts")
    if accounts is None:
        accounts = tomlkit.table(is_super_table=True)
        document.add("accounts", accounts)
    elif not isinstance(accounts, Table):
        raise ConfigError("config", "accounts", "is not a table")
    if account.name in accounts:
        raise ConfigError("config", f"accounts.{account.name}", "exists already")
    accounts.add(account.name, _account_table(account))
    return tomlkit.dumps(document)


def existing_accounts(path: Path) -> frozenset[str]:
    """The account names already in the config at ``path`` (empty when there is none)."""
    try:
        document = tomlkit.parse(path.read_text("utf-8"))
    except (OSError, TOMLKitError):
        return frozenset()
    accounts = document.get("accounts")
    return frozenset(accounts) if isinstance(accounts, Table) else frozenset()


def prepare(account: NewAccount, path: Path) -> tuple[str, Config]:
    """Render ``account`` into the file at ``path`` (if any) and check the result loads.

    Nothing is written; ConfigError says what is wrong (a bad existing file,
    a value the config reader refuses).
    """
    try:
        existing: str | None = path.read_text("utf-8")
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc.strerror or exc}") from None
    text = render_config(account, existing)
    return text, parse_config(text, path)


def write_config(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600 (a half-written file never exists).

    A config directory setup has to create is made 0700 (it will hold only this
    user's settings); an existing one keeps the mode its owner gave it.
    """
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode is masked by the umask
    paths.write_private_file(path, text)
