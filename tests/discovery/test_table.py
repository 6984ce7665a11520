"""Discovery's bundled table: well-known providers answer at once, without network."""

from __future__ import annotations

import time

import dns.resolver
import pytest

from tui_mail.backend import discover_account
from tui_mail.errors import ConfigError


def _dead_resolver() -> dns.resolver.Resolver:
    """A resolver at a closed local port, so any DNS use would fail (and show as slow or empty)."""
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = ["127.0.0.1"]
    res.port = 9
    return res


@pytest.mark.parametrize(
    ("email", "imap", "smtp", "oauth2"),
    [
        ("jo@gmail.com", ("imap.gmail.com", 993, "tls"), ("smtp.gmail.com", 465, "tls"), "google"),
        (
            "jo@outlook.com",
            ("outlook.office365.com", 993, "tls"),
            ("smtp.office365.com", 587, "starttls"),
            "microsoft",
        ),
        (
            "Jo.Doe@Fastmail.com",
            ("imap.fastmail.com", 993, "tls"),
            ("smtp.fastmail.com", 465, "tls"),
            None,
        ),
    ],
)
def test_bundled_table_answers_offline_under_a_second(
    email: str, imap: tuple[str, int, str], smtp: tuple[str, int, str], oauth2: str | None
) -> None:
    started = time.monotonic()
    proposal = discover_account(
        email, resolver=_dead_resolver(), autoconfig_base="https://127.0.0.1:9/{domain}"
    )
    assert time.monotonic() - started < 1.0
    got = proposal.incoming
    assert (got.protocol, got.host, got.port, got.security) == ("imap", *imap)
    assert proposal.smtp is not None
    assert (proposal.smtp.host, proposal.smtp.port, proposal.smtp.security) == smtp
    assert got.username == email and got.verified and got.source == "bundled table"
    assert proposal.oauth2_provider == oauth2
    assert got.auth == ("xoauth2" if oauth2 else "password")


def test_fastmail_says_it_needs_an_app_password() -> None:
    proposal = discover_account("jo@fastmail.com")
    assert "app password" in proposal.password_hint


@pytest.mark.parametrize(
    "email",
    ["", "jo", "jo@", "@example.org", "jo@localhost", "jo@exa mple.org", "j\x1bo@example.org"],
)
def test_a_malformed_address_is_a_clear_error(email: str) -> None:
    with pytest.raises(ConfigError, match="not an email address"):
        discover_account(email)
