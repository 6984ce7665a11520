"""A real OAuth2 authorization server on 127.0.0.1 for the tests, built from authlib's server parts.

Authorization code with PKCE (S256, required for every client), refresh tokens
rotated on each use (the old one dies at once), the device grant (RFC 8628),
and JWT access tokens (HS256, header ``typ: JWT``, ``sub``/``email``/``exp``)
that Dovecot's ``oauth2`` passdb and the aiosmtpd handlers validate with the key
it writes to ``keys_dir/default/HS256/default``. Switches: ``invalid_grant``
(every refresh refused, as after a revocation), ``slow_down_polls`` (the next N
device polls answer ``slow_down``), ``deny_device``.

The test plays the user: ``/authorize`` approves at once and redirects to the
client's loopback listener; :meth:`OAuthServer.approve` approves a device code.
Every token handed out is recorded in :attr:`issued` so a test can grep logs
for them.
"""

from __future__ import annotations

import base64
import http.server
import json
import logging
import os
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authlib.oauth2 import rfc6749, rfc7636, rfc8628
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from joserfc import jwt
from joserfc.jwk import OctKey

# authlib refuses http:// unless told; this server is loopback only.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
# authlib logs issued tokens at DEBUG: never let them into a test's captured logs.
logging.getLogger("authlib").setLevel(logging.WARNING)

CLIENT_ID = "tui-mail-test-client"


@dataclass
class _Client(rfc6749.ClientMixin):
    client_id: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return "http://127.0.0.1/"

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # RFC 8252 section 7.3: any port on the loopback address.
        parts = urllib.parse.urlsplit(redirect_uri)
        return parts.scheme == "http" and parts.hostname == "127.0.0.1"

    def check_client_secret(self, client_secret: str) -> bool:
        return False  # a public client

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return True


@dataclass
class _Code(rfc6749.AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: str
    code_challenge: str
    code_challenge_method: str

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class _Refresh(rfc6749.TokenMixin):
    token: str
    client_id: str
    scope: str
    user: str
    revoked: bool = False

    def check_client(self, client: _Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return 0

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> str:
        return self.user


@dataclass
class _Request:
    method: str
    uri: str
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)


class _Payload(rfc6749.OAuth2Payload):
    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    @property
    def data(self) -> dict[str, str]:
        return self._values

    @property
    def datalist(self) -> dict[str, list[str]]:
        return {k: [v] for k, v in self._values.items()}


class _OAuth2Request(rfc6749.OAuth2Request):
    def __init__(self, raw: _Request) -> None:
        super().__init__(raw.method, raw.uri, headers=raw.headers)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(raw.uri).query))
        self._args, self._form = query, raw.form
        self.payload = _Payload({**query, **raw.form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _AuthServer(rfc6749.AuthorizationServer):
    def __init__(self, owner: OAuthServer) -> None:
        super().__init__()
        self.owner = owner

    def query_client(self, client_id: str) -> _Client | None:
        return _Client(client_id) if client_id == self.owner.client_id else None

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        owner = self.owner
        user = request.user if isinstance(request.user, str) else owner.email
        with owner.lock:
            owner.issued.append(token["access_token"])
            if "refresh_token" in token:
                owner.issued.append(token["refresh_token"])
                owner.refresh[token["refresh_token"]] = _Refresh(
                    token["refresh_token"], owner.client_id, token.get("scope", ""), user
                )

    def create_oauth2_request(self, request: _Request) -> _OAuth2Request:
        return _OAuth2Request(request)

    def create_json_request(self, request: _Request) -> Any:
        raise NotImplementedError("no JSON endpoints here")

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, Any]:
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


class _CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        owner: OAuthServer = self.server.owner
        data = request.payload.data
        owner.issued.append(code)
        owner.codes[code] = _Code(
            code,
            request.client.client_id,
            data["redirect_uri"],
            data.get("scope", ""),
            request.user,
            data.get("code_challenge", ""),
            data.get("code_challenge_method", ""),
        )

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        return self.server.owner.codes.get(code)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        self.server.owner.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: _Code) -> str:
        self.server.owner.pkce_verified += 1  # reached only once the verifier matched
        return authorization_code.user


class _RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation

    def authenticate_refresh_token(self, refresh_token: str) -> _Refresh | None:
        owner: OAuthServer = self.server.owner
        found = owner.refresh.get(refresh_token)
        if owner.invalid_grant or found is None or found.revoked:
            return None  # authlib answers invalid_grant
        return found

    def authenticate_user(self, refresh_token: _Refresh) -> str:
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: _Refresh) -> None:
        refresh_token.revoked = True


class _DeviceGrant(rfc8628.DeviceCodeGrant):
    def query_device_credential(self, device_code: str) -> Any:
        return self.server.owner.devices.get(device_code)

    def query_user_grant(self, user_code: str) -> tuple[str, bool] | None:
        return self.server.owner.user_grants.get(user_code)

    def should_slow_down(self, credential: Any) -> bool:
        owner: OAuthServer = self.server.owner
        with owner.lock:
            if owner.slow_down_polls > 0:
                owner.slow_down_polls -= 1
                return True
        return False


class _DeviceEndpoint(rfc8628.DeviceAuthorizationEndpoint):
    INTERVAL = 1  # the tests wait; real servers say 5

    def get_verification_uri(self) -> str:
        return self.server.owner.url + "/device/verify"

    def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
        credential = rfc8628.DeviceCredentialDict(
            {**data, "client_id": client_id, "scope": scope, "expires_at": time.time() + 600}
        )
        self.server.owner.devices[data["device_code"]] = credential
        self.server.owner.issued.append(data["device_code"])


def write_key(keys_dir: Path, key: bytes) -> None:
    """Put ``key`` where Dovecot looks: base64 in ``keys/<azp>/<alg>/<kid>`` (defaults)."""
    target = keys_dir / "default" / "HS256"
    target.mkdir(parents=True, exist_ok=True)
    for path in (keys_dir, keys_dir / "default", target):
        path.chmod(0o755)
    (target / "default").write_text(base64.b64encode(key).decode("ascii"))
    (target / "default").chmod(0o644)


class OAuthServer:
    """The authorization server (see the module docstring). Use as a context manager."""

    def __init__(
        self, email: str, keys_dir: Path, *, access_lifetime: int = 3600, key: bytes | None = None
    ) -> None:
        self.email = email
        self.client_id = CLIENT_ID
        self.access_lifetime = access_lifetime
        self.lock = threading.Lock()
        self.key = key or secrets.token_bytes(32)
        self.codes: dict[str, _Code] = {}
        self.refresh: dict[str, _Refresh] = {}
        self.devices: dict[str, Any] = {}
        self.user_grants: dict[str, tuple[str, bool]] = {}
        self.issued: list[str] = []
        """Every access and refresh token handed out (for the log grep)."""
        self.pkce_verified = 0
        self.invalid_grant = False
        self.slow_down_polls = 0
        self.deny_device = False
        self.polls = 0
        self.bad_access_tokens = False
        """True: access tokens are signed with another key (every server refuses them)."""
        write_key(keys_dir, self.key)
        self.auth = _AuthServer(self)
        self.auth.register_token_generator(
            "default",
            BearerTokenGenerator(
                self._access_token,
                lambda *a, **k: secrets.token_urlsafe(32),
                lambda client, grant_type: self.access_lifetime,
            ),
        )
        self.auth.register_grant(_CodeGrant, [rfc7636.CodeChallenge(required=True)])
        self.auth.register_grant(_RefreshGrant)
        self.auth.register_grant(_DeviceGrant)
        self.auth.register_endpoint(_DeviceEndpoint)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def _access_token(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        now = int(time.time())
        claims = {
            "sub": self.email,
            "email": self.email,
            "iat": now,
            "exp": now + self.access_lifetime,
            "scope": scope or "",
            # Unique even within one second: a refresh must be told from the token it replaces.
            "jti": secrets.token_hex(8),
        }
        key = secrets.token_bytes(32) if self.bad_access_tokens else self.key
        return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, OctKey.import_key(key))

    def validate(self, token: str, user: str) -> bool:
        """True for an unexpired token of ours issued to ``user`` (the SMTP handlers use it)."""
        try:
            claims = jwt.decode(token, OctKey.import_key(self.key)).claims
        except Exception:
            return False
        return claims.get("email") == user and int(claims.get("exp", 0)) > time.time()

    # ---------------------------------------------------------------- the user's part

    def revoke_all(self) -> None:
        """Revoke every refresh token handed out so far (a new sign-in gets a working one)."""
        with self.lock:
            for token in self.refresh.values():
                token.revoked = True

    def approve(self, user_code: str, approved: bool = True) -> None:
        """The user entered ``user_code`` at the verification URI and said yes (or no)."""
        self.user_grants[user_code] = (self.email, approved)

    @property
    def endpoints(self) -> dict[str, str]:
        """The config keys of a ``generic`` provider pointing here."""
        return {
            "authorization_endpoint": self.url + "/authorize",
            "token_endpoint": self.url + "/token",
            "device_authorization_endpoint": self.url + "/device",
        }

    def oauth2_toml(self, flow: str = "auto") -> str:
        """An ``[accounts.X.oauth2]`` table body for this server."""
        lines = [
            'provider = "generic"',
            f'client_id = "{self.client_id}"',
            'scopes = ["mail"]',
            f'flow = "{flow}"',
        ]
        lines += [f'{k} = "{v}"' for k, v in self.endpoints.items()]
        return "\n".join(lines) + "\n"

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, daemon=True, name="oauth-test-server"
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> OAuthServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler(owner: OAuthServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _request(self) -> _Request:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            return _Request(
                self.command,
                owner.url + self.path,
                dict(self.headers),
                dict(urllib.parse.parse_qsl(body)),
            )

        def do_GET(self) -> None:
            request = self._request()
            if self.path.startswith("/authorize"):
                try:
                    grant = owner.auth.get_consent_grant(request, end_user=owner.email)
                except rfc6749.OAuth2Error as exc:
                    self._send(exc.status_code, dict(exc.get_body()), {})
                    return
                self._send(
                    *owner.auth.create_authorization_response(
                        request, grant_user=owner.email, grant=grant
                    )
                )
                return
            self._send(404, {"error": "not_found"}, {})

        def do_POST(self) -> None:
            request = self._request()
            if self.path == "/token":
                if request.form.get("grant_type", "").endswith("device_code"):
                    owner.polls += 1
                self._send(*owner.auth.create_token_response(request))
            elif self.path == "/device":
                self._send(*owner.auth.create_endpoint_response("device_authorization", request))
            else:
                self._send(404, {"error": "not_found"}, {})

        def _send(self, status: int, body: Any, headers: Any) -> None:
            data = (
                json.dumps(body).encode()
                if isinstance(body, (dict, list))
                else str(body or "").encode()
            )
            self.send_response(status)
            for name, value in dict(headers).items() if isinstance(headers, dict) else headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            if not any(
                n.lower() == "content-type"
                for n, _ in (headers.items() if isinstance(headers, dict) else headers)
            ):
                self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # request lines carry codes

    return Handler
