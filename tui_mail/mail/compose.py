"""Turn a :class:`~tui_mail.models.Draft` into an RFC 5322 message ready for SMTP.

Pure: no I/O. Attachment bytes and the signature text are handed in by the caller.
Headers are folded and encoded by ``email.policy.SMTP`` (CRLF, encoded-words for
non-ASCII, RFC 2231 file names). Python 3.11's email package needs two kinds of help,
given here:

* every header value first has its control and line-break characters (anything
  ``str.splitlines`` splits on, C0, DEL, C1) replaced by spaces, so nothing typed by
  the user or copied from an original (even an encoded-word that decoded to CR/LF)
  can end a header line and start a new one;
* ``In-Reply-To`` and ``References`` are folded by hand between message-ids: the
  generic folder turns a long id (Outlook's are 80+ characters) into encoded-words,
  which breaks threading everywhere.

Reply and forward drafts are built in :mod:`tui_mail.mail.quoting`.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import quopri
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.header import Header
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, Policy, compat32
from email.utils import format_datetime, make_msgid

from tui_mail.errors import SendError
from tui_mail.mail.filenames import safe_filename
from tui_mail.models import Address, Draft

#: Characters that may end a header line in some reader (``str.splitlines`` set), plus
#: every other C0/C1 control and DEL. Lone surrogates cannot be encoded at all.
_HEADER_TABLE: dict[int, str] = {c: " " for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))}
_HEADER_TABLE.update({0x2028: " ", 0x2029: " "})
_HEADER_TABLE.update({c: "\ufffd" for c in range(0xD800, 0xE000)})

#: Anything the email package's lenient parser might take for an encoded-word.
_ENCODED_WORD = re.compile(r"=\?([^?]*)\?([^?]*)\?(.*?)\?=", re.DOTALL)
#: A message-id as we accept it from an original: angle brackets, no space or control.
_MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,250}>")
#: What may stand left of the ``@`` without quoting (RFC 5322 dot-atom text).
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
#: References kept when they grow long: the thread root plus the most recent ones.
MAX_REFERENCES = 20

FORWARD_SEPARATOR = "---------- Forwarded message ----------"
ATTACHMENT_WORDS = re.compile(
    r"\b(attach(ed|ment|ments|ing)?|enclosed|anhang|anh[äa]nge|angeh[äa]ngt|anbei"
    r"|pi[èe]ces? jointes?|ci-jointe?s?|jointe?s?)\b",
    re.IGNORECASE,
)


def header_text(value: str) -> str:
    """``value`` safe to set as a header: one line, nothing the email package would decode.

    Every control or line break becomes a space. Text that looks like an encoded-word
    (``=?utf-8?q?...?=``) is decoded here and cleaned again, because the email package
    decodes such text when folding, even inside a quoted display name, and writes the
    result raw: an encoded CR/LF would otherwise start a new header.
    """
    text = value.translate(_HEADER_TABLE)
    for _ in range(4):  # nested encodings: bounded, then neutralised below
        if "=?" not in text:
            break
        decoded = _ENCODED_WORD.sub(_decode_encoded_word, text).translate(_HEADER_TABLE)
        if decoded == text:
            break
        text = decoded
    if _ENCODED_WORD.search(text):
        text = text.replace("=?", "= ?")
    return text.strip()


def _decode_encoded_word(match: re.Match[str]) -> str:
    charset, encoding, payload = (
        match.group(1).split("*")[0],
        match.group(2).lower(),
        match.group(3),
    )
    try:
        if encoding == "b":
            raw = base64.b64decode(payload + "=" * (-len(payload) % 4))
        elif encoding == "q":
            raw = quopri.decodestring(payload.replace("_", " ").encode("ascii"), header=True)
        else:
            return match.group(0)
        return raw.decode(charset or "ascii", errors="replace")
    except (ValueError, LookupError, binascii.Error):
        return match.group(0)


def message_ids(values: Iterable[str]) -> list[str]:
    """The well-formed ``<id>`` tokens in ``values``, in order, without repeats."""
    seen: dict[str, None] = {}
    for value in values:
        for token in _MESSAGE_ID.findall(value or ""):
            seen.setdefault(token, None)
    return list(seen)


def capped_references(ids: Sequence[str]) -> list[str]:
    """Keep the first id (the thread root) and the newest ones, at most MAX_REFERENCES."""
    if len(ids) <= MAX_REFERENCES:
        return list(ids)
    return [ids[0], *ids[len(ids) - MAX_REFERENCES + 1 :]]


def ascii_email(email: str) -> str:
    """The address with an IDNA-encoded domain; SendError(step="compose") when unusable.

    Non-ASCII local parts would need SMTPUTF8, which we do not speak.
    """
    cleaned = email.strip()
    local, at, domain = cleaned.rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local) or ".." in local:
        raise SendError("Invalid email address", header_text(email)[:200], step="compose")
    try:
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise SendError("Invalid email domain", header_text(email)[:200], step="compose") from None
    labels = domain.split(".")
    if not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise SendError("Invalid email domain", header_text(email)[:200], step="compose")
    return f"{local}@{domain}"


def header_address(address: Address) -> HeaderAddress:
    """An email-package address with a one-line display name and a checked address."""
    return HeaderAddress(
        display_name=header_text(address.name), addr_spec=ascii_email(address.email)
    )


def envelope(draft: Draft) -> tuple[str, list[str]]:
    """SMTP envelope of a draft: MAIL FROM and RCPT TO (To + Cc + Bcc, each once)."""
    recipients: dict[str, str] = {}
    for address in (*draft.to, *draft.cc, *draft.bcc):
        checked = ascii_email(address.email)
        recipients.setdefault(checked.lower(), checked)
    return ascii_email(draft.from_.email), list(recipients.values())


def build_message(
    draft: Draft,
    *,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    signature: str = "",
    message_id_domain: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """The message for ``draft``: headers, text/plain UTF-8 body, attachments.

    ``attachments`` are ``(file name, bytes, MIME type)``; an empty type is guessed from
    the name. A ``message/rfc822`` attachment (see ``quoting.rfc822_attachment``) is
    embedded as a message. ``signature`` is appended after a ``-- `` line. Bcc
    recipients are *not* written into the headers: they only go in the envelope.
    Raises SendError(step="compose") for an unusable address.
    """
    message = EmailMessage(policy=SMTP)
    sender = header_address(draft.from_)
    message["From"] = sender
    if draft.to:
        message["To"] = [header_address(a) for a in draft.to]
    if draft.cc:
        message["Cc"] = [header_address(a) for a in draft.cc]
    message["Subject"] = _TextHeader("Subject", header_text(draft.subject))
    when = date or datetime.now().astimezone()
    message["Date"] = format_datetime(when if when.tzinfo else when.astimezone())
    message["Message-ID"] = make_msgid(domain=message_id_domain or sender.domain)
    parent = message_ids([draft.in_reply_to])
    if parent:
        message["In-Reply-To"] = _IdListHeader("In-Reply-To", parent[0])
    references = capped_references(message_ids(draft.references))
    if references:
        message["References"] = _IdListHeader("References", " ".join(references))
    _set_body(message, with_signature(draft.body, signature))
    for name, data, content_type in attachments:
        _attach(message, name, data, content_type)
    _check_header_lines(message)
    return message


def _check_header_lines(message: EmailMessage) -> None:
    """Refuse a message whose folded headers would start an extra header line.

    A last line of defence behind ``header_text``: every continuation line of a
    folded header must begin with white space.
    """
    for part in message.walk():
        if part.get_content_type() == "message/rfc822" and part is not message:
            continue
        for name, value in part.items():
            folded = message.policy.fold(name, value)
            lines = folded.split(message.policy.linesep)[1:-1]
            if any(not line[:1].isspace() for line in lines) or "\n" in folded.replace("\r\n", ""):
                raise SendError("A header could not be written safely", name, step="compose")


def message_bytes(message: EmailMessage) -> bytes:
    """The wire form of a built message (CRLF line ends, as SMTP and APPEND want)."""
    return message.as_bytes(policy=SMTP)


def with_signature(body: str, signature: str) -> str:
    """``body`` followed by the ``-- `` separator and ``signature`` (when there is one)."""
    signature = signature.replace("\r\n", "\n").strip("\n")
    if not signature.strip():
        return body
    if signature.startswith("-- \n"):
        signature = signature[4:]
    return f"{body.rstrip()}\n\n-- \n{signature}\n"


def presend_warnings(draft: Draft, attachments_count: int) -> list[str]:
    """What the user may want to fix before sending (empty when nothing looks wrong).

    Warns about no recipients, an empty subject, and a body that speaks of an
    attachment (English, German, French) when none is attached. Quoted lines
    (starting with ``>``) and a forwarded message do not count: the original may have
    had the attachment.
    """
    warnings: list[str] = []
    if not (draft.to or draft.cc or draft.bcc):
        warnings.append("The message has no recipients.")
    if not header_text(draft.subject):
        warnings.append("The subject is empty.")
    if attachments_count == 0:
        own_lines = (
            line for line in _before_signature(draft.body) if not line.lstrip().startswith(">")
        )
        if any(ATTACHMENT_WORDS.search(line) for line in own_lines):
            warnings.append("The text mentions an attachment, but nothing is attached.")
    return warnings


def _before_signature(body: str) -> list[str]:
    """The user's own lines: up to the signature or a forwarded message, whichever is first."""
    lines = body.splitlines()
    for end, line in enumerate(lines):
        if line == "-- " or line == FORWARD_SEPARATOR:
            return lines[:end]
    return lines


def _set_body(message: EmailMessage, body: str) -> None:
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if text and not text.endswith("\n"):
        text += "\n"
    plain = text.isascii() and all(len(line) <= 78 for line in text.split("\n"))
    # Quoted-printable rather than raw 8bit: not every server offers 8BITMIME.
    message.set_content(
        text, subtype="plain", charset="utf-8", cte="7bit" if plain else "quoted-printable"
    )


def _attach(message: EmailMessage, name: str, data: bytes, content_type: str) -> None:
    filename = safe_filename(name)
    content_type = (
        content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    ).lower()
    maintype, _, subtype = content_type.partition("/")
    if content_type == "message/rfc822":
        # Parsed leniently (compat32 keeps the original header text) and embedded
        # whole; base64 is forbidden for message/rfc822 (RFC 2046 section 5.2.1).
        inner = BytesParser(policy=compat32).parsebytes(data)
        message.add_attachment(inner, cte="7bit" if data.isascii() else "8bit", filename=filename)
    elif not _MIME_TOKEN.fullmatch(maintype) or not _MIME_TOKEN.fullmatch(subtype):
        message.add_attachment(data, "application", "octet-stream", filename=filename)
    else:
        message.add_attachment(data, maintype, subtype, filename=filename)
    *_, part = message.iter_parts()
    # add_attachment copies MIME-Version into every part; it belongs on the top only.
    del part["MIME-Version"]


_MIME_TOKEN = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


class _HandFolded(str):
    """A header value the email policy stores as is and writes with our ``fold``.

    The policy keeps any value that has ``name`` and ``fold`` untouched (it is
    already a "header object") and calls ``fold`` when writing the message.
    """

    name: str

    def __new__(cls, name: str, value: str) -> _HandFolded:
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        raise NotImplementedError


class _IdListHeader(_HandFolded):
    """Message-ids folded between ids, never into encoded-words (validated by ``message_ids``)."""

    def fold(self, *, policy: Policy) -> str:
        """``Name: <a>`` with each further id on a continuation line when too long."""
        limit = policy.max_line_length or 78
        lines = [f"{self.name}:"]
        for index, token in enumerate(self.split(" ")):
            # The first id stays on the name's line, however long.
            if index and len(lines[-1]) + 1 + len(token) > limit:
                lines.append("")
            lines[-1] += " " + token
        return policy.linesep.join(lines) + policy.linesep


class _TextHeader(_HandFolded):
    """Unstructured text (the subject) encoded so that every space survives.

    Python 3.11's policy folder splits non-ASCII text into encoded-words *at* spaces,
    and readers drop white space between adjacent encoded-words (RFC 2047), so
    ``"a  ü"``-style subjects lost their spaces. The legacy ``Header`` class keeps
    the spaces inside the encoded-words. The value is one line (``header_text``).
    """

    def fold(self, *, policy: Policy) -> str:
        """``Name: value``, encoded-words for non-ASCII text, folded near the line limit."""
        charset = None if self.isascii() else "utf-8"
        encoded = Header(str(self), charset, header_name=self.name).encode(
            linesep=policy.linesep, maxlinelen=policy.max_line_length or 78
        )
        return f"{self.name}: {encoded}{policy.linesep}"
