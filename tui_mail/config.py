"""The configuration: TOML read with tomllib into frozen dataclasses.

Every error names the file and the key path, e.g.
``config.toml: accounts.personal.imap.hots: unknown key``. The schema is in
``config.example.toml`` (and the README); other tools and tests write it, so it
changes only by adding keys.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from tui_mail.config_table import (
    ConfigTable,
    cert_fingerprint,
    command_words,
    optional_path,
    string_list,
)
from tui_mail.errors import ConfigError
from tui_mail.hosts import is_loopback_host as is_loopback_host  # moved; still exported here
from tui_mail.oauth2_config import OAuth2Config, auth_method, parse_oauth2
from tui_mail.pop3_config import Pop3Config, parse_pop3
from tui_mail.ui_config import UiConfig, parse_ui

Security = Literal["tls", "starttls", "none"]
SECURITIES: tuple[str, ...] = ("tls", "starttls", "none")
IMAP_PORTS = {"tls": 993, "starttls": 143, "none": 143}
SMTP_PORTS = {"tls": 465, "starttls": 587, "none": 25}
FOLDER_ROLES = ("sent", "drafts", "trash", "archive", "junk")


INDEX_BODIES = ("opened", "all")
IdleMode = Literal["auto", "poll"]
IDLE_MODES: tuple[str, ...] = ("auto", "poll")
#: Bounds for ``idle_verify_after`` and ``poll_interval`` (seconds): checking more
#: often than every second only loads the server; an IDLE check must come well
#: before the 29-minute IDLE limit (RFC 2177) to be a check at all.
IDLE_SECONDS = {
    "idle_verify_after": (1.0, 1500.0),
    "poll_interval": (1.0, 86400.0),
    "folder_poll_interval": (1.0, 86400.0),
}
#: Where a key of IDLE_SECONDS is not set (the dataclass defaults).
IDLE_DEFAULTS = {"idle_verify_after": 60.0, "poll_interval": 60.0, "folder_poll_interval": 120.0}


#: The table reader (moved to config_table.py; the short name reads well here).
_Table = ConfigTable


@dataclass(frozen=True)
class GeneralConfig:
    """The ``[general]`` table."""

    default_account: str = ""
    """Account opened at start; empty means the first account."""
    editor: str = ""
    """Editor command for message bodies; empty means $VISUAL, $EDITOR, then vi."""
    theme: str = "textual-dark"
    """A Textual theme name."""
    mark_read_delay: float = 0.0
    """Seconds a message must stay in the preview before it is marked read."""
    downloads_dir: str = "~/Downloads"
    """Default folder offered when saving attachments."""
    index_bodies: str = "opened"
    """"opened": search indexes the bodies read so far; "all": fetch and index every body."""
    new_mail_notify: bool = True
    """A desktop notification (``notify-send``, where installed) when new mail comes."""
    new_mail_bell: bool = False
    """Ring the terminal bell when new mail comes."""
    new_mail_command: tuple[str, ...] = ()
    """Run instead of notify-send: argv with {from} {subject} {folder} {account}; no shell."""


@dataclass(frozen=True)
class ServerConfig:
    """An ``[accounts.X.imap]`` or ``[accounts.X.smtp]`` table, defaults filled in."""

    host: str
    port: int
    security: Security = "tls"
    username: str = ""
    password_command: str = ""
    password_env: str = ""
    ca_file: Path | None = None
    auth: str = "password"
    """"password", "xoauth2" or "oauthbearer" (the last two need ``[accounts.X.oauth2]``)."""
    cert_fingerprint: str = ""
    """``sha256:<hex>``: accept exactly this certificate (no CA check; ``ca_file`` unused)."""

    @property
    def uses_oauth2(self) -> bool:
        """True when this server is logged in to with an OAuth2 access token."""
        return self.auth != "password"

    @property
    def is_loopback(self) -> bool:
        """True for localhost and 127.0.0.0/8 or ::1 (plaintext is tolerated there)."""
        return is_loopback_host(self.host)


@dataclass(frozen=True)
class FolderOverrides:
    """``[accounts.X.folders]``: role folder names that beat auto-detection."""

    sent: str | None = None
    drafts: str | None = None
    trash: str | None = None
    archive: str | None = None
    junk: str | None = None
    save_sent: bool = True
    """APPEND sent mail to the Sent folder (turn off where the server files it)."""

    def by_role(self) -> dict[str, str]:
        """Role name -> configured folder, for the roles that are set."""
        return {role: name for role in FOLDER_ROLES if (name := getattr(self, role))}


@dataclass(frozen=True)
class Identity:
    """One ``[[accounts.X.identities]]`` entry; the first is the default From."""

    name: str
    email: str
    signature_file: Path | None = None


@dataclass(frozen=True)
class AccountConfig:
    """One ``[accounts.X]`` table: an IMAP account (``imap`` set) or a POP3 one (``pop3``)."""

    name: str
    email: str
    display_name: str
    imap: ServerConfig | None
    smtp: ServerConfig | None
    folders: FolderOverrides = field(default_factory=FolderOverrides)
    identities: tuple[Identity, ...] = ()
    allow_insecure: bool = False
    address_book_command: str = ""
    idle: IdleMode = "auto"
    """"auto": IDLE where the server offers it (and it is seen to work); "poll": always poll."""
    idle_verify_after: float = 60.0
    """Seconds of IDLE silence after which the watcher checks with STATUS that none was missed."""
    poll_interval: float = 60.0
    """Seconds between polls where IDLE is off, missing, or found not to report new mail."""
    folder_poll_interval: float = 120.0
    """Seconds between STATUS polls of the other folders where the server lacks NOTIFY."""
    notify_folders: tuple[str, ...] = ("INBOX",)
    """Folders whose new mail is announced (notification, command, bell)."""
    oauth2: OAuth2Config | None = None
    """``[accounts.X.oauth2]``: set when a server has ``auth = "xoauth2"`` or ``"oauthbearer"``."""
    pop3: Pop3Config | None = None
    """``[accounts.X.pop3]``: set (and ``imap`` None) for a POP3 account."""

    @property
    def incoming(self) -> ServerConfig | Pop3Config:
        """The server mail comes from: ``imap``, or ``pop3`` for a POP3 account."""
        return self.pop3 if self.pop3 is not None else self.imap_server

    @property
    def imap_server(self) -> ServerConfig:
        """The IMAP server; ConfigError for a POP3 account (IMAP code must not reach one)."""
        if self.imap is None:
            raise ConfigError("config", f"accounts.{self.name}.imap", "a POP3 account has none")
        return self.imap


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    path: Path
    general: GeneralConfig
    accounts: dict[str, AccountConfig]
    keys: dict[str, str] = field(default_factory=dict)
    ui: UiConfig = field(default_factory=UiConfig)

    def account(self, name: str | None = None) -> AccountConfig:
        """The named account, else the default one; ConfigError when unknown."""
        wanted = name or self.general.default_account or next(iter(self.accounts))
        if wanted not in self.accounts:
            known = ", ".join(self.accounts) or "none"
            raise ConfigError(self.path.name, "", f"unknown account {wanted!r} (known: {known})")
        return self.accounts[wanted]


def _server(
    table: _Table,
    ports: Mapping[str, int],
    base: ServerConfig | Pop3Config | None,
    default_user: str,
) -> ServerConfig:
    table.expect(
        "host",
        "port",
        "security",
        "username",
        "password_command",
        "password_env",
        "ca_file",
        "auth",
        "cert_fingerprint",
    )
    host = table.get("host", str, base.host if base else None)
    if not host:
        raise table.fail("host", "missing (the server's host name)")
    security = table.get("security", str, "tls")
    if security not in SECURITIES:
        raise table.fail("security", f"must be one of {', '.join(SECURITIES)}, not {security!r}")
    port = table.get("port", int, ports[security])
    if not 0 < port < 65536:
        raise table.fail("port", f"{port} is not a TCP port (1-65535)")
    command = table.get("password_command", str)
    env = table.get("password_env", str)
    if command and env:
        raise table.fail("password_env", "set password_command or password_env, not both")
    if command is None and env is None and base is not None:
        command, env = base.password_command, base.password_env
    server = ServerConfig(
        host=host,
        port=port,
        security=security,
        username=table.get("username", str, base.username if base else default_user),
        password_command=command or "",
        password_env=env or "",
        ca_file=optional_path(table, "ca_file", base.ca_file if base else None),
        auth=auth_method(table, base.auth if base else "password"),
        # Never inherited from the incoming server: a pin names one server's certificate.
        cert_fingerprint=cert_fingerprint(table, security),
    )
    table.done()
    return server


def _account(file: str, name: str, data: Any) -> AccountConfig:
    table = _Table(file, f"accounts.{name}", data).expect(
        "email",
        "display_name",
        "imap",
        "smtp",
        "folders",
        "identities",
        "allow_insecure",
        "address_book_command",
        "idle",
        *IDLE_SECONDS,
        "notify_folders",
        "oauth2",
        "pop3",
    )
    email = table.get("email", str)
    if not email or "@" not in email:
        raise table.fail("email", "missing or not an address")
    allow_insecure = table.get("allow_insecure", bool, False)
    imap_table, pop3_table = table.table("imap"), table.table("pop3")
    if imap_table is None and pop3_table is None:
        raise table.fail(
            "imap", "missing (the [accounts.NAME.imap] or [accounts.NAME.pop3] table)"
        )
    if imap_table is not None and pop3_table is not None:
        raise table.fail("pop3", "an account has [imap] or [pop3], not both: make two accounts")
    imap: ServerConfig | None = None
    pop3: Pop3Config | None = None
    incoming: ServerConfig | Pop3Config
    if imap_table is not None:
        incoming = imap = _server(imap_table, IMAP_PORTS, None, email)
    elif pop3_table is not None:
        incoming = pop3 = parse_pop3(pop3_table, email, allow_insecure)
    smtp_table = table.table("smtp")
    smtp = _server(smtp_table, SMTP_PORTS, incoming, incoming.username) if smtp_table else None
    for proto, server in (("imap", imap), ("smtp", smtp)):
        if server and server.security == "none" and not server.is_loopback and not allow_insecure:
            raise ConfigError(
                file,
                f"accounts.{name}.{proto}.security",
                f'"none" sends your password in clear to {server.host}; use "tls" or '
                '"starttls", or set allow_insecure = true on the account',
            )
    folders = FolderOverrides()
    folders_table = table.table("folders")
    if folders_table is not None:
        folders_table.expect(*FOLDER_ROLES, "save_sent")
        values = {role: folders_table.get(role, str) for role in FOLDER_ROLES}
        folders = FolderOverrides(**values, save_sent=folders_table.get("save_sent", bool, True))
        folders_table.done()
    identities = _identities(table, email, table.get("display_name", str, ""))
    oauth2_table = table.table("oauth2")
    oauth2 = parse_oauth2(oauth2_table, email) if oauth2_table is not None else None
    logins: tuple[tuple[str, ServerConfig | Pop3Config | None], ...] = (
        ("imap", imap),
        ("pop3", pop3),
        ("smtp", smtp),
    )
    for proto, login in logins:
        if login is not None and login.uses_oauth2 and oauth2 is None:
            raise ConfigError(
                file,
                f"accounts.{name}.{proto}.auth",
                f"{login.auth!r} needs an [accounts.{name}.oauth2] table",
            )
    account = AccountConfig(
        name=name,
        email=email,
        display_name=table.get("display_name", str, ""),
        imap=imap,
        smtp=smtp,
        folders=folders,
        identities=identities,
        allow_insecure=allow_insecure,
        address_book_command=table.get("address_book_command", str, ""),
        **_idle_options(table),
        notify_folders=string_list(table, "notify_folders", ["INBOX"]),
        oauth2=oauth2,
        pop3=pop3,
    )
    table.done()
    return account


def _idle_options(table: _Table) -> dict[str, Any]:
    """``idle``, ``idle_verify_after`` and ``poll_interval`` of an account, checked."""
    idle = table.get("idle", str, "auto")
    if idle not in IDLE_MODES:
        raise table.fail("idle", f'must be "auto" or "poll", not {idle!r}')
    options: dict[str, Any] = {"idle": idle}
    for name, (low, high) in IDLE_SECONDS.items():
        seconds = float(table.get(name, (int, float), IDLE_DEFAULTS[name]))
        if not low <= seconds <= high:
            raise table.fail(name, f"must be {low:g} to {high:g} seconds, not {seconds:g}")
        options[name] = seconds
    return options


def _identities(table: _Table, email: str, display_name: str) -> tuple[Identity, ...]:
    raw = table.get("identities", list, [])
    found: list[Identity] = []
    for index, item in enumerate(raw):
        entry = _Table(table.file, f"{table.path}.identities[{index}]", item)
        entry.expect("name", "email", "signature_file")
        address = entry.get("email", str)
        if not address or "@" not in address:
            raise entry.fail("email", "missing or not an address")
        found.append(
            Identity(
                name=entry.get("name", str, ""),
                email=address,
                signature_file=optional_path(entry, "signature_file"),
            )
        )
        entry.done()
    return tuple(found) or (Identity(name=display_name, email=email),)


def parse_config(text: str, path: Path) -> Config:
    """Parse TOML text into a Config; ConfigError names ``path`` and the key."""
    file = path.name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, "", f"not valid TOML: {exc}") from None
    root = _Table(file, "", data).expect("general", "accounts", "keys", "ui")
    general_table = root.table("general") or _Table(file, "general", {})
    general_table.expect(*(f.name for f in fields(GeneralConfig)))
    general = GeneralConfig(
        default_account=general_table.get("default_account", str, ""),
        editor=general_table.get("editor", str, ""),
        theme=general_table.get("theme", str, "textual-dark"),
        mark_read_delay=float(general_table.get("mark_read_delay", (int, float), 0.0)),
        downloads_dir=general_table.get("downloads_dir", str, "~/Downloads"),
        index_bodies=general_table.get("index_bodies", str, "opened"),
        new_mail_notify=general_table.get("new_mail_notify", bool, True),
        new_mail_bell=general_table.get("new_mail_bell", bool, False),
        new_mail_command=command_words(general_table, "new_mail_command"),
    )
    if general.index_bodies not in INDEX_BODIES:
        raise general_table.fail(
            "index_bodies", f'must be "opened" or "all", not {general.index_bodies!r}'
        )
    general_table.done()
    accounts_table = root.table("accounts")
    if accounts_table is None or not accounts_table.data:
        raise ConfigError(file, "accounts", "no account configured (add an [accounts.NAME] table)")
    accounts = {name: _account(file, name, value) for name, value in accounts_table.data.items()}
    accounts_table.used.update(accounts)
    if general.default_account and general.default_account not in accounts:
        raise ConfigError(
            file, "general.default_account", f"no account named {general.default_account!r}"
        )
    keys_table = root.table("keys")
    keys: dict[str, str] = {}
    if keys_table is not None:
        for binding_id in keys_table.data:
            keys[binding_id] = keys_table.get(binding_id, str)
    ui = parse_ui(root.table("ui"))
    root.done()
    return Config(path=path, general=general, accounts=accounts, keys=keys, ui=ui)


def load_config(path: Path) -> Config:
    """Read and validate the config file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc}") from None
    return parse_config(text, path)
