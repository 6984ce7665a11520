"""Does this server's IDLE report new mail? A bounded test for ``tui-mail check`` (issue 22).

A second connection EXAMINEs a scratch folder and IDLEs; the check's own
connection APPENDs one small message there; if no EXISTS arrives within a few
seconds, IDLE does not report new mail. The scratch folder (made for the test,
so the user's folders never see the message) is deleted afterwards.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace

from tui_mail.backend.auth.tokens import Credential
from tui_mail.backend.imap.idle_proof import any_change
from tui_mail.backend.imap.protocol import translate_errors
from tui_mail.backend.imap.session import ImapSession
from tui_mail.config import AccountConfig
from tui_mail.errors import MailError

#: How long IDLE gets to report the APPEND (Dovecot takes about 0.5 s).
PROBE_WAIT = 4.0
#: Connection timeout of the probe's IDLE session: the check must stay bounded.
PROBE_TIMEOUT = 10.0
PROBE_MESSAGE = (
    b"From: tui-mail check <check@localhost>\r\n"
    b"Subject: tui-mail check: IDLE test\r\n"
    b"\r\n"
    b"tui-mail check put this here to see whether IDLE reports new mail.\r\n"
)


@dataclass(frozen=True, slots=True)
class IdleProbe:
    """What the probe found: ``reports`` is None when it could not test."""

    reports: bool | None
    seconds: float = 0.0
    """How long the report took (when ``reports``)."""
    problem: str = ""
    """Why it could not test, or what it left behind."""


def _scratch_folder(commands: ImapSession, inbox_delimiter: str) -> str:
    """CREATE a scratch folder (at the top, else under INBOX) and return its name."""
    base = f"tui-mail-check-{secrets.token_hex(4)}"
    names = [base] + ([f"INBOX{inbox_delimiter}{base}"] if inbox_delimiter else [])
    refused: MailError | None = None
    for name in names:  # some servers keep every folder under INBOX
        try:
            with translate_errors(commands.where):
                commands.client.create_folder(name)  # not subscribed: it is gone soon
            return name
        except MailError as exc:
            refused = exc
    assert refused is not None
    raise refused


def probe_idle(
    account: AccountConfig,
    password: Credential,
    commands: ImapSession,
    *,
    inbox_delimiter: str = "",
    wait: float = PROBE_WAIT,
) -> IdleProbe:
    """IDLE on a scratch folder while ``commands`` (logged in) APPENDs to it.

    Takes at most about ``wait`` s plus a few round trips; never raises MailError.
    """
    try:
        folder = _scratch_folder(commands, inbox_delimiter)
    except MailError as exc:
        return IdleProbe(None, problem=f"cannot create a scratch folder: {exc}")
    found = _listen(account, password, commands, folder, wait)
    try:
        commands.delete_folder(folder)
    except MailError as exc:  # said, not hidden: the user may want to delete it by hand
        return replace(found, problem=f"could not delete the scratch folder {folder}: {exc}")
    return found


def _listen(
    account: AccountConfig, password: Credential, commands: ImapSession, folder: str, wait: float
) -> IdleProbe:
    watcher: ImapSession | None = None
    idling = False
    try:
        watcher = ImapSession.open(account, password, timeout=PROBE_TIMEOUT, sync_extensions=False)
        watcher.select(folder, readonly=True)
        watcher.idle()
        idling = True
        started = time.monotonic()
        commands.append(folder, PROBE_MESSAGE, ("\\Seen",))
        deadline = started + wait
        took: float | None = None
        while took is None and (left := deadline - time.monotonic()) > 0:
            if any_change(watcher.idle_check(min(left, 1.0))):
                took = time.monotonic() - started
        watcher.idle_done()
        idling = False
        return IdleProbe(False) if took is None else IdleProbe(True, took)
    except MailError as exc:
        return IdleProbe(None, problem=f"IDLE test failed: {exc}")
    finally:
        if watcher is not None:
            # LOGOUT in the middle of IDLE would wait for an answer that never comes.
            if idling:
                watcher.abort()
            else:
                watcher.logout()
