"""``tui-mail check``: connect as the app would and print a readable report.

IMAP: server, TLS version and certificate, capabilities, login, every folder
with its role and counts, and whether IDLE reports new mail (a few seconds'
test on a scratch folder, see :mod:`~tui_mail.backend.imap.idle_probe`). POP3
(:mod:`~tui_mail.backend.check_pop3`): TLS, CAPA, login, message count and size.
SMTP: connect, TLS/STARTTLS, EHLO, AUTH (nothing is sent). Each failure is one line with its reason; the exit code is 0 when all
worked, 1 otherwise.
"""

from __future__ import annotations

import smtplib
from typing import TextIO

from tui_mail.backend.auth.sasl import MECHANISMS
from tui_mail.backend.auth.tls import pin_note
from tui_mail.backend.auth.tokens import Credential, OAuth2Credential, credential_for
from tui_mail.backend.check_oauth2 import check_oauth2
from tui_mail.backend.imap.folders import ListedFolder, build_folders
from tui_mail.backend.imap.idle_probe import probe_idle
from tui_mail.backend.imap.protocol import describe_tls
from tui_mail.backend.imap.session import ImapSession
from tui_mail.backend.send.smtp import DeliveryError, close_smtp, needs_login, open_smtp
from tui_mail.config import AccountConfig, Config
from tui_mail.errors import MailError
from tui_mail.mail.sanitize import clean_text

SMTP_TIMEOUT = 20.0


class Report:
    """Collects ok/FAIL lines and counts failures.

    ``password``: the secret to log in with instead of looking it up (the setup
    screen tests an account before the password is stored anywhere);
    ``probe_idle=False`` skips the few seconds' IDLE test.
    """

    def __init__(self, out: TextIO, *, password: str | None = None, probe_idle: bool = True) -> None:
        self.out = out
        self.failures = 0
        self.password = password
        self.probe_idle = probe_idle

    def line(self, text: str) -> None:
        """Print one line, made terminal-safe: server names and errors may hold escapes."""
        print(clean_text(text).replace("\n", " ")[:4000], file=self.out)

    def ok(self, text: str) -> None:
        """A step that worked."""
        self.line(f"  ok    {text}")

    def note(self, text: str) -> None:
        """Something worth knowing that is not a failure (the exit code stays 0)."""
        self.line(f"  note  {text}")

    def fail(self, text: str) -> None:
        """A step that failed, with its reason."""
        self.failures += 1
        self.line(f"  FAIL  {text}")


def _password(account: AccountConfig, protocol: str, report: Report) -> str | None:
    from tui_mail.secrets import get_password

    if report.password is not None:
        return report.password
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


def _report_tls(sock: object, report: Report, pin: str) -> None:
    tls = describe_tls(sock)
    if tls is None:
        report.ok("connected without TLS (plain text)")
        return
    report.ok(f"connected with {tls.version} ({tls.cipher})")
    if pin:  # a pinned connection is not verified, so the socket knows no subject to show
        report.ok(pin_note(pin))
    else:
        report.ok(f"certificate subject: {tls.subject} (issuer: {tls.issuer})")


def check_imap(account: AccountConfig, report: Report) -> None:
    """Connect, show TLS and capabilities, log in, list folders with counts."""
    server = account.imap_server
    report.line(f"IMAP {server.host}:{server.port} ({server.security})")
    try:
        session = ImapSession.connect(server, allow_insecure=account.allow_insecure, timeout=30)
    except MailError as exc:
        report.fail(f"connect: {exc}")
        return
    try:
        _report_tls(session.client.socket(), report, server.cert_fingerprint)
        report.ok("capabilities: " + " ".join(sorted(session.capabilities)))
        password: Credential | None
        if server.uses_oauth2:
            password = check_oauth2(account, report)
        else:
            password = _password(account, "imap", report)
        if password is None:
            return
        username = server.username or account.email
        try:
            if isinstance(password, OAuth2Credential):
                session.login_oauth2(username, password)
            else:
                session.login(username, password)
        except MailError as exc:
            report.fail(f"login as {username}: {exc}")
            return
        how = f" with {MECHANISMS[server.auth]}" if server.uses_oauth2 else ""
        report.ok(f"logged in as {username}{how}")
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
        if report.probe_idle:
            check_idle(account, password, session, listing, report)
    except MailError as exc:
        report.fail(f"IMAP: {exc}")
    finally:
        session.logout()


def check_idle(
    account: AccountConfig,
    password: Credential,
    session: ImapSession,
    listing: list[ListedFolder],
    report: Report,
) -> None:
    """Say how new mail will be noticed: IDLE that reports it, or polling and why."""
    every = f"polling every {account.poll_interval:g} s"
    if account.idle == "poll":
        report.ok(f'IDLE: off (idle = "poll" in the config): {every}')
        return
    if not session.has("IDLE"):
        report.ok(f"IDLE: not offered by the server: {every}")
        return
    inbox = next((f for f in listing if f.name.upper() == "INBOX"), None)
    found = probe_idle(
        account, password, session, inbox_delimiter=inbox.delimiter if inbox else ""
    )
    if found.reports is None:
        report.note(f"IDLE: not tested ({found.problem})")
        return
    if found.reports:
        report.ok(f"IDLE: reports new mail (in {found.seconds:.1f} s)")
    else:
        report.note(f"IDLE does not report new mail: {every}")
    if found.problem:
        report.note(found.problem)


def _smtp_password(account: AccountConfig, report: Report) -> tuple[Credential | None, str]:
    """The SMTP password as sending finds it, or None and why not."""
    from tui_mail.secrets import get_password

    if account.smtp is not None and account.smtp.uses_oauth2:
        return credential_for(account), ""
    if report.password is not None:
        return report.password, ""
    try:
        password = get_password(account, "smtp")
    except MailError as exc:
        return None, f"SMTP password: {exc}"
    if password is None:
        return None, (
            "SMTP password: none found (set password_command or password_env, "
            "or store it in the keyring with `tui-mail setup`)"
        )
    return password, ""


def check_smtp(account: AccountConfig, report: Report) -> None:
    """Connect, TLS, EHLO and AUTH through sending's own ``open_smtp``; sends no mail.

    Sharing the code is the point: a check that passes means sending will get
    this far (same trust store, same login rule, same UTF-8 credentials).
    """
    server = account.smtp
    if server is None:
        report.line("SMTP: not configured (sending is off for this account)")
        return
    report.line(f"SMTP {server.host}:{server.port} ({server.security})")
    password, problem = _smtp_password(account, report) if needs_login(server) else (None, "")

    def on_step(step: str, client: smtplib.SMTP) -> None:
        if step == "ehlo":
            _report_tls(client.sock, report, server.cert_fingerprint)
            report.ok("EHLO: " + " ".join(sorted(k.upper() for k in client.esmtp_features)))
        elif step == "auth":
            how = f" {MECHANISMS[server.auth]}" if server.uses_oauth2 else ""
            report.ok(f"AUTH{how} as {server.username} accepted")
        elif step == "no-auth":
            report.ok('username = "": mail is sent without logging in')

    try:
        client = open_smtp(
            server,
            password,
            allow_insecure=account.allow_insecure,
            timeout=SMTP_TIMEOUT,
            on_step=on_step,
        )
    except DeliveryError as exc:
        # With no password, open_smtp fails at auth for that reason: say where to set it.
        report.fail(problem if exc.step == "auth" and password is None else f"{exc.step}: {exc}")
        return
    close_smtp(client)


def run_check(
    config: Config, account: str | None, out: TextIO, *, report: Report | None = None
) -> int:
    """Check one account (the default when ``account`` is None); 0 when all worked.

    ``report`` replaces the plain one printing to ``out`` (setup passes its own).
    """
    try:
        chosen = config.account(account)
    except MailError as exc:
        print(f"FAIL  {exc}", file=out)
        return 1
    report = report or Report(out)
    report.line(f"Account {chosen.name} <{chosen.email}>")
    if chosen.pop3 is not None:
        from tui_mail.backend.check_pop3 import check_pop3

        check_pop3(chosen, report)
    else:
        check_imap(chosen, report)
    check_smtp(chosen, report)
    if report.failures:
        report.line(f"{report.failures} problem(s) found")
        return 1
    report.line("All checks passed")
    return 0
