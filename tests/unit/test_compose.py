"""Compose, reply, forward: headers that parse strictly and can never be injected."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_mail.errors import SendError
from tui_mail.mail.compose import (
    MAX_REFERENCES,
    build_message,
    envelope,
    header_text,
    message_bytes,
    presend_warnings,
)
from tui_mail.mail.parse import parse_message
from tui_mail.mail.quoting import (
    forward_as_attachment,
    forward_attachments,
    forward_draft,
    reply_draft,
    reply_subject,
    resumed_draft,
)
from tui_mail.models import Address, Draft, MessageBody

WHEN = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class _Identity:
    name: str
    email: str


@dataclass(frozen=True)
class _Account:
    name: str = "work"
    email: str = "me@example.org"
    display_name: str = "Me Myself"
    identities: tuple[_Identity, ...] = (
        _Identity("Me Myself", "me@example.org"),
        _Identity("Support Desk", "Support@Example.org"),
    )


ACCOUNT = _Account()
#: The headers of a new message with From and To, and nothing else.
_EXPECTED_HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
}

ALICE = Address("Alice", "alice@example.com")
BOB = Address("Bob", "bob@example.net")


def strict(message: EmailMessage) -> EmailMessage:
    """Serialise and parse back under the strict policy (raises on any defect)."""
    parsed = email.message_from_bytes(message_bytes(message), policy=email.policy.strict)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body_text(message: EmailMessage) -> str:
    """The text/plain body with wire CRLFs back to ``\\n``."""
    part = message.get_body(("plain",))
    assert part is not None and part.get_content_charset() == "utf-8"
    return str(part.get_content()).replace("\r\n", "\n")


def original(**overrides: object) -> MessageBody:
    fields: dict[str, object] = {
        "subject": "Lunch plans",
        "from_": (ALICE,),
        "to": (Address("Me", "ME@example.org"), BOB),
        "cc": (Address("Carol", "carol@example.com"), Address("", "support@example.org")),
        "date": WHEN,
        "message_id": "<orig-1@example.com>",
        "references": ("<root@example.com>", "<mid@example.com>"),
        "text": "Shall we meet?\n> earlier\n\nAlice",
    }
    fields.update(overrides)
    return MessageBody(**fields)  # type: ignore[arg-type]


def test_new_message_headers_body_and_bcc_only_in_envelope() -> None:
    draft = Draft(
        account="work",
        from_=Address("Jörg Ümlaut", "me@example.org"),
        to=[ALICE],
        cc=[BOB],
        bcc=[Address("", "secret@example.com")],
        subject="Grüße aus Köln ✓",
        body="Hallo,\nschöne Grüße.\n",
    )
    parsed = strict(build_message(draft, date=WHEN))
    assert parsed["Subject"] == "Grüße aus Köln ✓"
    assert parsed["From"].addresses[0].display_name == "Jörg Ümlaut"
    assert "Bcc" not in parsed
    assert parsed["Message-ID"].endswith("@example.org>")
    assert parsed["Date"].datetime == WHEN
    assert parsed["MIME-Version"] == "1.0"
    assert body_text(parsed) == "Hallo,\nschöne Grüße.\n"
    assert envelope(draft) == (
        "me@example.org",
        ["alice@example.com", "bob@example.net", "secret@example.com"],
    )


def test_signature_follows_dash_dash_line() -> None:
    draft = Draft(account="work", from_=ALICE, to=[BOB], subject="s", body="Hi")
    parsed = strict(build_message(draft, signature="-- \nAlice\n+49 000"))
    assert body_text(parsed) == "Hi\n\n-- \nAlice\n+49 000\n"


def test_attachments_with_non_ascii_names_parse_strictly() -> None:
    draft = Draft(account="work", from_=ALICE, to=[BOB], subject="files", body="see files")
    files = [
        ("Lebenslauf Jürgen Müller – 2026.pdf", b"%PDF-1.4 fake", ""),
        ("../../etc/passwd", b"root:x", ""),
        ("数据.csv", b"a,b\n1,2\n", "text/csv"),
    ]
    parsed = strict(build_message(draft, attachments=files))
    parts = list(parsed.iter_attachments())
    assert [p.get_filename() for p in parts] == [
        "Lebenslauf Jürgen Müller – 2026.pdf",
        "passwd",
        "数据.csv",
    ]
    assert parts[0].get_content_type() == "application/pdf"
    assert parts[0].get_content() == b"%PDF-1.4 fake"
    assert parts[2].get_content_type() == "text/csv"
    assert all("MIME-Version" not in p for p in parts)


def test_typed_crlf_and_encoded_crlf_stay_on_one_line() -> None:
    evil = "hi\r\nBcc: evil@example.com =?utf-8?q?x=0D=0AX-Injected:_1?="
    draft = Draft(
        account="work",
        from_=Address("=?utf-8?q?Me=0D=0AX-Name-Injected:_1?=", "me@example.org"),
        to=[Address('"=?utf-8?b?QQ0KWC1RdW90ZWQ6IDE=?="', "a@example.com")],
        subject=evil,
        body="x",
    )
    raw = message_bytes(build_message(draft))
    parsed = email.message_from_bytes(raw, policy=email.policy.strict)
    assert set(parsed.keys()) == _EXPECTED_HEADERS
    assert b"\r\nX-" not in raw and b"\r\nBcc" not in raw
    assert "\n" not in parsed["Subject"] and "evil@example.com" in parsed["Subject"]


def test_bad_address_is_a_compose_error() -> None:
    draft = Draft(account="work", from_=ALICE, to=[Address("", "bob@exa mple.com")], subject="s")
    with pytest.raises(SendError) as caught:
        build_message(draft)
    assert caught.value.step == "compose"


def test_long_outlook_message_ids_fold_without_encoded_words() -> None:
    long_id = "<AM0PR07MB1234567890ABCDEF1234567890ABCDEF@AM0PR07MB1234.eurprd07.prod.outlook.com>"
    draft = Draft(
        account="work",
        from_=ALICE,
        to=[BOB],
        subject="s",
        in_reply_to=long_id,
        references=["<a@x>", long_id, "not an id", "<b c@x>"],
    )
    raw = message_bytes(build_message(draft))
    assert b"=?" not in raw.split(b"\r\n\r\n")[0]
    parsed = strict(build_message(draft))
    assert parsed["In-Reply-To"] == long_id
    assert parsed["References"].split() == ["<a@x>", long_id]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Lunch", "Re: Lunch"),
        ("Re: Lunch", "Re: Lunch"),
        ("RE: re: Aw: Lunch", "Re: Lunch"),
        ("AW: WG: Fwd: Fw: Lunch", "Re: Lunch"),
        ("Re[3]: Lunch", "Re: Lunch"),
        ("Re: =?x", "Re: =?x"),
        ("Regarding: x", "Re: Regarding: x"),
    ],
)
def test_reply_subject_never_stacks(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_reply_goes_to_reply_to_else_from_and_threads() -> None:
    reply = reply_draft(original(), account=ACCOUNT, reply_all=False, original_ref=("INBOX", 7))
    assert reply.to == [ALICE] and reply.cc == []
    assert reply.subject == "Re: Lunch plans"
    assert reply.in_reply_to == "<orig-1@example.com>"
    assert reply.references == ["<root@example.com>", "<mid@example.com>", "<orig-1@example.com>"]
    assert reply.reply_kind == "reply" and reply.original == ("INBOX", 7)
    assert (
        "On Thu, 26 Nov 2026 09:30:00 +0000, Alice wrote:\n> Shall we meet?\n>> earlier\n>\n> Alice\n"
        in reply.body
    )
    listy = original(reply_to=(Address("List", "list@example.com"),))
    assert reply_draft(listy, account=ACCOUNT, reply_all=False).to == [
        Address("List", "list@example.com")
    ]


def test_reply_all_drops_every_own_identity_case_insensitively() -> None:
    reply = reply_draft(original(), account=ACCOUNT, reply_all=True)
    assert reply.to == [ALICE]
    assert [a.email for a in reply.cc] == ["bob@example.net", "carol@example.com"]


def test_reply_picks_the_identity_the_original_was_sent_to() -> None:
    to_support = original(to=(Address("", "SUPPORT@example.org"),), cc=())
    assert (
        reply_draft(to_support, account=ACCOUNT, reply_all=False).from_.email
        == "Support@Example.org"
    )
    unknown = original(to=(BOB,), cc=(), headers=(("Delivered-To", "support@example.org"),))
    assert (
        reply_draft(unknown, account=ACCOUNT, reply_all=False).from_.email == "Support@Example.org"
    )
    nobody = original(to=(BOB,), cc=())
    assert reply_draft(nobody, account=ACCOUNT, reply_all=False).from_ == Address(
        "Me Myself", "me@example.org"
    )


def test_reply_to_own_sent_message_goes_to_its_recipients() -> None:
    sent = original(from_=(Address("Me", "me@example.org"),), to=(BOB,), cc=())
    assert reply_draft(sent, account=ACCOUNT, reply_all=False).to == [BOB]


def test_references_are_capped_keeping_the_root() -> None:
    refs = tuple(f"<r{i}@x>" for i in range(50))
    reply = reply_draft(original(references=refs), account=ACCOUNT, reply_all=False)
    assert len(reply.references) == MAX_REFERENCES
    assert reply.references[0] == "<r0@x>" and reply.references[-1] == "<orig-1@example.com>"


def test_encoded_crlf_in_original_never_reaches_reply_headers() -> None:
    hostile = original(
        subject="Hi\r\nBcc: evil@example.com",
        from_=(Address("Eve\r\nX-Evil: 1", "eve@example.com"),),
        text="\x1b]52;c;ZXZpbA==\x07body\x1b[2J",
    )
    reply = reply_draft(hostile, account=ACCOUNT, reply_all=True)
    assert "\x1b" not in reply.body and "body" in reply.body
    parsed = strict(build_message(reply))
    assert "X-Evil" not in parsed and "Bcc" not in parsed
    assert parsed["Subject"] == "Re: Hi Bcc: evil@example.com"


def test_forward_inline_and_as_attachment() -> None:
    fwd = forward_draft(
        original(subject="Re: Lunch plans"), account=ACCOUNT, original_ref=("INBOX", 3)
    )
    assert fwd.subject == "Fwd: Lunch plans" and fwd.to == [] and fwd.reply_kind == "forward"
    assert "---------- Forwarded message ----------\nFrom: Alice <alice@example.com>" in fwd.body
    assert "Subject: Re: Lunch plans\n" in fwd.body and "Shall we meet?" in fwd.body
    raw = b"From: alice@example.com\r\nSubject: Lunch plans\r\n\r\nSch\xc3\xb6n\r\n"
    draft, attachment = forward_as_attachment(original(), raw, account=ACCOUNT)
    draft.to = [BOB]
    parsed = strict(build_message(draft, attachments=[attachment]))
    (part,) = parsed.iter_attachments()
    assert part.get_content_type() == "message/rfc822"
    assert part.get_filename() == "Lunch plans.eml"
    inner = part.get_content()
    assert inner["Subject"] == "Lunch plans"


def test_inline_forward_carries_the_original_attachments() -> None:
    source = Draft(
        account="work", from_=ALICE, to=[Address("Me", "me@example.org")], subject="Docs"
    )
    source.body = "See the files."
    files = [("Übersicht.pdf", b"%PDF fake", ""), ("notes.txt", b"plain notes", "")]
    raw = message_bytes(build_message(source, attachments=files))
    parsed_original = parse_message(raw)
    carried, problems = forward_attachments(parsed_original, raw)
    assert problems == []
    assert [(name, data) for name, data, _ in carried] == [(n, d) for n, d, _ in files]
    fwd = forward_draft(parsed_original, account=ACCOUNT)
    fwd.to = [BOB]
    parts = list(strict(build_message(fwd, attachments=carried)).iter_attachments())
    assert [p.get_filename() for p in parts] == ["Übersicht.pdf", "notes.txt"]
    assert parts[0].get_content() == b"%PDF fake"


def test_presend_warnings() -> None:
    draft = Draft(
        account="work", from_=ALICE, to=[BOB], subject="", body="Please see the attached file."
    )
    assert presend_warnings(draft, 0) == [
        "The subject is empty.",
        "The text mentions an attachment, but nothing is attached.",
    ]
    assert presend_warnings(draft, 1) == ["The subject is empty."]
    for body in (
        "Im Anhang die Datei",
        "anbei das PDF",
        "Voir la pièce jointe",
        "ci-joint le devis",
    ):
        draft.body, draft.subject = body, "s"
        assert presend_warnings(draft, 0), body
    draft.body = "Thanks!\n\n> see the attachment\n>> enclosed"
    assert presend_warnings(draft, 0) == []
    forward = forward_draft(original(text="the attached report"), account=ACCOUNT)
    forward.to = [BOB]
    assert presend_warnings(forward, 0) == []
    forward.body = "Here is the attachment.\n" + forward.body
    assert presend_warnings(forward, 0) == [
        "The text mentions an attachment, but nothing is attached."
    ]
    draft.to = []
    assert presend_warnings(draft, 0) == ["The message has no recipients."]


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=_TEXT, name=_TEXT, body=_TEXT)
def test_any_text_gives_exactly_the_expected_headers(subject: str, name: str, body: str) -> None:
    draft = Draft(
        account="work",
        from_=Address(name, "me@example.org"),
        to=[Address(name, "you@example.com")],
        subject=subject,
        body=body,
    )
    parsed = strict(build_message(draft))
    assert set(parsed.keys()) == _EXPECTED_HEADERS
    assert len(parsed.keys()) == len(_EXPECTED_HEADERS)
    assert parsed["Subject"] == header_text(subject)
    if "=?" not in subject:
        assert parsed["Subject"] == subject.translate(_CONTROLS_TO_SPACE).strip()
    assert parsed["To"].addresses[0].addr_spec == "you@example.com"
    sent_text = body.replace("\r\n", "\n").replace("\r", "\n")
    assert body_text(parsed).rstrip("\n") == sent_text.rstrip("\n")
    # White space in a display name is not kept exactly by Python's email package
    # (runs collapse; a space may appear where a long name is split into encoded-words).
    assert "".join(parsed["To"].addresses[0].display_name.split()) == "".join(
        header_text(name).split()
    )


_CONTROLS_TO_SPACE = {c: " " for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)}


def test_a_draft_saved_as_a_message_resumes_with_its_fields() -> None:
    saved = Draft(
        account="work",
        from_=Address("Support Desk", "support@example.org"),
        to=[ALICE],
        cc=[BOB],
        subject="Grüße, again",
        body="Line one\nLine two\n",
        in_reply_to="<orig@example.com>",
        references=["<root@example.com>", "<orig@example.com>"],
    )
    body = parse_message(message_bytes(build_message(saved, date=WHEN)))
    draft = resumed_draft(body, account=ACCOUNT, server_draft=("Drafts", 7))
    assert draft.from_ == Address("Support Desk", "Support@Example.org")  # the identity
    assert (draft.to, draft.cc, draft.subject) == ([ALICE], [BOB], "Grüße, again")
    assert draft.body.strip() == "Line one\nLine two"
    assert draft.in_reply_to == "<orig@example.com>"
    assert draft.references == ["<root@example.com>", "<orig@example.com>"]
    assert draft.server_draft == ("Drafts", 7) and draft.reply_kind == ""
