"""First-run setup across the line: what discovery proposes, what a certificate is.

``discover_account(email)`` returns an :class:`AccountProposal`;
``inspect_certificate(host, port, security)`` a :class:`CertificateInfo`.
Every string here may come from the network (autoconfig XML, DNS): the UI
sanitises before it shows one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Protocol = Literal["imap", "pop3", "smtp"]
Security = Literal["tls", "starttls", "none"]
AuthKind = Literal["password", "xoauth2", "oauthbearer"]


@dataclass(frozen=True)
class ServerProposal:
    """One server discovery found: where, how secured, who logs in, and from where we know.

    ``verified`` is False for what came over plain HTTP or unsigned DNS
    ("found, not verified"); ``source`` says where ("bundled table", "DNS SRV",
    "MX: Google", "autoconfig https://...", "guess").
    """

    protocol: Protocol
    host: str
    port: int
    security: Security
    username: str
    auth: AuthKind
    verified: bool
    source: str


@dataclass(frozen=True)
class AccountProposal:
    """Discovery's answer for an address: the incoming server, SMTP, and hints for the user."""

    email: str
    incoming: ServerProposal
    smtp: ServerProposal | None
    oauth2_provider: str | None  # "google" | "microsoft" | None
    password_hint: str  # e.g. "Fastmail needs an app password: ...", or ""
    display_name_hint: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CertificateInfo:
    """The certificate a server showed: who it names, who signed it, its SHA-256, whether it verifies.

    ``fingerprint`` is ``"sha256:"`` and 64 lowercase hex digits, the form
    ``cert_fingerprint`` takes in the config; ``error`` says why it does not
    verify against the system store (empty when ``verified``).
    """

    host: str
    port: int
    subject: str
    issuer: str
    fingerprint: str
    verified: bool
    error: str
