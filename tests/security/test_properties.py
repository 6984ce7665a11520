"""Property tests for what the existing unit tests leave open.

Already covered elsewhere (not repeated): ``clean_text``/``clean_line`` never
leave a forbidden character (tests/unit/test_sanitize.py), a new draft's
subject, name or body never adds a header (tests/unit/test_compose.py),
``parse_message`` never raises on any bytes (tests/unit/test_parse.py) and
search values never escape their quoting (tests/unit/test_search_quoting.py).
Here: the rendered output of any bytes, replies and forwards to any hostile
*received* message, attachment names, and ENVELOPE data from a hostile server.
"""

from __future__ import annotations

import base64
import email
import email.policy
import posixpath
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imapclient.response_types import Address as ImapAddress
from imapclient.response_types import Envelope

from tests.hostile import FORBIDDEN
from tui_mail.backend.imap.envelope import summary_from_fetch
from tui_mail.errors import SendError
from tui_mail.mail.compose import build_message, message_bytes
from tui_mail.mail.filenames import safe_filename
from tui_mail.mail.parse import parse_message
from tui_mail.mail.quoting import forward_draft, reply_draft
from tui_mail.mail.render import render_message

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Any text, controls, CR/LF, escapes and bidi included (no lone surrogates: not encodable).
_HOSTILE_TEXT = st.text(st.characters(codec="utf-8"), max_size=80) | st.sampled_from([
    "x\r\nBcc: evil@example.com", "\r\n\r\nbody", "a\nTo: b@example.com", "\x1b]52;c;QQ==\x07",
    "=?utf-8?q?=0D=0ABcc:_x@example.com?=", "\u202eevil", "",
])


def _word(text: str) -> str:
    """An RFC 2047 encoded-word: any text, CR and LF included, survives into the header."""
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode() + "?="


class _Account:
    name = "work"
    email = "me@example.org"
    display_name = "Me"
    identities = ()


@_SETTINGS
@given(st.binary(max_size=3000))
def test_rendered_output_of_any_bytes_has_no_forbidden_character(raw: bytes) -> None:
    rendered = render_message(parse_message(raw), all_headers=True)
    for text in [rendered.text, *rendered.attachments, *rendered.links, *rendered.notes,
                 *(part for pair in rendered.header_lines for part in pair)]:
        assert not FORBIDDEN.search(text), text[:200]


@_SETTINGS
@given(subject=_HOSTILE_TEXT, name=_HOSTILE_TEXT, message_id=_HOSTILE_TEXT,
       references=_HOSTILE_TEXT, body=_HOSTILE_TEXT, encoded=st.booleans())
def test_reply_and_forward_to_a_hostile_message_gain_no_header(
    subject: str, name: str, message_id: str, references: str, body: str, encoded: bool
) -> None:
    """Whatever a received message's headers hold, our reply has only our headers."""
    def value(text: str) -> str:
        return _word(text) if encoded else text.replace("\r", " ").replace("\n", " ")

    raw = (
        f"From: {value(name)} <alice@example.com>\r\nTo: me@example.org\r\n"
        f"Subject: {value(subject)}\r\nMessage-ID: <{message_id.strip()}@example.com>\r\n"
        f"References: {value(references)}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    ).encode() + body.encode("utf-8")
    original = parse_message(raw)
    expected = {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
                "Content-Transfer-Encoding"}
    for draft in (reply_draft(original, account=_Account(), reply_all=True),
                  forward_draft(original, account=_Account())):
        if not draft.to:
            draft.to = [original.from_[0]] if original.from_ else []
        try:
            wire = message_bytes(build_message(draft))
        except SendError:
            continue  # refusing an unsendable address (a sender wrote "0@/") is safe too
        sent = email.message_from_bytes(wire, policy=email.policy.strict)
        names = set(sent.keys())
        assert names - {"In-Reply-To", "References"} == expected, sorted(names)
        assert len(sent.keys()) == len(names), "a header appears twice"


@_SETTINGS
@given(st.text(max_size=300) | st.sampled_from([
    "../../etc/passwd", "..", ".", "/", "\\\\server\\share\\x", "a/../../b", "\u202etxt.exe",
    "con", "NUL.txt", "..\\..\\x", "x\x00y", " . . ", "\u2024\u2024/x",
]))
def test_attachment_names_never_leave_the_folder(name: str) -> None:
    safe = safe_filename(name)
    assert safe and "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert not safe.startswith(".") and safe not in (".", "..")
    assert not FORBIDDEN.search(safe)
    assert posixpath.dirname(posixpath.normpath(posixpath.join("/downloads", safe))) == "/downloads"
    assert len(safe.encode("utf-8")) <= 240


_FIELD = st.none() | st.binary(max_size=60) | st.integers(-5, 10**12) | st.sampled_from(
    [b"=?utf-8?b?G1syShtdNTI7YzsK?=", b"\x1b[2J", b"=?x-unknown?q?a?=", b"=?utf-8?q?=0D=0A?=",
     b"\xff\xfe", b"(", b"\\", b"NIL"])
_ADDRESSES = st.none() | st.lists(
    st.builds(ImapAddress, _FIELD, _FIELD, _FIELD, _FIELD), max_size=4).map(tuple)


@_SETTINGS
@given(
    envelope=st.none() | st.builds(
        Envelope, st.none() | st.just(datetime(2026, 2, 3)) | _FIELD, _FIELD,
        _ADDRESSES, _ADDRESSES, _ADDRESSES, _ADDRESSES, _ADDRESSES, _ADDRESSES, _FIELD, _FIELD),
    flags=st.none() | st.lists(_FIELD, max_size=4).map(tuple) | _FIELD,
    size=_FIELD, references=_FIELD, internal=st.none() | st.just(datetime(2026, 1, 1)) | _FIELD,
)
def test_any_envelope_from_a_server_becomes_a_row(
    envelope: Envelope | None, flags: object, size: object, references: object, internal: object
) -> None:
    """A hostile server controls every FETCH field: the row is built, never an exception."""
    data = {b"ENVELOPE": envelope, b"FLAGS": flags, b"RFC822.SIZE": size,
            b"BODY[HEADER.FIELDS (REFERENCES)]": references, b"INTERNALDATE": internal}
    row = summary_from_fetch("work", "INBOX", 7, {k: v for k, v in data.items() if v is not None}, 1)
    assert row.uid == 7 and isinstance(row.subject, str)
    assert all(isinstance(a.email, str) and isinstance(a.name, str) for a in (*row.from_, *row.to))
