"""The domain's own autoconfig file (Thunderbird's clientConfig v1.1 XML) over HTTPS.

Asked at ``https://autoconfig.<domain>/mail/config-v1.1.xml`` and
``https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml``. Only HTTPS
with the certificate verified (a redirect is followed only to HTTPS), at most
:data:`MAX_BYTES` read, within the caller's deadline. The XML is parsed with
defusedxml and no DTD at all, so an entity bomb or an external entity is
refused before it expands. A server the file says to reach in plain text is
never proposed: autoconfig may choose among TLS servers, never switch TLS off.
Everything here came from the network: hosts are checked, strings capped, and
the UI sanitises what it shows.
"""

from __future__ import annotations

import http.client
import re
import ssl
import time
import urllib.parse
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeXML
from defusedxml import DefusedXmlException

from tui_mail.backend.api.setup import AccountProposal, AuthKind, Protocol, Security, ServerProposal

PATHS = ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml")
#: Real files are a few kB; anything near this is not one.
MAX_BYTES = 256 * 1024
MAX_REDIRECTS = 3
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*$")
_SECURITY: dict[str, Security] = {"SSL": "tls", "TLS": "tls", "STARTTLS": "starttls"}
_DEFAULT_PORTS = {"imap": {"tls": 993, "starttls": 143}, "pop3": {"tls": 995, "starttls": 110}}
_DEFAULT_PORTS["smtp"] = {"tls": 465, "starttls": 587}
#: OAuth2 is proposed only where we know the provider (a client id is per provider).
_OAUTH2_HOSTS = (
    (("gmail.com", "googlemail.com", "google.com"), "google"),
    (("office365.com", "outlook.com"), "microsoft"),
)


def urls(domain: str, base: str | None) -> list[str]:
    """The two places to ask, in order; ``base`` (tests: ``https://127.0.0.1:P/{domain}``)
    replaces the scheme and host part of both."""
    if base is None:
        return [f"https://autoconfig.{domain}{PATHS[0]}", f"https://{domain}{PATHS[1]}"]
    root = base.format(domain=domain).rstrip("/")
    return [root + path for path in PATHS]


def fetch(url: str, context: ssl.SSLContext | None, end: float) -> bytes | None:
    """The body at ``url`` (HTTPS only, verified, bounded), or None: not there, too big, late."""
    context = context or ssl.create_default_context()
    for _ in range(MAX_REDIRECTS + 1):
        parts = urllib.parse.urlsplit(url)
        left = end - time.monotonic()
        if parts.scheme != "https" or not parts.hostname or left <= 0:
            return None  # plain HTTP (a redirect to it, too) is never asked
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port or 443, timeout=left, context=context
        )
        try:
            connection.request(
                "GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            )
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                url = urllib.parse.urljoin(url, response.getheader("Location") or "")
                continue
            if response.status != 200:
                return None
            return _read_bounded(response, end)
        except (OSError, http.client.HTTPException, ValueError):
            return None
        finally:
            connection.close()
    return None


def _read_bounded(response: http.client.HTTPResponse, end: float) -> bytes | None:
    """At most MAX_BYTES of the body, read piecewise so a trickling server meets the deadline."""
    length = response.getheader("Content-Length")
    if length is not None and length.isdigit() and int(length) > MAX_BYTES:
        return None
    data = bytearray()
    while len(data) <= MAX_BYTES:
        if time.monotonic() > end:
            return None
        chunk = response.read1(16384)
        if not chunk:
            return bytes(data)
        data += chunk
    return None


def _text(element: Element, name: str, limit: int = 253) -> str:
    found = element.find(name)
    return (found.text or "").strip()[:limit] if found is not None else ""


def _username(template: str, email: str) -> str:
    local, _, domain = email.partition("@")
    name = (
        template.replace("%EMAILADDRESS%", email)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", domain)
    )
    return email if not name or "%" in name else name[:320]


def _server(element: Element, protocol: Protocol, email: str, source: str) -> ServerProposal | None:
    """One ``incomingServer``/``outgoingServer``, or None when unusable or in plain text."""
    host = _text(element, "hostname")
    security = _SECURITY.get(_text(element, "socketType").upper())
    if security is None or not _HOST.match(host):
        return None  # "plain" (or unknown) never becomes a proposal
    port_text = _text(element, "port")
    port = int(port_text) if port_text.isdigit() else 0
    if not 0 < port < 65536:
        port = _DEFAULT_PORTS[protocol][security]
    methods = {(a.text or "").strip() for a in element.findall("authentication")}
    auth: AuthKind = "xoauth2" if "OAuth2" in methods and _oauth2_provider(host) else "password"
    return ServerProposal(
        protocol,
        host,
        port,
        security,
        _username(_text(element, "username"), email),
        auth,
        True,
        source,
    )


def _oauth2_provider(host: str) -> str | None:
    host = host.lower()
    for suffixes, provider in _OAUTH2_HOSTS:
        if any(host == s or host.endswith("." + s) for s in suffixes):
            return provider
    return None


def parse(data: bytes, email: str, url: str) -> AccountProposal | None:
    """The proposal a clientConfig file makes for ``email``; None when it has no usable TLS server.

    A DTD (hence any entity) or malformed XML is refused: None.
    """
    try:
        root = SafeXML.fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        return None
    provider = root.find("emailProvider")
    if root.tag != "clientConfig" or provider is None:
        return None
    source = f"autoconfig {url[:200]}"
    incoming: ServerProposal | None = None
    # IMAP before POP3 whatever the file's order; within each, the file's order.
    for protocol in ("imap", "pop3"):
        for element in provider.findall("incomingServer"):
            if incoming is None and element.get("type") == protocol:
                incoming = _server(element, protocol, email, source)
    if incoming is None:
        return None
    smtp = next(
        (
            found
            for element in provider.findall("outgoingServer")
            if element.get("type") == "smtp"
            and (found := _server(element, "smtp", email, source)) is not None
        ),
        None,
    )
    name = _text(provider, "displayName", 100)
    return AccountProposal(
        email=email,
        incoming=incoming,
        smtp=smtp,
        oauth2_provider=_oauth2_provider(incoming.host) if incoming.auth != "password" else None,
        password_hint="",
        display_name_hint="",
        notes=(f"Provider: {name}.",) if name else (),
    )


def look_up(
    url: str, email: str, context: ssl.SSLContext | None, end: float
) -> AccountProposal | None:
    """Fetch and parse one autoconfig URL (blocking; run it on a thread)."""
    data = fetch(url, context, end)
    return parse(data, email, url) if data is not None else None
