"""RFC 8058 one-click unsubscribe: the only request tui-mail ever makes to a URL from a mail.

It runs only after the user said yes to the question naming the address, and
on a thread (the UI calls it with ``asyncio.to_thread``), never on the event
loop. The rules: ``https://`` only (a redirect to anything else is refused, and
at most :data:`MAX_REDIRECTS` are followed), the certificate verified (the
trust ``context`` is a parameter so tests can trust their own CA), a short
timeout, no cookies or credentials, the body exactly ``List-Unsubscribe=One-Click``,
and at most :data:`MAX_ANSWER` bytes of the answer read (and never shown).
"""

from __future__ import annotations

import http.client
import ssl
import urllib.parse
from dataclasses import dataclass

from tui_mail.errors import ConnectionLost, MailError

TIMEOUT = 10.0
"""Seconds for connecting and for each read."""
MAX_REDIRECTS = 3
MAX_ANSWER = 64 * 1024
BODY = b"List-Unsubscribe=One-Click"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class UnsubscribeOutcome:
    """The answer that ended the exchange: where (host) and what (status and reason)."""

    host: str
    status: int
    reason: str

    def describe(self) -> str:
        """``lists.example.org answered 200 OK`` (the caller sanitises before showing)."""
        return f"{self.host} answered {self.status} {self.reason}".strip()


def _split(url: str) -> tuple[str, int, str]:
    """(host, port, path with query) of an ``https://`` URL; MailError for anything else."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise MailError("refused: not an https:// address", url[:200])
    if parts.username or parts.password:
        raise MailError("refused: the address carries a user name or password", parts.hostname)
    try:
        port = parts.port or 443
    except ValueError:
        raise MailError("refused: the address has a bad port", url[:200]) from None
    path = parts.path or "/"
    return parts.hostname, port, path + (f"?{parts.query}" if parts.query else "")


def _post_once(
    url: str, context: ssl.SSLContext, timeout: float
) -> tuple[UnsubscribeOutcome, str | None]:
    """One POST; the outcome and the redirect target (None when it is not a redirect)."""
    host, port, path = _split(url)
    connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    try:
        connection.request(
            "POST",
            path,
            body=BODY,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "tui-mail",
                "Content-Length": str(len(BODY)),
            },
        )
        response = connection.getresponse()
        response.read(MAX_ANSWER)
        outcome = UnsubscribeOutcome(host, response.status, response.reason or "")
        location = response.getheader("Location") if response.status in _REDIRECTS else None
    except ssl.SSLCertVerificationError as exc:
        raise MailError(f"{host}: the certificate does not verify", exc.verify_message) from None
    except (OSError, http.client.HTTPException) as exc:
        raise ConnectionLost(f"cannot reach {host}", type(exc).__name__) from None
    finally:
        connection.close()
    return outcome, urllib.parse.urljoin(url, location) if location else None


def one_click_unsubscribe(
    url: str,
    *,
    context: ssl.SSLContext | None = None,
    timeout: float = TIMEOUT,
) -> UnsubscribeOutcome:
    """POST ``List-Unsubscribe=One-Click`` to ``url`` (blocking: call it on a thread).

    Returns the final answer when it is a success (2xx); raises MailError for a
    refusal (4xx/5xx), a non-https URL or redirect, too many redirects or a
    certificate that does not verify, and ConnectionLost when the host cannot be reached.
    """
    trust = context or ssl.create_default_context()
    for _hop in range(MAX_REDIRECTS + 1):
        outcome, redirect = _post_once(url, trust, timeout)
        if redirect is None:
            if 200 <= outcome.status < 300:
                return outcome
            raise MailError("the list refused to unsubscribe", outcome.describe())
        if urllib.parse.urlsplit(redirect).scheme.lower() != "https":
            raise MailError("refused a redirect away from https://", redirect[:200])
        url = redirect
    raise MailError("too many redirects", f"more than {MAX_REDIRECTS}")
