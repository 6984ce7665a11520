"""The ``[accounts.X.pop3]`` table (issue 16): a POP3 account's server and fetch policy.

``tui_mail.config`` calls :func:`parse_pop3` with its table reader, so errors
name the key path like every other config error (``accounts.old.pop3.port``).
Split from ``config.py`` as ``oauth2_config.py`` was; this module must not
import ``config.py`` (config imports it), so the three security words are
repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui_mail.config_table import ConfigTable, cert_fingerprint, optional_path
from tui_mail.hosts import is_loopback_host
from tui_mail.oauth2_config import auth_method

#: The same words as ``config.SECURITIES``: "starttls" means POP3's STLS (RFC 2595).
POP3_SECURITIES: tuple[str, ...] = ("tls", "starttls", "none")
POP3_PORTS = {"tls": 995, "starttls": 110, "none": 110}
#: Bounds: polling a POP3 server more than every 10 s only loads it (many ISPs
#: lock the mailbox for a while after each session); a day is the slowest that
#: still feels like mail.
POP3_POLL_SECONDS = (10.0, 86400.0)
#: 100 years: beyond that ``delete_after_days`` is a typo, not a policy.
MAX_DELETE_AFTER_DAYS = 36500


@dataclass(frozen=True)
class Pop3Config:
    """An ``[accounts.X.pop3]`` table, defaults filled in."""

    host: str
    port: int
    security: str = "tls"
    """"tls" (POP3S), "starttls" (STLS on the plain port) or "none"."""
    username: str = ""
    password_command: str = ""
    password_env: str = ""
    ca_file: Path | None = None
    cert_fingerprint: str = ""
    """``sha256:<hex>``: accept exactly this certificate (no CA check; ``ca_file`` unused)."""
    leave_on_server: bool = True
    """False: a message is deleted from the server once it is stored locally."""
    delete_after_days: int = 0
    """With ``leave_on_server``: delete messages fetched more than this many days ago (0 = never)."""
    poll_interval: float = 300.0
    """Seconds between fetches (``$`` fetches at once)."""
    auth: str = "password"
    """"password" (SASL PLAIN, USER/PASS or APOP), or SASL "xoauth2" / "oauthbearer"
    with the account's ``[oauth2]`` sign-in (as for IMAP)."""

    @property
    def uses_oauth2(self) -> bool:
        """True when the server is logged in to with an OAuth2 access token."""
        return self.auth != "password"

    @property
    def is_loopback(self) -> bool:
        """True for localhost and 127.0.0.0/8 or ::1 (plaintext is tolerated there)."""
        return is_loopback_host(self.host)


def parse_pop3(table: ConfigTable, email: str, allow_insecure: bool) -> Pop3Config:
    """Read and check an ``[accounts.X.pop3]`` table (ConfigError names the key)."""
    table.expect(
        "host",
        "port",
        "security",
        "username",
        "password_command",
        "password_env",
        "ca_file",
        "cert_fingerprint",
        "leave_on_server",
        "delete_after_days",
        "poll_interval",
        "auth",
    )
    host = table.get("host", str, "")
    if not host:
        raise table.fail("host", "missing (the POP3 server's host name)")
    security = table.get("security", str, "tls")
    if security not in POP3_SECURITIES:
        raise table.fail(
            "security", f"must be one of {', '.join(POP3_SECURITIES)}, not {security!r}"
        )
    if security == "none" and not is_loopback_host(host) and not allow_insecure:
        raise table.fail(
            "security",
            f'"none" sends your password in clear to {host}; use "tls" or '
            '"starttls", or set allow_insecure = true on the account',
        )
    port = table.get("port", int, POP3_PORTS[security])
    if not 0 < port < 65536:
        raise table.fail("port", f"{port} is not a TCP port (1-65535)")
    command = table.get("password_command", str, "")
    env = table.get("password_env", str, "")
    if command and env:
        raise table.fail("password_env", "set password_command or password_env, not both")
    days = table.get("delete_after_days", int, 0)
    if not 0 <= days <= MAX_DELETE_AFTER_DAYS:
        raise table.fail(
            "delete_after_days", f"must be 0 (never) to {MAX_DELETE_AFTER_DAYS}, not {days}"
        )
    leave = table.get("leave_on_server", bool, True)
    if days and not leave:
        raise table.fail(
            "delete_after_days",
            "only means something with leave_on_server = true (false deletes at once)",
        )
    low, high = POP3_POLL_SECONDS
    poll = float(table.get("poll_interval", (int, float), 300.0))
    if not low <= poll <= high:
        raise table.fail("poll_interval", f"must be {low:g} to {high:g} seconds, not {poll:g}")
    config = Pop3Config(
        host=host,
        port=port,
        security=security,
        username=table.get("username", str, "") or email,
        password_command=command,
        password_env=env,
        ca_file=optional_path(table, "ca_file"),
        cert_fingerprint=cert_fingerprint(table, security),
        leave_on_server=leave,
        delete_after_days=days,
        poll_interval=poll,
        auth=auth_method(table),
    )
    table.done()
    return config
