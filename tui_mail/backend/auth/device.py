"""The device authorization grant (RFC 8628): a code to enter on another device.

Polling honours the server's ``interval`` (5 s when it names none), adds 5 s on
every ``slow_down`` (section 3.5), and ends on ``expired_token``,
``access_denied`` or the code's ``expires_in``. The user code is shown; the
device code is a secret and never is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from tui_mail.backend.auth.http import OAuth2Error, post_form
from tui_mail.backend.auth.tokens import client_secret
from tui_mail.oauth2_config import OAuth2Config

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5.0
SLOW_DOWN_STEP = 5.0


def device_flow(
    config: OAuth2Config,
    show: Callable[[str], None],
    *,
    cancel: threading.Event | None = None,
    sleep: Callable[[float], object] | None = None,
) -> dict[str, Any]:
    """Run the device flow to its end; the token response (OAuth2Error on refusal)."""
    if not config.device_allowed or not config.device_authorization_endpoint:
        raise OAuth2Error("unsupported_flow", f"{config.provider} offers no device flow for mail")
    fields = {"client_id": config.client_id, "scope": " ".join(config.scopes)}
    secret = client_secret(config)
    if secret:
        fields["client_secret"] = secret
    started = post_form(config.device_authorization_endpoint, fields)
    device_code = str(started.get("device_code") or "")
    user_code = str(started.get("user_code") or "")
    # Google names it verification_url; RFC 8628 verification_uri.
    uri = str(started.get("verification_uri") or started.get("verification_url") or "")
    if not device_code or not user_code or not uri:
        raise OAuth2Error("invalid_response", "the device endpoint's answer is incomplete")
    show(f"To sign in, open {uri} and enter the code {user_code}")
    complete = started.get("verification_uri_complete")
    if isinstance(complete, str) and complete:
        show(f"(or open {complete})")
    interval = _number(started.get("interval"), DEFAULT_INTERVAL)
    deadline = time.monotonic() + _number(started.get("expires_in"), 900.0)
    wait = sleep or (cancel.wait if cancel is not None else time.sleep)
    poll = {**fields, "grant_type": GRANT_TYPE, "device_code": device_code}
    while True:
        wait(interval)
        if cancel is not None and cancel.is_set():
            raise OAuth2Error("cancelled", "the sign-in was cancelled")
        if time.monotonic() > deadline:
            raise OAuth2Error("expired_token", "the code expired before it was entered")
        try:
            return post_form(config.token_endpoint, poll)
        except OAuth2Error as exc:
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":
                interval += SLOW_DOWN_STEP
                continue
            raise  # expired_token, access_denied and anything else end the flow


def _number(value: object, default: float) -> float:
    try:
        return max(1.0, float(str(value))) if value is not None else default
    except ValueError:
        return default
