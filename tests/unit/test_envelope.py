"""Envelope decoding never raises, whatever the network sends."""

from __future__ import annotations

from datetime import UTC, datetime

from imapclient.response_types import Address as ImapAddress
from imapclient.response_types import Envelope

from tui_mail.backend.backoff import Backoff
from tui_mail.backend.imap.envelope import (
    decode_addresses,
    decode_text,
    has_attachment,
    parse_references,
    summary_from_fetch,
)
from tui_mail.backend.imap.protocol import copyuid_map, parse_uid_set
from tui_mail.models import Address


def test_decode_text_handles_encoded_words_bad_charsets_and_raw_bytes() -> None:
    assert decode_text(b"=?utf-8?q?Gr=C3=BC=C3=9Fe?= aus\r\n Berlin") == "Grüße aus Berlin"
    assert decode_text(b"=?x-unknown?q?abc?=") == "abc"
    assert decode_text(b"=?utf-8?b?!!!notbase64?=")  # garbage in, some text out
    assert decode_text("caf\xe9".encode("latin-1")) == "café"
    assert decode_text(b"na\xc3\xafve") == "naïve"
    assert decode_text(None) == ""


def test_addresses_skip_group_markers_and_broken_items() -> None:
    items = (
        ImapAddress(b"undisclosed-recipients", None, None, None),  # group start
        ImapAddress(b"=?utf-8?q?J=C3=B6rg?=", None, b"joerg", b"example.org"),
        ImapAddress(None, None, None, None),  # group end
        object(),  # not an address at all
    )
    assert decode_addresses(items) == (Address("Jörg", "joerg@example.org"),)


def test_references_and_attachment_detection() -> None:
    block = b"References: <a@x> <b@y>\r\n\t<c@z>\r\n\r\n"
    assert parse_references(block) == ("<a@x>", "<b@y>", "<c@z>")
    pdf = (
        b"application",
        b"pdf",
        (b"name", b"x.pdf"),
        None,
        None,
        b"base64",
        10,
        None,
        (b"attachment", (b"filename", b"x.pdf")),
        None,
    )
    text = (b"text", b"plain", (b"charset", b"utf-8"), None, None, b"7bit", 6, 1)
    assert has_attachment(([text, pdf], b"mixed"))
    assert not has_attachment(([text], b"alternative"))
    assert not has_attachment("garbage")


def test_summary_from_fetch_falls_back_to_internaldate() -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    envelope = Envelope(
        None,
        b"=?utf-8?q?Hi?=",
        (ImapAddress(b"Bob", None, b"bob", b"x.org"),),
        None,
        None,
        None,
        None,
        None,
        b"<p@x>",
        b"<m@x>",
    )
    data = {
        b"ENVELOPE": envelope,
        b"FLAGS": (b"\\Seen",),
        b"INTERNALDATE": when,
        b"RFC822.SIZE": 99,
        b"BODY[HEADER.FIELDS (REFERENCES)]": b"References: <p@x>\r\n",
    }
    summary = summary_from_fetch("acct", "INBOX", 7, data, 42)
    assert (summary.subject, summary.date, summary.size, summary.uidvalidity) == (
        "Hi",
        when,
        99,
        42,
    )
    assert summary.flags == frozenset({"\\Seen"}) and not summary.unread
    assert (summary.message_id, summary.in_reply_to, summary.references) == (
        "<m@x>",
        "<p@x>",
        ("<p@x>",),
    )


def test_uid_sets_and_copyuid() -> None:
    assert parse_uid_set("1:3,7,10:9") == [1, 2, 3, 7, 10, 9]
    assert copyuid_map([b"[COPYUID 99 4,6:7 20:22] done"]) == {4: 20, 6: 21, 7: 22}
    assert copyuid_map([b"OK no code"]) == {}


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(1, 5)
    assert [backoff.next_delay() for _ in range(5)] == [1, 2, 4, 5, 5]
    backoff.reset()
    assert backoff.next_delay() == 1
