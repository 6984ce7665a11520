"""The ``[accounts.X.oauth2]`` table and the provider presets (pure: no I/O).

``tui_mail.config`` calls :func:`parse_oauth2` with its table reader, so errors
name the key path like every other config error. A preset holds a provider's
endpoints and default scopes; every endpoint can be overridden, and a
``generic`` provider needs an ``issuer`` (discovered at sign-in through
``.well-known``) or its endpoints. Endpoints must be ``https://``; ``http://``
is accepted only for loopback hosts (a local test server).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from tui_mail.errors import ConfigError
from tui_mail.hosts import is_loopback_host

AuthMethod = Literal["password", "xoauth2", "oauthbearer"]
AUTH_METHODS: tuple[str, ...] = ("password", "xoauth2", "oauthbearer")
PROVIDERS: tuple[str, ...] = ("google", "microsoft", "generic")
FLOWS: tuple[str, ...] = ("auto", "loopback", "device", "paste")
ENDPOINT_KEYS: tuple[str, ...] = (
    "authorization_endpoint",
    "token_endpoint",
    "device_authorization_endpoint",
)


class _Table(Protocol):
    """The part of ``tui_mail.config``'s table reader used here (errors name the key)."""

    data: Any

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any: ...
    def fail(self, name: str, message: str) -> ConfigError: ...
    def expect(self, *names: str) -> Any: ...
    def done(self) -> None: ...


@dataclass(frozen=True)
class Preset:
    """What a provider needs: endpoints (``{tenant}`` filled in), scopes, extra parameters."""

    authorization_endpoint: str
    token_endpoint: str
    device_authorization_endpoint: str
    scopes: tuple[str, ...]
    device_allowed: bool
    """Google refuses the mail scope on the device flow: never offered there."""
    extra_authorize_params: tuple[tuple[str, str], ...] = ()


_MS = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
PRESETS: dict[str, Preset] = {
    "google": Preset(
        authorization_endpoint="https://accounts.google.com/o/oauth2/v2/auth",
        token_endpoint="https://oauth2.googleapis.com/token",
        device_authorization_endpoint="",
        scopes=("https://mail.google.com/",),
        device_allowed=False,
        # Without these Google hands out no refresh token on a second sign-in.
        extra_authorize_params=(("access_type", "offline"), ("prompt", "consent")),
    ),
    "microsoft": Preset(
        authorization_endpoint=f"{_MS}/authorize",
        token_endpoint=f"{_MS}/token",
        device_authorization_endpoint=f"{_MS}/devicecode",
        scopes=(
            "https://outlook.office.com/IMAP.AccessAsUser.All",
            "https://outlook.office.com/SMTP.Send",
            "offline_access",
        ),
        device_allowed=True,
    ),
    "generic": Preset("", "", "", (), device_allowed=True),
}


@dataclass(frozen=True)
class OAuth2Config:
    """One account's OAuth2 client settings, preset values filled in."""

    provider: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    """Never logged nor shown (``repr=False``)."""
    client_secret_command: str = field(default="", repr=False)
    tenant: str = "common"
    flow: str = "auto"
    scopes: tuple[str, ...] = ()
    login_hint: str = ""
    issuer: str = ""
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    device_authorization_endpoint: str = ""
    device_allowed: bool = True
    extra_authorize_params: tuple[tuple[str, str], ...] = ()

    @property
    def needs_discovery(self) -> bool:
        """True when endpoints must come from the issuer's ``.well-known`` document."""
        return bool(self.issuer) and not self.token_endpoint

    def with_endpoints(self, found: dict[str, str]) -> OAuth2Config:
        """A copy with discovered endpoints filled in where none was configured."""

        def pick(key: str) -> str:
            return str(getattr(self, key) or found.get(key) or "")

        return replace(
            self,
            authorization_endpoint=pick("authorization_endpoint"),
            token_endpoint=pick("token_endpoint"),
            device_authorization_endpoint=pick("device_authorization_endpoint"),
        )


def check_endpoint(url: str) -> str | None:
    """Why ``url`` is not acceptable as an OAuth2 endpoint, or None when it is."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return None
    if parts.scheme == "http":
        return f"http:// is allowed only for loopback hosts, not {parts.hostname!r}; use https://"
    return f"not an https:// URL: {url!r}"


def auth_method(table: _Table, default: str = "password") -> str:
    """The ``auth`` key of an ``[imap]``, ``[pop3]`` or ``[smtp]`` table, checked.

    "xoauth2" and "oauthbearer" need the account's ``[oauth2]`` table: ``config``
    checks that once the whole account is read.
    """
    auth = str(table.get("auth", str, default))
    if auth not in AUTH_METHODS:
        raise table.fail("auth", f"must be one of {', '.join(AUTH_METHODS)}, not {auth!r}")
    return auth


def parse_oauth2(table: _Table, email: str) -> OAuth2Config:
    """Read and check an ``[accounts.X.oauth2]`` table (ConfigError names the key)."""
    table.expect(
        "provider",
        "client_id",
        "client_secret",
        "client_secret_command",
        "tenant",
        "flow",
        "scopes",
        "login_hint",
        "issuer",
        *ENDPOINT_KEYS,
    )
    provider = table.get("provider", str)
    if provider not in PROVIDERS:
        raise table.fail("provider", f"must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    preset = PRESETS[provider]
    client_id = table.get("client_id", str, "")
    if not client_id:
        raise table.fail("client_id", "missing (the client id of the app you registered)")
    secret, command = (
        table.get("client_secret", str, ""),
        table.get("client_secret_command", str, ""),
    )
    if secret and command:
        raise table.fail("client_secret_command", "set client_secret or its command, not both")
    tenant = table.get("tenant", str, "common")
    if provider != "microsoft" and "tenant" in table.data:
        raise table.fail("tenant", 'is for provider = "microsoft" only')
    if not tenant or not all(ch.isalnum() or ch in "-._" for ch in tenant):
        raise table.fail("tenant", f"not a tenant name or id: {tenant!r}")
    flow = table.get("flow", str, "auto")
    if flow not in FLOWS:
        raise table.fail("flow", f"must be one of {', '.join(FLOWS)}, not {flow!r}")
    if flow == "device" and not preset.device_allowed:
        raise table.fail(
            "flow", "Google refuses the mail scope on the device flow; use loopback or paste"
        )
    scopes = _scopes(table) or preset.scopes
    endpoints = {key: _endpoint(table, key, getattr(preset, key), tenant) for key in ENDPOINT_KEYS}
    issuer = table.get("issuer", str, "")
    if issuer and (problem := check_endpoint(issuer)):
        raise table.fail("issuer", problem)
    if not endpoints["token_endpoint"] and not issuer:
        raise table.fail("issuer", "missing: a generic provider needs issuer or token_endpoint")
    if not scopes:
        raise table.fail("scopes", "missing: a generic provider needs its scopes")
    config = OAuth2Config(
        provider=provider,
        client_id=client_id,
        client_secret=secret,
        client_secret_command=command,
        tenant=tenant,
        flow=flow,
        scopes=scopes,
        login_hint=table.get("login_hint", str, "") or email,
        issuer=issuer,
        device_allowed=preset.device_allowed,
        extra_authorize_params=preset.extra_authorize_params,
        **endpoints,
    )
    table.done()
    return config


def _scopes(table: _Table) -> tuple[str, ...]:
    raw = table.get("scopes", list, [])
    for index, scope in enumerate(raw):
        if not isinstance(scope, str) or not scope or " " in scope:
            raise table.fail("scopes", f"entry {index} is not a scope name: {scope!r}")
    return tuple(raw)


def _endpoint(table: _Table, key: str, preset: str, tenant: str) -> str:
    url = table.get(key, str, "") or preset.replace("{tenant}", tenant)
    if url and (problem := check_endpoint(url)):
        raise table.fail(key, problem)
    return url
