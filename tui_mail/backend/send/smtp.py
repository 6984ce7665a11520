"""Sending over SMTP (smtplib), and the outbox steps around it (DESIGN.md section 7).

:func:`deliver` hands one message to a server: certificate verified, STARTTLS
required when configured, AUTH only over TLS (or to loopback). Every failure is a
:class:`DeliveryError` naming the step (connect, tls, auth, rcpt, data) and whether
it is permanent (5xx, untrusted certificate, bad configuration) or may pass by
itself (4xx, connection trouble).

:func:`send_from_outbox` runs the whole chain for one outbox entry: deliver (unless
the server already accepted it), persist "accepted", APPEND to Sent, flag the
original, remove the entry. Only a failure *before* acceptance is raised; later
failures are reported in the :class:`SendOutcome`. An entry whose Sent copy could
not be saved stays in the outbox (``Outbox.unfinished()``), marked accepted, so a retry
saves the copy and never sends the mail a second time.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from collections.abc import Callable, Sequence

from tui_mail.backend.api import SendOutcome as SendOutcome  # moved to the boundary module
from tui_mail.backend.send.outbox import Outbox
from tui_mail.config import AccountConfig, ServerConfig, is_loopback_host
from tui_mail.errors import AuthError, SendError
from tui_mail.models import ANSWERED, FORWARDED

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


def deliver(
    server: ServerConfig,
    password: str | None,
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
    reset and nothing is sent. ``security = "none"`` works only to a loopback host
    or with ``allow_insecure``; a password is never sent over plain text to
    another host.
    """
    if not rcpt_to:
        raise DeliveryError("The message has no recipients", step="rcpt", permanent=True)
    loopback = is_loopback_host(server.host)
    if server.security == "none" and not (loopback or allow_insecure):
        raise DeliveryError(
            "Refusing to send without TLS",
            f"{server.host}: security = none is allowed only to localhost or with allow_insecure",
            step="tls",
            permanent=True,
        )
    step = "connect"
    client: smtplib.SMTP | None = None
    try:
        client = _connect(server, timeout, local_hostname)
        step = "tls"
        if server.security == "starttls":
            _start_tls(client, server)
        step = "auth"
        if server.username:
            _login(client, server, password, secure=server.security != "none" or loopback)
        step = "rcpt"
        _envelope(client, message_bytes, mail_from, rcpt_to)
        step = "data"
        code, reply = client.data(message_bytes)
        if code != 250:  # smtplib raises only when DATA itself is refused, not the message
            raise _from_reply("data", code, reply)
    except DeliveryError:
        raise
    except smtplib.SMTPResponseException as exc:
        raise _from_reply(step, exc.smtp_code, exc.smtp_error) from None
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
        if step == "data":
            details += " (the server may or may not have received the message)"
        raise DeliveryError(_STEP_SUMMARY[step], details, step=step) from None
    finally:
        if client is not None:
            _close(client)


def send_from_outbox(
    outbox: Outbox,
    entry_id: str,
    account: AccountConfig,
    password: str | None,
    append_sent: Callable[[bytes], None] | None,
    mark_original: Callable[[], None] | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    local_hostname: str | None = None,
) -> SendOutcome:
    """Deliver one outbox entry and finish its later steps (see the module docstring).

    Raises DeliveryError (after recording it in the entry) when delivery fails.
    ``append_sent`` gets the message bytes (skipped when ``save_sent`` is off or it
    is None, e.g. the server files sent mail itself); ``mark_original`` sets
    ``\\Answered``/``$Forwarded`` (see :func:`original_flag`). Their failures
    are reported in the outcome and never cause a second delivery.
    """
    entry = outbox.get(entry_id)
    if entry.problems:
        raise SendError("This outbox entry is damaged", "; ".join(entry.problems), step="outbox")
    delivered_now = False
    if not entry.smtp_accepted:
        try:
            if account.smtp is None:
                raise DeliveryError("No SMTP server is configured", step="connect", permanent=True)
            deliver(
                account.smtp,
                password,
                outbox.message(entry_id),
                entry.mail_from,
                list(entry.recipients),
                timeout=timeout,
                local_hostname=local_hostname,
                allow_insecure=account.allow_insecure,
            )
        except DeliveryError as exc:
            outbox.mark_failed(entry_id, exc.step, str(exc), permanent=exc.permanent)
            raise
        entry = outbox.mark_accepted(entry_id)  # on disk before anything else happens
        delivered_now = True
    problems: list[str] = []
    if entry.sent_saved is not True and account.folders.save_sent and append_sent is not None:
        error = _run_step(append_sent, outbox.message(entry_id))
        entry = outbox.mark_sent_saved(entry_id, error)
        if error:
            problems.append(f"Sent, but the copy could not be saved to Sent: {error}")
    if entry.original_marked is None and mark_original is not None:
        error = _run_step(mark_original)
        entry = outbox.mark_original(entry_id, error)
        if error:
            problems.append(f"Sent, but the original could not be flagged: {error}")
    removed = entry.sent_saved is not False
    if removed:
        outbox.remove(entry_id)
    return SendOutcome(
        entry_id=entry_id,
        delivered_now=delivered_now,
        sent_saved=entry.sent_saved,
        original_marked=entry.original_marked,
        removed=removed,
        problems=tuple(problems),
    )


def original_flag(reply_kind: str) -> str | None:
    """The flag an original gets once its reply or forward is sent."""
    return {"reply": ANSWERED, "forward": FORWARDED}.get(reply_kind)


def _run_step(step: Callable[..., None], *args: bytes) -> str:
    """Run a post-delivery step; its failure becomes text, never an exception."""
    try:
        step(*args)
    except Exception as exc:  # any failure here must not lead to a resend
        return str(exc) or exc.__class__.__name__
    return ""


def _tls_context(server: ServerConfig) -> ssl.SSLContext:
    cafile = str(server.ca_file) if server.ca_file else None
    return ssl.create_default_context(cafile=cafile)


def _connect(server: ServerConfig, timeout: float, local_hostname: str | None) -> smtplib.SMTP:
    if server.security == "tls":
        return smtplib.SMTP_SSL(
            server.host,
            server.port,
            local_hostname=local_hostname,
            timeout=timeout,
            context=_tls_context(server),
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
    client.starttls(context=_tls_context(server))
    client.ehlo()


def _login(
    client: smtplib.SMTP, server: ServerConfig, password: str | None, *, secure: bool
) -> None:
    """AUTH PLAIN (else LOGIN) with UTF-8 credentials.

    Done by hand because ``smtplib.SMTP.login`` encodes the credentials as ASCII and
    raises UnicodeEncodeError on a password such as "pässword" (RFC 4616 says UTF-8).
    """
    if not secure:
        raise SmtpAuthError(
            "Refusing to send the password without TLS", server.host, step="auth", permanent=True
        )
    if password is None:
        raise SmtpAuthError(
            "No SMTP password is available", server.username, step="auth", permanent=True
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


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
