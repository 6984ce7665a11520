"""Sending against a real aiosmtpd server on 127.0.0.1 (STARTTLS + AUTH, fault hooks).

Every test reads what the server really received: a message must arrive exactly
once, and a failed step must leave the entry in the outbox with its error.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tui_mail.backend.send.outbox import Outbox
from tui_mail.backend.send.pipeline import original_flag, send_from_outbox
from tui_mail.backend.send.smtp import DeliveryError, deliver
from tui_mail.config import AccountConfig, FolderOverrides, ServerConfig
from tui_mail.demo.processes import free_port
from tui_mail.demo.smtp_server import SmtpServer
from tui_mail.errors import AuthError, ServerError
from tui_mail.mail.compose import build_message, message_bytes
from tui_mail.models import ANSWERED, FORWARDED, Address, Draft

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]

SUBJECT = "Grüße aus Köln – ✓ 日本"
BODY = "Hallo Jürgen,\nschöne Grüße!\n.\n.. a dot line\n"


def server_config(server: Any, **overrides: Any) -> ServerConfig:
    config = ServerConfig(
        host=server.host,
        port=server.port,
        security="starttls",
        username=server.username,
        ca_file=Path(server.ca_file),
    )
    return replace(config, **overrides)


def account_for(server: Any, *, save_sent: bool = True, **smtp: Any) -> AccountConfig:
    return AccountConfig(
        name="work",
        email="me@example.org",
        display_name="Me",
        imap=ServerConfig(host="127.0.0.1", port=1),
        smtp=server_config(server, **smtp),
        folders=FolderOverrides(save_sent=save_sent),
    )


def queue(outbox: Outbox) -> str:
    draft = Draft(
        account="work",
        from_=Address("Me Ä", "me@example.org"),
        to=[Address("Jürgen", "juergen@example.com")],
        bcc=[Address("", "hidden@example.net")],
        subject=SUBJECT,
        body=BODY,
        original=("INBOX", 5),
        reply_kind="reply",
    )
    return outbox.add_draft(draft, message_bytes(build_message(draft)))


def recorder() -> tuple[list[bytes], Callable[[bytes], None]]:
    seen: list[bytes] = []
    return seen, seen.append


def test_full_send_starttls_auth_non_ascii_arrives_once(smtp_server: Any, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    entry_id = queue(outbox)
    appended, append_sent = recorder()
    flagged: list[str] = []
    outcome = send_from_outbox(
        outbox,
        entry_id,
        account_for(smtp_server),
        smtp_server.password,
        append_sent,
        lambda: flagged.append(original_flag("reply") or ""),
    )
    assert outcome.delivered_now and outcome.removed and outcome.problems == ()
    assert outcome.sent_saved is True and outcome.original_marked is True
    assert flagged == [ANSWERED] and original_flag("forward") == FORWARDED
    assert outbox.list() == []
    (received,) = smtp_server.wait_for_messages(1)
    assert set(received.rcpt_tos) == {"juergen@example.com", "hidden@example.net"}
    parsed = email.message_from_bytes(received.data, policy=email.policy.strict)
    assert parsed["Subject"] == SUBJECT and "Bcc" not in parsed
    assert b"hidden@" not in received.data
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.replace("\r\n", "\n") == BODY
    assert appended == [received.data]  # the Sent copy is exactly what was sent
    assert len(smtp_server.messages) == 1


def test_wrong_password_is_an_auth_error(smtp_server: Any, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    entry_id = queue(outbox)
    with pytest.raises(DeliveryError) as caught:
        send_from_outbox(outbox, entry_id, account_for(smtp_server), "wrong", None, None)
    assert caught.value.step == "auth" and caught.value.permanent
    assert isinstance(caught.value, AuthError) and caught.value.code == 535
    entry = outbox.get(entry_id)
    assert entry.last_step == "auth" and entry.attempts == 1 and not entry.smtp_accepted
    assert smtp_server.messages == []


def test_certificate_not_trusted_without_ca_file(smtp_server: Any) -> None:
    config = server_config(smtp_server, ca_file=None)
    with pytest.raises(DeliveryError) as caught:
        deliver(config, smtp_server.password, b"Subject: x\r\n\r\nx\r\n", "a@x.org", ["b@x.org"])
    assert caught.value.step == "tls" and caught.value.permanent
    assert smtp_server.messages == []


def test_server_down_keeps_the_entry_with_the_error(smtp_server: Any, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    entry_id = queue(outbox)
    account = account_for(smtp_server, port=free_port())
    with pytest.raises(DeliveryError) as caught:
        send_from_outbox(outbox, entry_id, account, "pw", None, None, timeout=5)
    assert caught.value.step == "connect" and not caught.value.permanent
    entry = outbox.get(entry_id)
    assert (entry.last_step, entry.attempts, entry.permanent) == ("connect", 1, False)
    assert "Cannot connect" in entry.last_error
    assert outbox.due() == []  # backoff: not due again at once


@pytest.mark.parametrize(("code", "permanent"), [(550, True), (421, False), (452, False)])
def test_rcpt_refusal_permanent_or_temporary(
    smtp_server: Any, tmp_path: Path, code: int, permanent: bool
) -> None:
    smtp_server.fail_rcpt(code, "refused for the test")
    outbox = Outbox(tmp_path)
    entry_id = queue(outbox)
    with pytest.raises(DeliveryError) as caught:
        send_from_outbox(
            outbox, entry_id, account_for(smtp_server), smtp_server.password, None, None
        )
    assert caught.value.step == "rcpt" and caught.value.permanent is permanent
    assert caught.value.code == code and "refused for the test" in caught.value.details
    entry = outbox.get(entry_id)
    assert entry.last_step == "rcpt" and entry.permanent is permanent
    assert smtp_server.messages == []


def test_data_refused_is_permanent(smtp_server: Any, tmp_path: Path) -> None:
    smtp_server.fail_data(554, "5.6.0 no thanks")
    outbox = Outbox(tmp_path)
    entry_id = queue(outbox)
    with pytest.raises(DeliveryError) as caught:
        send_from_outbox(
            outbox, entry_id, account_for(smtp_server), smtp_server.password, None, None
        )
    assert (caught.value.step, caught.value.code, caught.value.permanent) == ("data", 554, True)
    assert outbox.get(entry_id).last_step == "data"


def test_disconnect_after_data_stays_pending(smtp_server: Any, tmp_path: Path) -> None:
    smtp_server.drop_after_data()
    outbox = Outbox(tmp_path)
    entry_id = queue(outbox)
    with pytest.raises(DeliveryError) as caught:
        send_from_outbox(
            outbox, entry_id, account_for(smtp_server), smtp_server.password, None, None
        )
    assert caught.value.step == "data" and not caught.value.permanent
    entry = outbox.get(entry_id)
    assert not entry.smtp_accepted and entry.last_step == "data"
    # The server kept it before dropping the line: the client cannot know (documented).
    assert len(smtp_server.messages) == 1


def test_sent_append_failure_never_causes_a_second_send(smtp_server: Any, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    entry_id = queue(outbox)
    account = account_for(smtp_server)

    def broken_append(message: bytes) -> None:
        raise ServerError("APPEND failed", "NO [TRYCREATE] Mailbox doesn't exist: Sent")

    first = send_from_outbox(outbox, entry_id, account, smtp_server.password, broken_append, None)
    assert first.delivered_now and first.sent_saved is False and not first.removed
    assert "TRYCREATE" in first.problems[0]
    assert [e.id for e in outbox.unfinished()] == [entry_id] and outbox.due() == []
    appended, append_sent = recorder()
    second = send_from_outbox(outbox, entry_id, account, smtp_server.password, append_sent, None)
    assert not second.delivered_now and second.sent_saved is True and second.removed
    assert len(appended) == 1 and outbox.list() == []
    assert len(smtp_server.wait_for_messages(1)) == 1
    assert len(smtp_server.messages) == 1


def test_save_sent_off_skips_the_append(smtp_server: Any, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    entry_id = queue(outbox)
    appended, append_sent = recorder()
    outcome = send_from_outbox(
        outbox,
        entry_id,
        account_for(smtp_server, save_sent=False),
        smtp_server.password,
        append_sent,
        None,
    )
    assert outcome.sent_saved is None and outcome.removed and appended == []


def test_starttls_required_but_not_offered(tmp_path: Path) -> None:
    with SmtpServer("u", "p", auth_require_tls=False) as plain:
        config = ServerConfig(host=plain.host, port=plain.port, security="starttls", username="u")
        with pytest.raises(DeliveryError) as caught:
            deliver(config, "p", b"Subject: x\r\n\r\nx\r\n", "a@x.org", ["b@x.org"])
        assert caught.value.step == "tls" and caught.value.permanent
        assert plain.messages == []


def test_plain_smtp_only_to_loopback(tmp_path: Path) -> None:
    with SmtpServer("u", "p", auth_require_tls=False) as plain:
        config = ServerConfig(host=plain.host, port=plain.port, security="none", username="u")
        deliver(config, "p", b"Subject: x\r\n\r\nx\r\n", "a@x.org", ["b@x.org"])
        assert len(plain.wait_for_messages(1)) == 1
    remote = ServerConfig(host="192.0.2.1", port=25, security="none", username="u")
    with pytest.raises(DeliveryError) as caught:
        deliver(remote, "p", b"Subject: x\r\n\r\nx\r\n", "a@x.org", ["b@x.org"])
    assert caught.value.step == "tls" and caught.value.permanent


def test_non_ascii_password_is_sent_as_utf8(test_cert: Any) -> None:
    """smtplib's own login() raises UnicodeEncodeError here; ours sends UTF-8 (RFC 4616)."""
    server = SmtpServer(
        "sender",
        "pässwörd✓",
        tls_context=test_cert.server_context(),
        ca_file=Path(test_cert.ca_file),
    )
    with server:
        deliver(
            server_config(server), "pässwörd✓", b"Subject: x\r\n\r\nx\r\n", "a@x.org", ["b@x.org"]
        )
        assert len(server.wait_for_messages(1)) == 1


class _Killed(BaseException):
    """Stands for the process dying in the middle of a step."""


def test_crash_after_acceptance_never_resends(smtp_server: Any, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    entry_id = queue(outbox)
    account = account_for(smtp_server)

    def dies(message: bytes) -> None:
        raise _Killed

    with pytest.raises(_Killed):
        send_from_outbox(outbox, entry_id, account, smtp_server.password, dies, None)
    restarted = Outbox(tmp_path)
    assert restarted.due() == [] and restarted.pending() == []
    assert [e.id for e in restarted.unfinished()] == [entry_id]
    appended, append_sent = recorder()
    outcome = send_from_outbox(
        restarted, entry_id, account, smtp_server.password, append_sent, None
    )
    assert not outcome.delivered_now and outcome.removed and len(appended) == 1
    assert len(smtp_server.messages) == 1
