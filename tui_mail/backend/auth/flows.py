"""The authorization-code flows: PKCE S256 + ``state``, loopback redirect (RFC 8252) or paste.

Loopback: a one-shot HTTP listener on 127.0.0.1 and a random port receives the
browser's redirect; a request whose ``state`` is not ours is refused (400) and
the listener goes on waiting for the real one. Paste: the same authorize URL
with a redirect to a loopback port where nothing listens; the user copies the
address the browser ends on (works over ssh). Either way the code is exchanged
with its PKCE verifier. Codes, verifiers and tokens are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui_mail.backend.auth.http import OAuth2Error, error_from, post_form
from tui_mail.backend.auth.tokens import client_secret
from tui_mail.oauth2_config import OAuth2Config

LOOPBACK = "127.0.0.1"
#: How long the loopback listener waits for the browser.
LOOPBACK_TIMEOUT = 300.0
_PAGE = "<!doctype html><title>tui-mail</title><p>{text}</p>"


@dataclass(frozen=True)
class Pkce:
    """A PKCE verifier (secret, never shown) and its S256 challenge (RFC 7636)."""

    verifier: str = field(repr=False)
    challenge: str

    @classmethod
    def make(cls) -> Pkce:
        """A fresh verifier of 64 URL-safe characters and its challenge."""
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"))


def authorize_url(config: OAuth2Config, redirect_uri: str, state: str, pkce: Pkce) -> str:
    """The URL the user opens to sign in and consent."""
    params = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(config.scopes),
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        **dict(config.extra_authorize_params),
    }
    if config.login_hint:
        params["login_hint"] = config.login_hint
    joiner = "&" if "?" in config.authorization_endpoint else "?"
    return config.authorization_endpoint + joiner + urllib.parse.urlencode(params)


def exchange_code(config: OAuth2Config, code: str, redirect_uri: str, pkce: Pkce) -> dict[str, Any]:
    """POST the code and its verifier to the token endpoint; the token response."""
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": config.client_id,
        "code_verifier": pkce.verifier,
    }
    secret = client_secret(config)
    if secret:
        fields["client_secret"] = secret
    return post_form(config.token_endpoint, fields)


def code_from_redirect(query: dict[str, list[str]], state: str) -> str:
    """The code of a redirect's query; OAuth2Error for an error, a wrong state or no code."""
    values = {k: v[0] for k, v in query.items() if v}
    if not secrets.compare_digest(values.get("state", ""), state):
        raise OAuth2Error("state_mismatch", "the redirect's state is not this sign-in's; refused")
    if "error" in values:
        raise error_from(values)
    code = values.get("code", "")
    if not code:
        raise OAuth2Error("invalid_response", "the redirect carries no code")
    return code


class _Listener(http.server.HTTPServer):
    """Holds what the handler found: the code, or the provider's error."""

    def __init__(self, state: str) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.state = state
        self.code: str | None = None
        self.error: OAuth2Error | None = None
        self.refused = 0


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Listener

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        try:
            self.server.code = code_from_redirect(query, self.server.state)
        except OAuth2Error as exc:
            if exc.error == "state_mismatch":
                self.server.refused += 1
                self._answer(400, "This sign-in was not started here; refused.")
                return
            self.server.error = exc
            self._answer(400, f"Sign-in failed: {exc.error}. You can close this window.")
            return
        self._answer(200, "Signed in to tui-mail. You can close this window.")

    def _answer(self, status: int, text: str) -> None:
        body = _PAGE.format(text=text).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line holds the authorization code."""


Show = Callable[[str], None]
OpenBrowser = Callable[[str], object]


def open_in_thread(open_browser: OpenBrowser, url: str) -> None:
    """Open the browser from a thread of its own: ``webbrowser`` may block for seconds."""
    threading.Thread(target=open_browser, args=(url,), name="oauth2-browser", daemon=True).start()


def loopback_flow(
    config: OAuth2Config,
    show: Show,
    open_browser: OpenBrowser,
    *,
    timeout: float = LOOPBACK_TIMEOUT,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Sign in through the browser and a loopback redirect; the token response."""
    state, pkce = secrets.token_urlsafe(24), Pkce.make()
    listener = _Listener(state)
    try:
        redirect_uri = f"http://{LOOPBACK}:{listener.server_address[1]}/"
        url = authorize_url(config, redirect_uri, state, pkce)
        show(f"Open this address to sign in (a browser is being opened):\n{url}")
        open_in_thread(open_browser, url)
        listener.timeout = 0.5
        deadline = time.monotonic() + timeout
        while listener.code is None and listener.error is None:
            if time.monotonic() > deadline:
                raise OAuth2Error("timeout", f"no answer from the browser in {timeout:.0f} s")
            if cancel is not None and cancel.is_set():
                raise OAuth2Error("cancelled", "the sign-in was cancelled")
            listener.handle_request()
    finally:
        listener.server_close()
    if listener.error is not None:
        raise listener.error
    assert listener.code is not None
    return exchange_code(config, listener.code, redirect_uri, pkce)


def paste_flow(config: OAuth2Config, show: Show, ask: Callable[[str], str]) -> dict[str, Any]:
    """Sign in in any browser; the user pastes the address it was sent back to."""
    state, pkce = secrets.token_urlsafe(24), Pkce.make()
    with socket.socket() as probe:  # a port nothing listens on: the browser stops there
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    redirect_uri = f"http://{LOOPBACK}:{port}/"
    url = authorize_url(config, redirect_uri, state, pkce)
    show(
        "Open this address in a browser and sign in:\n"
        f"{url}\n"
        "The browser then fails to load a 127.0.0.1 page: copy that page's whole address."
    )
    pasted = ask("Paste the address here: ").strip()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(pasted).query)
    code = code_from_redirect(query, state)
    return exchange_code(config, code, redirect_uri, pkce)
