"""``tui-mail check`` for a POP3 account: TLS, CAPA, login, message count and size.

Called by :func:`tui_mail.backend.check.run_check` with its report (any object
with ``line``/``ok``/``note``/``fail``: ``check_oauth2.Reporter``, so this
module does not import ``check.py`` back). An OAuth2 account gets IMAP's lines
(mechanism, token expiry, scopes: ``check_oauth2``). Connects and logs in
exactly as a fetch does (:class:`~tui_mail.backend.pop3.session.Pop3Session`),
reads STAT and quits: nothing is downloaded or deleted.
"""

from __future__ import annotations

from tui_mail.backend.auth.tls import pin_note
from tui_mail.backend.auth.tokens import Credential
from tui_mail.backend.check_oauth2 import Reporter, check_oauth2
from tui_mail.backend.imap.protocol import describe_tls
from tui_mail.backend.pop3.session import Pop3Session
from tui_mail.config import AccountConfig
from tui_mail.errors import MailError

CHECK_TIMEOUT = 30.0


def _password(account: AccountConfig, report: Reporter) -> str | None:
    from tui_mail.secrets import get_password

    if report.password is not None:
        return report.password
    try:
        password = get_password(account, "pop3")
    except MailError as exc:
        report.fail(f"POP3 password: {exc}")
        return None
    if password is None:
        report.fail(
            "POP3 password: none found (set password_command or password_env, "
            f"or store it in the keyring as tui-mail / {account.name}/pop3)"
        )
    return password


def check_pop3(account: AccountConfig, report: Reporter) -> None:
    """Connect, show TLS and CAPA, log in, show STAT; every failure one FAIL line."""
    server = account.pop3
    if server is None:
        report.fail(f"account {account.name} has no [pop3] table")
        return
    report.line(f"POP3 {server.host}:{server.port} ({server.security})")
    try:
        session = Pop3Session.connect(
            server, allow_insecure=account.allow_insecure, timeout=CHECK_TIMEOUT
        )
    except MailError as exc:
        report.fail(f"connect: {exc}")
        return
    try:
        tls = describe_tls(session.tls_socket())
        if tls is None:
            report.ok("connected without TLS (plain text)")
        else:
            how = "STLS" if server.security == "starttls" else "TLS"
            report.ok(f"connected with {tls.version} ({tls.cipher}) by {how}")
            if server.cert_fingerprint:
                report.ok(pin_note(server.cert_fingerprint))
            else:
                report.ok(f"certificate subject: {tls.subject} (issuer: {tls.issuer})")
        if session.has_capa:
            report.ok("CAPA: " + " ".join(_capa_words(session)))
        else:
            report.note("no CAPA: an RFC 1939 server (UIDL and TOP are tried when needed)")
        for missing in ("UIDL", "TOP"):
            if session.has_capa and not session.has(missing):
                report.note(f"the server does not offer {missing}: headers are digested instead")
        password: Credential | None
        if server.uses_oauth2:
            password = check_oauth2(account, report)
        else:
            password = _password(account, report)
        if password is None:
            return
        username = server.username or account.email
        try:
            if isinstance(password, str):
                session.login(username, password)
            else:
                session.login_oauth2(username, password)
        except MailError as exc:
            report.fail(f"login as {username}: {exc}")
            return
        report.ok(f"logged in as {username} with {session.mechanism}")
        stat = session.stat()
        report.ok(f"{stat.count} messages, {stat.size} bytes on the server")
        policy = (
            "kept on the server"
            if server.leave_on_server
            else "deleted from the server once stored locally"
        )
        if server.leave_on_server and server.delete_after_days:
            policy += f" (deleted {server.delete_after_days} days after download)"
        report.ok(f"messages are {policy}; fetched every {server.poll_interval:g} s")
    except MailError as exc:
        report.fail(f"POP3: {exc}")
    finally:
        try:
            session.quit()
        except MailError:
            session.abort()


def _capa_words(session: Pop3Session) -> list[str]:
    return [
        " ".join((name, *args)) if name == "SASL" else name
        for name, args in sorted(session.capabilities.items())
    ]
