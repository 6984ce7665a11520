"""Access tokens in memory, one :class:`TokenManager` per account, under one lock.

The account's command connection, its IDLE connection and SMTP all take their
token here: the first caller past ``exp - 300 s`` refreshes, the others wait on
the lock and get the new token. A refresh that brings a new (rotated) refresh
token stores it before the access token is handed out. (A token that lives less
than 600 s, as on the test bed, is refreshed at half its lifetime instead.) ``invalid_grant`` puts
the account in "needs sign-in": the stored refresh token is kept (until a new
sign-in works) and later calls fail at once with the provider's reason, unless
the store meanwhile holds another token (``tui-mail login`` in another process).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tui_mail.backend.auth.http import OAuth2Error, SignInNeeded, get_json, post_form
from tui_mail.backend.auth.store import Source, StoredGrant, TokenStore
from tui_mail.config import AccountConfig
from tui_mail.oauth2_config import OAuth2Config

#: Refresh this long before the access token's expiry (issue 14: ``exp - 300 s``).
REFRESH_MARGIN = 300.0
#: Assumed lifetime when a provider sends no ``expires_in``.
DEFAULT_LIFETIME = 3600.0


@dataclass(frozen=True)
class AccessToken:
    """A bearer token (never in a ``repr``), when it expires, and what it allows."""

    value: str = field(repr=False)
    expires_at: float
    scopes: tuple[str, ...]
    issued_at: float = 0.0

    def refresh_due(self, now: float, margin: float) -> bool:
        """True within ``margin`` s of expiry (half the lifetime for tokens shorter than 2x that)."""
        lifetime = self.expires_at - self.issued_at if self.issued_at else 2 * margin
        return now >= self.expires_at - min(margin, lifetime / 2)


@dataclass(frozen=True)
class TokenStatus:
    """What ``tui-mail check`` reports: expiry, scopes, where the refresh token came from."""

    expires_at: float
    scopes: tuple[str, ...]
    source: Source | None
    refreshed: bool
    """True when this status came with a refresh (the old token had expired)."""


def client_secret(oauth2: OAuth2Config) -> str:
    """The client secret, from the config or its command ('' for a public client)."""
    if oauth2.client_secret_command:
        from tui_mail.secrets import run_password_command

        return run_password_command(oauth2.client_secret_command)
    return oauth2.client_secret


def resolve_endpoints(oauth2: OAuth2Config) -> OAuth2Config:
    """Fill in endpoints from the issuer's discovery document when they are not configured."""
    if not oauth2.needs_discovery:
        return oauth2
    base = oauth2.issuer.rstrip("/")
    last: OAuth2Error | None = None
    for well_known in ("oauth-authorization-server", "openid-configuration"):
        try:
            found = get_json(f"{base}/.well-known/{well_known}")
        except OAuth2Error as exc:
            last = exc
            continue
        return oauth2.with_endpoints({k: str(v) for k, v in found.items() if isinstance(v, str)})
    raise OAuth2Error("discovery_failed", f"{base}: no discovery document ({last})")


class TokenManager:
    """One account's access token and refresh token (see the module docstring)."""

    def __init__(
        self,
        account: AccountConfig,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if account.oauth2 is None:
            raise ValueError(f"{account.name} has no [oauth2] table")
        self.account = account
        self.oauth2 = account.oauth2
        self.store = store or TokenStore(account.name)
        self.clock = clock
        self._lock = threading.Lock()
        self._access: AccessToken | None = None
        self._source: Source | None = None
        self.generation = 0
        """Counts sign-ins: a credential from before one compares unequal to a new one."""
        self.sign_in_reason = ""
        """Why the account needs sign-in ('' when it does not)."""
        self._dead_refresh: str | None = None
        self.refreshes = 0

    @property
    def endpoints(self) -> OAuth2Config:
        """The OAuth2 settings with discovered endpoints (may fetch the document once)."""
        if self.oauth2.needs_discovery:
            self.oauth2 = resolve_endpoints(self.oauth2)
        return self.oauth2

    def token(self, margin: float = REFRESH_MARGIN) -> AccessToken:
        """A token valid for at least ``margin`` s more, refreshed first when needed."""
        with self._lock:
            current = self._access
            if current is not None and not current.refresh_due(self.clock(), margin):
                return current
            return self._refresh()

    def rejected(self, token: AccessToken) -> AccessToken:
        """The server refused ``token``: a fresh one (unless another caller refreshed already)."""
        with self._lock:
            if self._access is not None and self._access != token:
                return self._access
            return self._refresh()

    def status(self) -> TokenStatus:
        """The current token's expiry and scopes, refreshing when it is close to expiry."""
        before = self.refreshes
        token = self.token()
        return TokenStatus(token.expires_at, token.scopes, self._source, self.refreshes > before)

    def signed_in(self, answer: dict[str, object], requested: tuple[str, ...]) -> Source:
        """Take a token response from a sign-in flow: store its refresh token, use its token."""
        refresh = answer.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            raise OAuth2Error(
                "no_refresh_token",
                "the provider sent no refresh token (Microsoft: add offline_access to scopes)",
            )
        with self._lock:
            access = self._access_from(answer, requested)
            self._source = self.store.save(refresh, access.scopes)
            self._access = access
            self._dead_refresh = None
            self.sign_in_reason = ""
            self.generation += 1
            return self._source

    def _refresh(self) -> AccessToken:
        """POST grant_type=refresh_token (caller holds the lock)."""
        grant = self._stored_grant()
        config = self.endpoints
        fields = {
            "grant_type": "refresh_token",
            "refresh_token": grant.refresh_token,
            "client_id": config.client_id,
            "scope": " ".join(config.scopes),
        }
        secret = client_secret(config)
        if secret:
            fields["client_secret"] = secret
        try:
            answer = post_form(config.token_endpoint, fields)
        except SignInNeeded as exc:
            self._dead_refresh = grant.refresh_token  # kept in the store, not tried again
            self.sign_in_reason = str(exc.details)
            self._access = None
            raise
        access = self._access_from(answer, grant.scopes or config.scopes)
        rotated = answer.get("refresh_token")
        if isinstance(rotated, str) and rotated and rotated != grant.refresh_token:
            # Stored before use: the old one may be dead on the server already.
            self._source = self.store.save(rotated, access.scopes)
        self._access = access
        self.refreshes += 1
        return access

    def _stored_grant(self) -> StoredGrant:
        grant = self.store.load()
        if grant is None:
            self.sign_in_reason = "no refresh token stored: run `tui-mail login`"
            raise SignInNeeded("no_token", self.sign_in_reason)
        if grant.refresh_token == self._dead_refresh:
            raise SignInNeeded("invalid_grant", self.sign_in_reason)
        if self._dead_refresh is not None:  # a new sign-in elsewhere (tui-mail login)
            self._dead_refresh = None
            self.sign_in_reason = ""
            self.generation += 1
        self._source = grant.source
        return grant

    def _access_from(self, answer: dict[str, object], requested: tuple[str, ...]) -> AccessToken:
        value = answer.get("access_token")
        if not isinstance(value, str) or not value:
            raise OAuth2Error("invalid_response", "the token endpoint sent no access_token")
        try:
            lifetime = float(str(answer.get("expires_in", DEFAULT_LIFETIME)))
        except ValueError:
            lifetime = DEFAULT_LIFETIME
        scope = answer.get("scope")
        scopes = tuple(scope.split()) if isinstance(scope, str) and scope else requested
        now = self.clock()
        return AccessToken(value, now + lifetime, scopes, issued_at=now)


@dataclass(frozen=True)
class OAuth2Credential:
    """What an OAuth2 account logs in with, in place of a password.

    Equal only within one sign-in (``generation``): the IDLE watcher waits for
    a credential unequal to the one refused, as it does for a new password.
    """

    tokens: TokenManager
    generation: int


Credential = str | OAuth2Credential
"""What a connection logs in with: a password, or an OAuth2 account's token source."""

_registry: dict[str, TokenManager] = {}
_registry_lock = threading.Lock()


def tokens_for(account: AccountConfig) -> TokenManager:
    """The account's one TokenManager in this process (a changed config gets a new one)."""
    with _registry_lock:
        found = _registry.get(account.name)
        if found is None or found.account != account:
            found = _registry[account.name] = TokenManager(account)
        return found


def forget_tokens(account: str) -> None:
    """Drop the account's TokenManager and its stored refresh token (setup was cancelled)."""
    with _registry_lock:
        found = _registry.pop(account, None)
    (found.store if found is not None else TokenStore(account)).forget()


def credential_for(account: AccountConfig) -> OAuth2Credential:
    """The credential to log in with now."""
    tokens = tokens_for(account)
    return OAuth2Credential(tokens, tokens.generation)
