"""Writing mail as a user does, on real servers: the IMAP test bed and aiosmtpd.

c / r then typing, Tab between fields, ctrl+s; what reaches the SMTP server is
parsed back with ``email.policy.strict``, and the IMAP side (Sent copy,
``\\Answered``) is read with a second, independent connection.
"""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

import pytest

from tests.ui.helpers import current_id, on_server, opened, real_app, wait_until
from tui_mail.backend.send.drafts import DraftStore
from tui_mail.backend.send.outbox import Outbox
from tui_mail.ui.screens.compose import ComposeScreen

pytestmark = pytest.mark.integration

SUBJECT = "Grüße aus Köln, 東京"
BODY = "Hallo Bob, schöne Grüße!"


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Outbox and local drafts in the test's own folder."""
    state = tmp_path / "state"
    monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(state))
    return state


async def type_text(pilot: Any, text: str) -> None:
    await pilot.press(*text)


async def write_new_message(pilot: Any, app: Any) -> None:
    await pilot.press("c")
    await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
    await type_text(pilot, "bob@example.net")
    await pilot.press("tab", "tab")  # To -> Cc -> Subject
    await type_text(pilot, SUBJECT)
    await pilot.press("tab")  # -> body
    await type_text(pilot, BODY)
    await pilot.press("ctrl+s")


def parsed(data: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.strict)
    assert isinstance(message, email.message.EmailMessage)
    return message


async def test_new_message_reaches_smtp_once_and_is_filed_in_sent(
    imap_server: Any, smtp_server: Any, tmp_path: Path, private_state: Path
) -> None:
    app = real_app(imap_server, tmp_path, smtp=smtp_server)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        cursor_before = current_id(screen)
        await write_new_message(pilot, app)
        await wait_until(pilot, lambda: len(smtp_server.messages) == 1)
        await wait_until(pilot, lambda: app.screen is screen)
        assert current_id(screen) == cursor_before  # the list is as it was
        message_id = parsed(smtp_server.messages[0].data)["Message-ID"]
        await wait_until(pilot, lambda: message_id in on_server(imap_server, "Sent"))
        assert "\\Seen" in on_server(imap_server, "Sent")[message_id]
        await pilot.pause(0.5)
    received = smtp_server.messages[0]
    message = parsed(received.data)
    assert list(received.rcpt_tos) == ["bob@example.net"]
    assert message["To"] == "bob@example.net"
    assert message["Subject"] == SUBJECT
    body = message.get_body(("plain",))
    assert body is not None and body.get_content().strip() == BODY
    assert Outbox(private_state / "outbox").list() == []
    assert DraftStore(private_state / "drafts").load_all() == []


async def test_reply_threads_and_marks_the_original_answered(
    imap_server: Any, smtp_server: Any, tmp_path: Path
) -> None:
    app = real_app(imap_server, tmp_path, smtp=smtp_server)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        await wait_until(pilot, lambda: screen.preview.body is not None)
        original = screen.preview.body
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await type_text(pilot, "Sounds good.")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(smtp_server.messages) == 1)
        await wait_until(
            pilot,
            lambda: "\\Answered" in on_server(imap_server, "INBOX").get(original.message_id, ()),
        )
    reply = parsed(smtp_server.messages[0].data)
    assert reply["In-Reply-To"] == original.message_id
    assert reply["References"].split()[-1] == original.message_id
    assert reply["Subject"].count("Re:") == 1 and reply["Subject"].startswith("Re: ")
    text = reply.get_body(("plain",)).get_content()
    assert text.startswith("Sounds good.")
    assert "wrote:" in text and "\n> " in text


async def test_smtp_down_keeps_the_message_then_sends_it_exactly_once(
    imap_server: Any, smtp_server: Any, tmp_path: Path, private_state: Path
) -> None:
    app = real_app(imap_server, tmp_path, smtp=smtp_server)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot, app, imap_server)
        smtp_server.stop()
        await write_new_message(pilot, app)
        outbox = Outbox(private_state / "outbox")
        await wait_until(pilot, lambda: any(e.last_error for e in outbox.list()))
        [entry] = outbox.list()
        assert entry.last_step == "connect" and not entry.smtp_accepted
        shown = " ".join(str(n.message) for n in app._notifications)
        assert "kept in the outbox" in shown
        assert app.service.retry_outbox() == []  # not due yet: retries back off
        smtp_server.start()
        queue = app.service.send_queue()
        resent = queue.resend(entry.id)  # "send again"; the retry timer does the same when due
        await wait_until(pilot, resent.done)
        assert resent.result().delivered_now
        await wait_until(pilot, lambda: len(smtp_server.messages) == 1)
        await wait_until(pilot, lambda: outbox.list() == [])
        assert app.service.retry_outbox() == []  # nothing left to resend
    assert len(smtp_server.messages) == 1


async def test_escape_in_compose_offers_save_and_saves_to_drafts(
    imap_server: Any, smtp_server: Any, tmp_path: Path, private_state: Path
) -> None:
    app = real_app(imap_server, tmp_path, smtp=smtp_server)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot, app, imap_server)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await type_text(pilot, "carol@example.net")
        await pilot.press("tab", "tab")
        await type_text(pilot, "Half-written")
        await pilot.press("escape")
        await pilot.pause(0.3)
        await pilot.press("s")  # Save draft
        await wait_until(
            pilot,
            lambda: any("\\Draft" in f for f in on_server(imap_server, "Drafts").values()),
        )
    [draft] = DraftStore(private_state / "drafts").load_all()
    assert draft.subject == "Half-written" and draft.server_draft is not None
    assert smtp_server.messages == []


async def test_typing_part_of_a_senders_name_in_to_suggests_their_address(
    imap_server: Any, smtp_server: Any, tmp_path: Path
) -> None:
    app = real_app(imap_server, tmp_path, smtp=smtp_server)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        rows = screen.message_list.rows
        named = [
            a
            for row in (rows.row(i) for i in range(len(rows)))
            if row is not None
            for a in row.summary.from_
            if len(a.name) >= 4 and a.name.isascii() and "@" in a.email
        ]
        sender = named[0]
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await type_text(pilot, sender.name[:4])
        hints = app.screen.query_one("#address-hints")
        await wait_until(pilot, lambda: sender.email.lower() in str(hints.render()).lower())
        to = app.screen.query_one("#compose-to")
        await wait_until(pilot, lambda: bool(to._suggestion))
        await pilot.press("right")  # accept the completion
        assert sender.email.lower() in to.value.lower()


async def save_a_draft(pilot: Any, app: Any, imap_server: Any, subject: str, body: str) -> None:
    """c, To, Subject, body, then Escape -> Save: the draft lands in Drafts on the server."""
    drafts_before = len(on_server(imap_server, "Drafts"))
    await pilot.press("c")
    await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
    await type_text(pilot, "carol@example.net")
    await pilot.press("tab", "tab")
    await type_text(pilot, subject)
    await pilot.press("tab")
    await type_text(pilot, body)
    await pilot.press("escape")
    await pilot.pause(0.3)
    await pilot.press("s")  # Save draft
    await wait_until(pilot, lambda: len(on_server(imap_server, "Drafts")) > drafts_before)


async def test_enter_on_a_message_in_drafts_resumes_it_and_sending_removes_it(
    imap_server: Any, smtp_server: Any, tmp_path: Path, private_state: Path
) -> None:
    app = real_app(imap_server, tmp_path, smtp=smtp_server)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        seeded_drafts = set(on_server(imap_server, "Drafts"))
        await save_a_draft(pilot, app, imap_server, "Half-written", "First lines")
        await wait_until(pilot, lambda: app.screen is screen)
        store = DraftStore(private_state / "drafts")
        for saved in store.load_all():  # as on another computer: only the server copy
            store.remove(saved.draft_id)
        screen.open_folder("test", "Drafts")
        await wait_until(pilot, lambda: screen.folder == "Drafts" and len(screen.message_list.rows))
        screen.message_list.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        compose = app.screen
        draft = compose.current_draft()
        assert [a.email for a in draft.to] == ["carol@example.net"]
        assert draft.subject == "Half-written"
        assert draft.body.strip() == "First lines"
        assert draft.server_draft is not None and draft.server_draft[0] == "Drafts"
        compose.query_one("#compose-body").focus()
        await type_text(pilot, " and more")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(smtp_server.messages) == 1)
        await wait_until(pilot, lambda: set(on_server(imap_server, "Drafts")) == seeded_drafts)
    sent = parsed(smtp_server.messages[0].data)
    assert sent["Subject"] == "Half-written"
    text = sent.get_body(("plain",)).get_content()
    assert "First lines" in text and "and more" in text


async def test_forward_as_attachment_from_the_palette_sends_the_original_whole(
    imap_server: Any, smtp_server: Any, tmp_path: Path
) -> None:
    app = real_app(imap_server, tmp_path, smtp=smtp_server)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        await wait_until(pilot, lambda: screen.preview.raw is not None)
        original = screen.preview.body
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await type_text(pilot, "forward as attachment")
        await pilot.pause(0.5)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        draft = app.screen.current_draft()
        assert [Path(p).suffix for p in draft.attachments] == [".eml"]
        assert draft.subject.startswith("Fwd: ") and draft.reply_kind == "forward"
        await type_text(pilot, "dave@example.net")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(smtp_server.messages) == 1)
        if keywords_allowed(imap_server):  # pymap keeps no keywords (no \\* in PERMANENTFLAGS)
            await wait_until(
                pilot,
                lambda: (
                    "$Forwarded" in on_server(imap_server, "INBOX").get(original.message_id, ())
                ),
            )
    sent = parsed(smtp_server.messages[0].data)
    [attached] = list(sent.iter_attachments())
    assert attached.get_content_type() == "message/rfc822"
    inner = attached.get_content()
    assert inner["Message-ID"] == original.message_id


def keywords_allowed(imap_server: Any) -> bool:
    """True when the server stores keywords such as ``$Forwarded`` in INBOX."""
    from tests.integration.backend_helpers import other_client

    client = other_client(imap_server)
    try:
        return b"\\*" in client.select_folder("INBOX")[b"PERMANENTFLAGS"]
    finally:
        client.logout()


async def test_a_failed_message_waits_in_the_outbox_folder_and_is_sent_again_once(
    imap_server: Any, smtp_server: Any, tmp_path: Path, private_state: Path
) -> None:
    from textual.widgets import DataTable

    from tui_mail.ui.screens.outbox import OutboxScreen

    app = real_app(imap_server, tmp_path, smtp=smtp_server)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        tree = screen.folder_tree
        assert tree.outbox_node("test") is None  # no entry while the outbox is empty
        smtp_server.stop()
        await write_new_message(pilot, app)
        await wait_until(pilot, lambda: tree.outbox_node("test") is not None)
        node = tree.outbox_node("test")
        assert str(node.label).endswith("Outbox 1")
        tree.focus()
        tree.move_cursor(node)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OutboxScreen))
        outbox_screen = app.screen
        table = outbox_screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        subject, to, _tries, error = (str(cell) for cell in table.get_row_at(0))
        assert (subject, to) == (SUBJECT, "bob@example.net") and error
        await pilot.press("enter")  # the message and its error
        detail = outbox_screen.query_one("#outbox-message")
        await wait_until(pilot, lambda: BODY in str(detail.render()))
        assert "Not sent (connect)" in str(detail.render())
        smtp_server.start()
        await pilot.press("s")  # send again
        await wait_until(pilot, lambda: len(smtp_server.messages) == 1)
        await wait_until(pilot, lambda: table.row_count == 0)
        await wait_until(pilot, lambda: tree.outbox_node("test") is None)
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.pause(0.5)
    assert len(smtp_server.messages) == 1
    assert parsed(smtp_server.messages[0].data)["Subject"] == SUBJECT
    assert Outbox(private_state / "outbox").list() == []


async def test_outbox_entries_can_be_deleted_after_asking_or_taken_back_to_edit(
    imap_server: Any, smtp_server: Any, tmp_path: Path, private_state: Path
) -> None:
    from textual.widgets import DataTable

    from tui_mail.ui.screens.outbox import OutboxScreen

    app = real_app(imap_server, tmp_path, smtp=smtp_server)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        tree = screen.folder_tree
        smtp_server.stop()
        await write_new_message(pilot, app)
        await wait_until(pilot, lambda: app.screen is screen)
        await write_new_message(pilot, app)
        outbox = Outbox(private_state / "outbox")
        await wait_until(pilot, lambda: sum(bool(e.last_error) for e in outbox.list()) == 2)
        await wait_until(pilot, lambda: str(tree.outbox_node("test").label).endswith("Outbox 2"))
        app.post_message(tree.OutboxSelected("test"))
        await wait_until(pilot, lambda: isinstance(app.screen, OutboxScreen))
        table = app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 2)
        await pilot.press("d")
        await pilot.pause(0.3)
        await pilot.press("n")  # No: nothing deleted
        await pilot.pause(0.3)
        assert len(outbox.list()) == 2
        await pilot.press("d")
        await pilot.pause(0.3)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(outbox.list()) == 1 and table.row_count == 1)
        await pilot.press("e")  # back into the compose screen, kept as a local draft
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        draft = app.screen.current_draft()
        assert draft.subject == SUBJECT and draft.body.strip() == BODY
        assert [a.email for a in draft.to] == ["bob@example.net"]
        assert outbox.list() == []
        assert [d.subject for d in DraftStore(private_state / "drafts").load_all()] == [SUBJECT]
    assert smtp_server.messages == []
