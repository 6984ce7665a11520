"""The few HTTP requests OAuth2 needs (token, device and discovery endpoints), on urllib.

Every request is checked first (``https://``, or ``http://`` to a loopback host),
has a timeout, and fails as a ``tui_mail.errors`` error: :class:`OAuth2Error`
with the provider's ``error`` and ``error_description`` (Microsoft puts its
AADSTS code there), or ConnectionLost when the endpoint cannot be reached.
Bodies are never logged: they hold tokens and codes.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from tui_mail.errors import AuthError, ConnectionLost
from tui_mail.oauth2_config import check_endpoint

TIMEOUT = 30.0
#: The most we read of an answer: a token response is a few kB.
MAX_BODY = 1024 * 1024
USER_AGENT = "tui-mail"


class OAuth2Error(AuthError):
    """The provider refused a request: ``error`` (e.g. ``invalid_grant``) and its description."""

    def __init__(self, error: str, description: str = "", summary: str = "") -> None:
        self.error = error
        self.description = description
        words = f"{error}: {description}" if description else error
        super().__init__(summary or "OAuth2 sign-in failed", words)


class SignInNeeded(OAuth2Error):
    """The refresh token is gone or refused (``invalid_grant``): the user must sign in again."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(error, description, summary="OAuth2 sign-in expired or revoked")
        # The worker shows ``details`` as the account's state: say what to do first.
        self.details = f"needs sign-in ({self.details})"


def post_form(url: str, fields: Mapping[str, str], timeout: float = TIMEOUT) -> dict[str, Any]:
    """POST ``fields`` form-encoded to ``url``; the JSON object answered.

    A 4xx/5xx answer with an OAuth2 error body raises OAuth2Error (SignInNeeded for
    ``invalid_grant``); the device flow's ``authorization_pending`` and ``slow_down``
    come back the same way, as OAuth2Error, for the caller to tell apart.
    """
    body = urllib.parse.urlencode(fields).encode("ascii")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        },
    )
    return _send(request, url, timeout)


def get_json(url: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """GET ``url`` (a discovery document); the JSON object answered."""
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": USER_AGENT}
    )
    return _send(request, url, timeout)


def _send(request: urllib.request.Request, url: str, timeout: float) -> dict[str, Any]:
    problem = check_endpoint(url)
    if problem:
        raise OAuth2Error("invalid_endpoint", problem)
    where = urllib.parse.urlsplit(url).netloc
    try:
        with _opener().open(request, timeout=timeout) as response:
            return _json(response.read(MAX_BODY), where)
    except urllib.error.HTTPError as exc:
        try:
            answer = _json(exc.read(MAX_BODY), where)
        except OAuth2Error:
            answer = {}
        finally:
            exc.close()
        raise _error_from(answer, f"http_{exc.code}", f"{where} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConnectionLost(f"cannot reach {where}", str(reason)) from None


def _opener() -> urllib.request.OpenerDirector:
    # No redirects: a token endpoint that redirects could send our POST elsewhere.
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(NoRedirect)


def _json(raw: bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise OAuth2Error("invalid_response", f"{where} did not answer with JSON") from None
    if not isinstance(value, dict):
        raise OAuth2Error("invalid_response", f"{where} did not answer with a JSON object")
    return value


def _error_from(answer: Mapping[str, Any], fallback: str, fallback_text: str) -> OAuth2Error:
    error = str(answer.get("error") or fallback)
    description = str(
        answer.get("error_description") or ("" if "error" in answer else fallback_text)
    )
    if error == "invalid_grant":
        return SignInNeeded(error, description)
    return OAuth2Error(error, description)


def error_from(answer: Mapping[str, Any]) -> OAuth2Error:
    """The error an OAuth2 error object stands for (a redirect's query, a JSON body)."""
    return _error_from(answer, "unknown_error", "")
