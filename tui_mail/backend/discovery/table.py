"""The bundled table: well-known providers' servers, facts only, answered without network.

Domains map to a :class:`Provider`; ``for_mx`` maps an MX host to the
provider that runs a custom domain's mail (Google Workspace, Microsoft 365).
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_mail.backend.api.setup import AccountProposal, Security, ServerProposal

SOURCE = "bundled table"


@dataclass(frozen=True)
class Provider:
    """One provider's incoming (IMAP) and SMTP servers, sign-in kind and hint for the user."""

    name: str
    imap: tuple[str, int, Security]
    smtp: tuple[str, int, Security] | None
    oauth2: str | None = None
    hint: str = ""


def _app_password(name: str, where: str) -> str:
    return f"{name} needs an app password: {where}"


GOOGLE = Provider(
    "Google", ("imap.gmail.com", 993, "tls"), ("smtp.gmail.com", 465, "tls"), oauth2="google"
)
MICROSOFT = Provider(
    "Microsoft",
    ("outlook.office365.com", 993, "tls"),
    ("smtp.office365.com", 587, "starttls"),
    oauth2="microsoft",
)
_ICLOUD = Provider(
    "iCloud",
    ("imap.mail.me.com", 993, "tls"),
    ("smtp.mail.me.com", 587, "starttls"),
    hint=_app_password(
        "iCloud", "account.apple.com > Sign-In and Security > App-Specific Passwords"
    ),
)
_FASTMAIL = Provider(
    "Fastmail",
    ("imap.fastmail.com", 993, "tls"),
    ("smtp.fastmail.com", 465, "tls"),
    hint=_app_password("Fastmail", "Settings > Privacy & Security > App passwords"),
)
_YAHOO = Provider(
    "Yahoo",
    ("imap.mail.yahoo.com", 993, "tls"),
    ("smtp.mail.yahoo.com", 465, "tls"),
    hint=_app_password("Yahoo", "Account Info > Account security > Generate app password"),
)
_GMX = Provider("GMX", ("imap.gmx.net", 993, "tls"), ("mail.gmx.net", 587, "starttls"))
_WEBDE = Provider("WEB.DE", ("imap.web.de", 993, "tls"), ("smtp.web.de", 587, "starttls"))
_MAILBOX_ORG = Provider(
    "mailbox.org", ("imap.mailbox.org", 993, "tls"), ("smtp.mailbox.org", 465, "tls")
)
_POSTEO = Provider("Posteo", ("posteo.de", 993, "tls"), ("posteo.de", 465, "tls"))
_ZOHO = Provider("Zoho", ("imap.zoho.com", 993, "tls"), ("smtp.zoho.com", 465, "tls"))
_PROTON = Provider(
    "Proton Mail Bridge",
    ("127.0.0.1", 1143, "starttls"),
    ("127.0.0.1", 1025, "starttls"),
    hint="Proton Mail needs the Bridge running: use the password the Bridge shows, not your Proton one.",
)

DOMAINS: dict[str, Provider] = {
    "gmail.com": GOOGLE,
    "googlemail.com": GOOGLE,
    **dict.fromkeys(("outlook.com", "hotmail.com", "live.com", "msn.com"), MICROSOFT),
    **dict.fromkeys(("icloud.com", "me.com", "mac.com"), _ICLOUD),
    **dict.fromkeys(("fastmail.com", "fastmail.fm"), _FASTMAIL),
    **dict.fromkeys(("yahoo.com", "ymail.com"), _YAHOO),
    **dict.fromkeys(("gmx.net", "gmx.de", "gmx.com"), _GMX),
    "web.de": _WEBDE,
    "mailbox.org": _MAILBOX_ORG,
    "posteo.de": _POSTEO,
    "posteo.net": _POSTEO,
    **dict.fromkeys(("zoho.com", "zohomail.com"), _ZOHO),
    **dict.fromkeys(("proton.me", "protonmail.com", "pm.me"), _PROTON),
}


def for_mx(mx_host: str) -> Provider | None:
    """The provider behind an MX host (Google's or Microsoft 365's), or None."""
    host = mx_host.lower().rstrip(".")
    if host.endswith((".google.com", ".googlemail.com")):
        return GOOGLE
    if host.endswith(".mail.protection.outlook.com"):
        return MICROSOFT
    return None


def propose(email: str, provider: Provider, source: str, verified: bool) -> AccountProposal:
    """The proposal ``provider`` gives for ``email`` (the whole address as the user name)."""
    auth = "xoauth2" if provider.oauth2 else "password"

    def server(proto: str, spec: tuple[str, int, Security]) -> ServerProposal:
        host, port, security = spec
        return ServerProposal(proto, host, port, security, email, auth, verified, source)  # type: ignore[arg-type]

    return AccountProposal(
        email=email,
        incoming=server("imap", provider.imap),
        smtp=server("smtp", provider.smtp) if provider.smtp else None,
        oauth2_provider=provider.oauth2,
        password_hint=provider.hint,
        display_name_hint="",
        notes=(f"Provider: {provider.name}.",),
    )
