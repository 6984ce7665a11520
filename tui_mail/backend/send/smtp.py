"""SMTP delivery (smtplib): connect, TLS, AUTH, hand over one message (DESIGN.md section 7).

:func:`open_smtp` is the one way this app opens an SMTP connection: sending
(:func:`deliver`) and ``tui-mail check`` both call it, so check tests exactly
what sending will do. Its rules, the same as IMAP's (``imap.session``):

- trust: the system CA store plus the account's ``ca_file`` when set, or exactly
  the pinned certificate (``cert_fingerprint``; ``auth.tls.make_ssl_context``);
- TLS: ``security = "tls"`` or ``"starttls"`` (STARTTLS required once configured,
  never a silent fall back to plain text); ``"none"`` only to loopback or with
  ``allow_insecure``;
- AUTH: only when the server has a username (it defaults to the IMAP username,
  which defaults to the email; ``username = ""`` means the server takes mail
  without a login), with UTF-8 credentials, and a password goes in clear only to
  loopback or with ``allow_insecure``.

Every failure is a :class:`DeliveryError` naming the step (connect, tls, auth,
rcpt, data) and whether it is permanent (5xx, untrusted certificate, bad
configuration) or may pass by itself (4xx, connection trouble). The outbox steps
around delivery live in ``send.pipeline``.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from tui_mail.backend.auth.http import OAuth2Error
from tui_mail.backend.auth.sasl import MECHANISMS, SaslExchange, authenticate
from tui_mail.backend.auth.tls import make_ssl_context
from tui_mail.backend.auth.tokens import Credential, OAuth2Credential
from tui_mail.config import ServerConfig, is_loopback_host
from tui_mail.errors import AuthError, ConnectionLost, SendError

DEFAULT_TIMEOUT = 30.0

_STEP_SUMMARY = {
    "connect": "Cannot connect to the SMTP server",
    "tls": "Secure connection to the SMTP server failed",
    "auth": "The SMTP server refused the login",
    "rcpt": "The SMTP server refused the sender or recipients",
    "data": "The SMTP server did not take the message",
}


class DeliveryError(SendError):
    """A failed delivery: ``step`` as in SendError, plus the SMTP ``code`` and ``permanent``.

    ``permanent`` means retrying unchanged will fail again (a 5xx reply, an untrusted
    certificate, a refused configuration); a 4xx reply or a dropped connection is
    temporary and the outbox retries it with backoff.
    """

    def __init__(
        self,
        summary: str,
        details: str = "",
        step: str = "smtp",
        *,
        code: int | None = None,
        permanent: bool = False,
    ) -> None:
        super().__init__(summary, details, step)
        self.code = code
        self.permanent = permanent


class SmtpAuthError(DeliveryError, AuthError):
    """The server refused the credentials: ask for the password, do not retry."""


#: Hears each finished step of :func:`open_smtp`, with the client: "connect", "tls"
#: (not for ``security = "none"``), "ehlo", then "auth" (logged in) or "no-auth".
OnStep = Callable[[str, smtplib.SMTP], None]


class _Step:
    """The step running now, so one translation names where a failure happened."""

    def __init__(self, name: str) -> None:
        self.name = name


def needs_login(server: ServerConfig) -> bool:
    """True when this app logs in to ``server``: a username is configured.

    The username defaults to the IMAP one (itself the email address), so this is
    the normal case; ``username = ""`` is how a relay that takes mail without a
    login is configured. An offered AUTH alone is no reason to log in (a relay
    offers it to others), and logging in without a username cannot work.
    """
    return bool(server.username)


def open_smtp(
    server: ServerConfig,
    password: Credential | None,
    *,
    allow_insecure: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    local_hostname: str | None = None,
    on_step: OnStep | None = None,
) -> smtplib.SMTP:
    """Connect, TLS as ``server.security`` says, EHLO, AUTH; the caller owns the client.

    The rules are the module docstring's. ``password`` is used only when
    :func:`needs_login`. Raises DeliveryError on any failure, the connection
    closed. Close a returned client with :func:`close_smtp`.
    """
    loopback = is_loopback_host(server.host)
    if server.security == "none" and not (loopback or allow_insecure):
        raise DeliveryError(
            "Refusing to send without TLS",
            f"{server.host}: security = none is allowed only to localhost or with allow_insecure",
            step="tls",
            permanent=True,
        )
    step = _Step("connect")
    client: smtplib.SMTP | None = None
    try:
        with _translated(step):
            client = _connect(server, timeout, local_hostname)
            _tell(on_step, "connect", client)
            step.name = "tls"
            if server.security == "starttls":
                _start_tls(client, server)
            if server.security != "none":
                _tell(on_step, "tls", client)
            step.name = "connect"  # a failed EHLO is a server we could not talk to
            client.ehlo_or_helo_if_needed()
            _tell(on_step, "ehlo", client)
            step.name = "auth"
            if not needs_login(server):
                _tell(on_step, "no-auth", client)
                return client
            secure = isinstance(client.sock, ssl.SSLSocket) or loopback or allow_insecure
            if server.uses_oauth2 or isinstance(password, OAuth2Credential):
                _login_oauth2(client, server, password, secure=secure)
            else:
                _login(client, server, password, secure=secure)
            _tell(on_step, "auth", client)
            return client
    except BaseException:
        if client is not None:
            close_smtp(client)
        raise


def deliver(
    server: ServerConfig,
    password: Credential | None,
    message_bytes: bytes,
    mail_from: str,
    rcpt_to: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    local_hostname: str | None = None,
    allow_insecure: bool = False,
) -> None:
    """Hand ``message_bytes`` to ``server`` for ``rcpt_to``; DeliveryError on any failure.

    Every recipient must be accepted: if the server refuses one, the transaction is
    reset and nothing is sent. The connection is :func:`open_smtp`'s.
    """
    if not rcpt_to:
        raise DeliveryError("The message has no recipients", step="rcpt", permanent=True)
    client = open_smtp(
        server,
        password,
        allow_insecure=allow_insecure,
        timeout=timeout,
        local_hostname=local_hostname,
    )
    step = _Step("rcpt")
    try:
        with _translated(step):
            _envelope(client, message_bytes, mail_from, rcpt_to)
            step.name = "data"
            code, reply = client.data(message_bytes)
            if code != 250:  # smtplib raises only when DATA itself is refused, not the message
                raise _from_reply("data", code, reply)
    finally:
        close_smtp(client)


def close_smtp(client: smtplib.SMTP) -> None:
    """QUIT, or just close when the server is gone already (nothing to report then)."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _tell(on_step: OnStep | None, name: str, client: smtplib.SMTP) -> None:
    if on_step is not None:
        on_step(name, client)


@contextmanager
def _translated(step: _Step) -> Iterator[None]:
    """smtplib/ssl/socket failures -> DeliveryError for the step running now."""
    try:
        yield
    except DeliveryError:
        raise
    except smtplib.SMTPResponseException as exc:
        raise _from_reply(step.name, exc.smtp_code, exc.smtp_error) from None
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(
            "The SMTP server's certificate is not trusted",
            exc.verify_message or str(exc),
            step="tls",
            permanent=True,
        ) from None
    except ssl.SSLError as exc:
        raise DeliveryError(_STEP_SUMMARY["tls"], str(exc), step="tls") from None
    except (smtplib.SMTPException, OSError) as exc:
        details = str(exc) or exc.__class__.__name__
        if step.name == "data":
            details += " (the server may or may not have received the message)"
        raise DeliveryError(_STEP_SUMMARY[step.name], details, step=step.name) from None


def _connect(server: ServerConfig, timeout: float, local_hostname: str | None) -> smtplib.SMTP:
    if server.security == "tls":
        return smtplib.SMTP_SSL(
            server.host,
            server.port,
            local_hostname=local_hostname,
            timeout=timeout,
            context=make_ssl_context(server.ca_file, server.cert_fingerprint),
        )
    return smtplib.SMTP(server.host, server.port, local_hostname=local_hostname, timeout=timeout)


def _start_tls(client: smtplib.SMTP, server: ServerConfig) -> None:
    client.ehlo()
    if not client.has_extn("starttls"):
        # Never fall back to plain text: that is what a downgrade attack looks like.
        raise DeliveryError(
            "The SMTP server does not offer STARTTLS",
            f"{server.host}:{server.port}",
            step="tls",
            permanent=True,
        )
    client.starttls(context=make_ssl_context(server.ca_file, server.cert_fingerprint))
    client.ehlo()


def _login(
    client: smtplib.SMTP, server: ServerConfig, password: str | None, *, secure: bool
) -> None:
    """AUTH PLAIN (else LOGIN) with UTF-8 credentials.

    Done by hand because ``smtplib.SMTP.login`` encodes the credentials as ASCII and
    raises UnicodeEncodeError on a password such as "pässword" (RFC 4616 says UTF-8).
    """
    # No password is checked first: then nothing could leak, and check.py relies on
    # an auth failure with no password being exactly this one.
    if password is None:
        raise SmtpAuthError(
            "No SMTP password is available", server.username, step="auth", permanent=True
        )
    if not secure:
        raise SmtpAuthError(
            "Refusing to send the password without TLS", server.host, step="auth", permanent=True
        )
    client.ehlo_or_helo_if_needed()
    mechanisms = client.esmtp_features.get("auth", "").upper().split()
    user, secret = server.username.encode("utf-8"), password.encode("utf-8")
    if "PLAIN" in mechanisms:
        code, reply = client.docmd("AUTH", "PLAIN " + _b64(b"\0" + user + b"\0" + secret))
    elif "LOGIN" in mechanisms:
        code, reply = client.docmd("AUTH", "LOGIN " + _b64(user))
        if code == 334:
            code, reply = client.docmd(_b64(secret))
    else:
        offered = " ".join(mechanisms) or "none"
        raise DeliveryError(
            "The SMTP server offers no usable login (PLAIN or LOGIN)",
            f"offered: {offered}",
            step="auth",
            permanent=True,
        )
    if code == 235:
        return
    error = _from_reply("auth", code, reply)
    if not error.permanent:
        raise error
    raise SmtpAuthError(error.summary, error.details, step="auth", code=code, permanent=True)


def _login_oauth2(
    client: smtplib.SMTP, server: ServerConfig, credential: Credential | None, *, secure: bool
) -> None:
    """AUTH XOAUTH2 or OAUTHBEARER (``server.auth``); a refused token is refreshed once.

    A token that cannot be had (sign-in needed, token endpoint unreachable) is a
    temporary failure: the message waits in the outbox for the next sign-in.
    """
    if not isinstance(credential, OAuth2Credential):
        raise SmtpAuthError(
            "No OAuth2 sign-in for SMTP", "run `tui-mail login`", step="auth", permanent=True
        )
    if not secure:
        raise SmtpAuthError(
            "Refusing to send the access token without TLS",
            server.host,
            step="auth",
            permanent=True,
        )
    mechanism = MECHANISMS.get(server.auth, "XOAUTH2")
    offered = client.esmtp_features.get("auth", "").upper().split()
    if mechanism not in offered:
        raise DeliveryError(
            f"The SMTP server does not offer {mechanism}",
            f"offered: {' '.join(offered) or 'none'}",
            step="auth",
            permanent=True,
        )

    def attempt(exchange: SaslExchange) -> None:
        try:
            client.auth(mechanism, exchange, initial_response_ok=True)
        except smtplib.SMTPAuthenticationError as exc:
            error = _from_reply("auth", exc.smtp_code, exc.smtp_error)
            raise SmtpAuthError(
                error.summary, error.details, step="auth", code=exc.smtp_code, permanent=True
            ) from None

    method = "oauthbearer" if mechanism == "OAUTHBEARER" else "xoauth2"
    try:
        authenticate(attempt, credential, method, server.username, server.host, server.port)
    except DeliveryError:
        raise
    except (OAuth2Error, ConnectionLost) as exc:
        raise DeliveryError(
            "No OAuth2 access token for SMTP", str(exc), step="auth", permanent=False
        ) from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _envelope(client: smtplib.SMTP, message: bytes, mail_from: str, rcpt_to: Sequence[str]) -> None:
    """MAIL FROM and every RCPT TO; any refusal resets the transaction and raises."""
    client.ehlo_or_helo_if_needed()
    options = ["BODY=8BITMIME"] if not message.isascii() and client.has_extn("8bitmime") else []
    code, reply = client.mail(mail_from, options)
    if code != 250:
        _reset(client)
        raise _from_reply("rcpt", code, reply, summary="The SMTP server refused the sender")
    refused = []
    for recipient in rcpt_to:
        code, reply = client.rcpt(recipient)
        if code not in (250, 251):
            refused.append((recipient, code, reply))
    if refused:
        _reset(client)
        words = "; ".join(f"{who}: {code} {_text(reply)}" for who, code, reply in refused)
        raise DeliveryError(
            f"The SMTP server refused {len(refused)} recipient(s)",
            words,
            step="rcpt",
            code=refused[0][1],
            permanent=any(code >= 500 for _, code, _ in refused),
        )


def _reset(client: smtplib.SMTP) -> None:
    """RSET after a refusal; a server that already hung up must not hide the refusal."""
    try:
        client.rset()
    except (smtplib.SMTPException, OSError):
        client.close()


def _from_reply(step: str, code: int, reply: bytes | str, *, summary: str = "") -> DeliveryError:
    words = _text(reply)
    return DeliveryError(
        summary or _STEP_SUMMARY.get(step, "Sending failed"),
        f"{code} {words}".strip(),
        step=step,
        code=code,
        permanent=500 <= code < 600,
    )


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
