"""``tui-mail check``: connect as the app would and print a readable report.

IMAP: server, TLS version and certificate, capabilities, login, every folder
with its role and counts. SMTP: connect, TLS/STARTTLS, EHLO, AUTH (nothing is
sent). Each failure is one line with its reason; the exit code is 0 when all
worked, 1 otherwise.
"""

from __future__ import annotations

import smtplib
import ssl
from typing import TextIO

from tui_mail.backend.imap.folders import build_folders
from tui_mail.backend.imap.protocol import describe_tls, make_ssl_context
from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import AccountConfig, Config, ServerConfig, is_loopback_host
from tui_mail.errors import MailError
from tui_mail.mail.sanitize import clean_text

SMTP_TIMEOUT = 20.0


class Report:
    """Collects ok/FAIL lines and counts failures."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.failures = 0

    def line(self, text: str) -> None:
        """Print one line, made terminal-safe: server names and errors may hold escapes."""
        print(clean_text(text).replace("\n", " ")[:4000], file=self.out)

    def ok(self, text: str) -> None:
        """A step that worked."""
        self.line(f"  ok    {text}")

    def fail(self, text: str) -> None:
        """A step that failed, with its reason."""
        self.failures += 1
        self.line(f"  FAIL  {text}")


def _password(account: AccountConfig, protocol: str, report: Report) -> str | None:
    from tui_mail.secrets import get_password

    try:
        password = get_password(account, protocol)  # type: ignore[arg-type]
    except MailError as exc:
        report.fail(f"{protocol.upper()} password: {exc}")
        return None
    if password is None:
        report.fail(
            f"{protocol.upper()} password: none found (set password_command or password_env, "
            "or store it in the keyring with `tui-mail setup`)"
        )
    return password


def _report_tls(sock: object, report: Report) -> None:
    tls = describe_tls(sock)
    if tls is None:
        report.ok("connected without TLS (plain text)")
    else:
        report.ok(f"connected with {tls.version} ({tls.cipher})")
        report.ok(f"certificate subject: {tls.subject} (issuer: {tls.issuer})")


def check_imap(account: AccountConfig, report: Report) -> None:
    """Connect, show TLS and capabilities, log in, list folders with counts."""
    server = account.imap
    report.line(f"IMAP {server.host}:{server.port} ({server.security})")
    try:
        session = ImapSession.connect(server, allow_insecure=account.allow_insecure, timeout=30)
    except MailError as exc:
        report.fail(f"connect: {exc}")
        return
    try:
        _report_tls(session.client.socket(), report)
        report.ok("capabilities: " + " ".join(sorted(session.capabilities)))
        password = _password(account, "imap", report)
        if password is None:
            return
        username = server.username or account.email
        try:
            session.login(username, password)
        except MailError as exc:
            report.fail(f"login as {username}: {exc}")
            return
        report.ok(f"logged in as {username}")
        report.ok("capabilities after login: " + " ".join(sorted(session.capabilities)))
        listing, counts = session.list_folders()
        folders = build_folders(account.name, listing, counts, account.folders)
        report.ok(f"{len(folders)} folders")
        width = max((len(f.name) for f in folders), default=0)
        for folder in folders:
            role = str(folder.role) or "-"
            counts_text = (
                f"{folder.total} total, {folder.unread} unread"
                if folder.selectable
                else "(no messages: a container)"
            )
            report.line(f"        {folder.name.ljust(width)}  {role:<8} {counts_text}")
    except MailError as exc:
        report.fail(f"IMAP: {exc}")
    finally:
        session.logout()


def _smtp_connect(server: ServerConfig) -> smtplib.SMTP:
    context = make_ssl_context(server.ca_file)
    if server.security == "tls":
        return smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT, context=context)
    return smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT)


def _smtp_error(exc: BaseException, where: str) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate of {where} did not verify: {exc.verify_message or exc}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"the server refused the login: {exc.smtp_code} {exc.smtp_error!r}"
    return f"{type(exc).__name__}: {exc}"


def check_smtp(account: AccountConfig, report: Report) -> None:
    """Connect, negotiate TLS, EHLO and AUTH; sends no mail."""
    server = account.smtp
    if server is None:
        report.line("SMTP: not configured (sending is off for this account)")
        return
    where = f"{server.host}:{server.port}"
    report.line(f"SMTP {where} ({server.security})")
    try:
        client = _smtp_connect(server)
    except (OSError, smtplib.SMTPException) as exc:
        report.fail(f"connect: {_smtp_error(exc, where)}")
        return
    try:
        client.ehlo()
        if server.security == "starttls":
            if not client.has_extn("starttls"):
                report.fail(f"{where} does not offer STARTTLS; refusing to continue without TLS")
                return
            client.starttls(context=make_ssl_context(server.ca_file))
            client.ehlo()
        _report_tls(client.sock, report)
        report.ok("EHLO: " + " ".join(sorted(k.upper() for k in client.esmtp_features)))
        _smtp_auth(account, server, client, report)
    except (OSError, smtplib.SMTPException) as exc:
        report.fail(f"SMTP: {_smtp_error(exc, where)}")
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _smtp_auth(
    account: AccountConfig, server: ServerConfig, client: smtplib.SMTP, report: Report
) -> None:
    if not client.has_extn("auth"):
        report.ok("the server offers no AUTH: mail would be sent without logging in")
        return
    encrypted = isinstance(client.sock, ssl.SSLSocket)
    if not encrypted and not is_loopback_host(server.host) and not account.allow_insecure:
        report.fail("refusing to send the SMTP password unencrypted")
        return
    password = _password(account, "smtp", report)
    if password is None:
        return
    username = server.username or account.email
    client.login(username, password)
    report.ok(f"AUTH as {username} accepted")


def run_check(config: Config, account: str | None, out: TextIO) -> int:
    """Check one account (the default when ``account`` is None); 0 when all worked."""
    try:
        chosen = config.account(account)
    except MailError as exc:
        print(f"FAIL  {exc}", file=out)
        return 1
    report = Report(out)
    report.line(f"Account {chosen.name} <{chosen.email}>")
    check_imap(chosen, report)
    check_smtp(chosen, report)
    if report.failures:
        report.line(f"{report.failures} problem(s) found")
        return 1
    report.line("All checks passed")
    return 0
