"""The one path from a parsed message to what the screen shows.

The preview pane and ``tui-mail show`` both call :func:`render_message`, so
what one shows the other shows. Every string in a :class:`RenderedMessage`
has been through ``mail.sanitize``; the UI still wraps them in
``rich.text.Text`` so ``[markup]`` stays literal text. Also here: the date and
size formats the message list reuses (:func:`format_date`, :func:`format_size`), and
:func:`browser_page`, the HTML part made safe to open in a browser ("Open in browser").
"""

from __future__ import annotations

import base64
import re
import textwrap
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime

from tui_mail.errors import MailError
from tui_mail.mail.crypto import GpgRunner
from tui_mail.mail.filenames import safe_filename
from tui_mail.mail.headers import decode_bytes
from tui_mail.mail.lists import list_headers
from tui_mail.mail.parse import (
    MAX_DEPTH,
    MAX_HEADER_BYTES,
    MAX_PARTS,
    parse_message,
    parse_tree,
    prepare,
)
from tui_mail.mail.parts import (
    charset_of,
    content_type,
    decoded_payload,
    disposition_and_filename,
    raw_header,
)
from tui_mail.mail.sanitize import clean_line, clean_text
from tui_mail.models import Address, Attachment, Link, MessageBody, SecurityStatus

#: Longest link target shown; data: URLs can be megabytes.
MAX_URL_CHARS = 300
_EXTENSIONS = {"message/rfc822": ".eml", "text/plain": ".txt", "text/html": ".html"}
_LEVELS = ("good", "warning", "bad")


@dataclass(slots=True)
class RenderedMessage:
    """A message ready to print or to put in widgets; every string is sanitised."""

    header_lines: list[tuple[str, str]] = field(default_factory=list)
    """(label, value) pairs: From, To, Cc, Date, Subject, or every header."""
    text: str = ""
    """The body; wrapped to ``width`` when one was given, else one line per paragraph."""
    attachments: list[str] = field(default_factory=list)
    """``[1] report.pdf (application/pdf, 120 KB)``, with safe names."""
    links: list[str] = field(default_factory=list)
    """``[1] https://...``; deceptive links say so."""
    notes: list[str] = field(default_factory=list)
    """What went wrong while parsing."""
    security: str = ""
    """The one status line above the body: signatures and decryption, outermost first."""
    security_level: str = ""
    """The worst level among them: "good", "warning", "bad" ("" when there is no line)."""


def render_message(body: MessageBody, *, width: int = 80, all_headers: bool = False) -> RenderedMessage:
    """Turn a :class:`MessageBody` into sanitised display strings.

    ``width`` > 0 wraps the body text to that many characters (for ``show``);
    0 leaves wrapping to the widget (the preview soft-wraps).
    """
    if all_headers:
        header_lines = [(clean_line(name, 200), clean_line(value, 2000)) for name, value in body.headers]
    else:
        header_lines = _summary_headers(body)
    security, level = security_line(body.security)
    return RenderedMessage(
        header_lines=header_lines,
        security=security,
        security_level=level,
        text=wrap_text(clean_text(body.text), width),
        attachments=[attachment_line(a) for a in body.attachments],
        links=[link_line(link) for link in body.links],
        notes=[clean_line(problem, 500) for problem in body.problems],
    )


def render_to_plain(raw: bytes, *, width: int = 80, all_headers: bool = False,
                    gpg: GpgRunner | None = None) -> str:
    """Parse ``raw`` and format it as plain text (what ``tui-mail show`` prints).

    With ``gpg``, signatures are verified and encrypted parts decrypted. Raises
    only ``tui_mail.errors.MailError`` (with a one-line summary) if something
    unexpected breaks; parse problems are printed as notes.
    """
    try:
        body = parse_message(raw, gpg=gpg)
        rendered = render_message(body, width=width, all_headers=all_headers)
        return format_plain(rendered)
    except Exception as exc:
        raise MailError("Could not render the message", type(exc).__name__) from exc


def format_plain(rendered: RenderedMessage) -> str:
    """Lay a :class:`RenderedMessage` out as plain text: headers, body, lists, notes."""
    label_width = max((len(label) for label, _ in rendered.header_lines), default=0) + 1
    lines = [f"{label + ':':<{label_width}} {value}" for label, value in rendered.header_lines]
    if rendered.security:
        lines += ["", rendered.security]
    lines += ["", rendered.text]
    for title, items in (
        ("Attachments:", rendered.attachments),
        ("Links:", rendered.links),
        ("Notes:", rendered.notes),
    ):
        if items:
            lines += ["", title, *items]
    return "\n".join(lines).rstrip("\n") + "\n"


def security_line(statuses: tuple[SecurityStatus, ...]) -> tuple[str, str]:
    """(one sanitised line joining the statuses with " · ", the worst level); ("", "") for none.

    Repeats in a row collapse into one with a count (nested encryption: ``Encrypted to you (×3)``).
    """
    if not statuses:
        return "", ""
    runs: list[list[str | int]] = []
    for status in statuses:
        if runs and runs[-1][0] == status.text:
            runs[-1][1] = int(runs[-1][1]) + 1
        else:
            runs.append([status.text, 1])
    shown = runs[:6]
    text = " · ".join(
        clean_line(str(line), 500) + (f" (×{count})" if int(count) > 1 else "") for line, count in shown
    )
    if len(runs) > len(shown):
        text += f" · and {len(runs) - len(shown)} more"
    worst = max((s.level for s in statuses), key=lambda level: _LEVELS.index(level) if level in _LEVELS else 2)
    return text, worst


def attachment_line(attachment: Attachment) -> str:
    """``[n] name (type, size)`` with a safe name; ``, inline`` for inline parts."""
    number = attachment.index + 1
    fallback = f"attachment-{number}{_EXTENSIONS.get(attachment.content_type, '')}"
    name = safe_filename(attachment.filename, fallback=fallback)
    extra = ", inline" if attachment.inline else ""
    kind = clean_line(attachment.content_type, 100)
    return f"[{number}] {name} ({kind}, {format_size(attachment.size)}{extra})"


def link_line(link: Link) -> str:
    """``[n] url``; a deceptive link also shows the address its text pretends to be."""
    url = clean_line(link.url, MAX_URL_CHARS)
    if link.deceptive:
        return f"[{link.number}] {url}  (DECEPTIVE: the text shows {clean_line(link.text, 200)})"
    return f"[{link.number}] {url}"


def wrap_text(text: str, width: int) -> str:
    """Wrap lines longer than ``width`` characters (0: no wrapping); short lines are kept."""
    if width <= 0:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        out.extend(
            textwrap.wrap(line, width, break_on_hyphens=False, replace_whitespace=False,
                          expand_tabs=False)
            or [""]
        )
    return "\n".join(out)


def format_addresses(addresses: tuple[Address, ...], max_len: int = 1000) -> str:
    """``Name <email>, ...`` sanitised into one line, capped at ``max_len``."""
    return clean_line(", ".join(a.formatted() for a in addresses[:200]), max_len)


def format_date(value: datetime | None, now: datetime | None = None) -> str:
    """A short date for the message list: ``14:05`` today, ``Mar 04`` this year, else ``2024-03-04``.

    ``value`` is shown in the time zone of ``now`` (default: local time).
    """
    if value is None:
        return ""
    now = now or datetime.now().astimezone()
    if value.tzinfo is not None and now.tzinfo is not None:
        value = value.astimezone(now.tzinfo)
    if value.date() == now.date():
        return value.strftime("%H:%M")
    if value.year == now.year:
        return value.strftime("%b %d")
    return value.strftime("%Y-%m-%d")


def format_size(size: int) -> str:
    """``512 B``, ``1.5 KB``, ``120 KB``, ``3.4 MB``, ``1.1 GB`` (powers of 1024)."""
    value = float(max(size, 0))
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _address_field(body: MessageBody, name: str, addresses: tuple[Address, ...]) -> str:
    """The addresses, or the header's text when it names none (``undisclosed-recipients:;``)."""
    if addresses:
        return format_addresses(addresses)
    raw = next((value for key, value in body.headers if key.lower() == name.lower()), "")
    return clean_line(raw)


def _summary_headers(body: MessageBody) -> list[tuple[str, str]]:
    lines = [("From", _address_field(body, "From", body.from_))]
    to = _address_field(body, "To", body.to)
    if to:
        lines.append(("To", to))
    if body.cc:
        lines.append(("Cc", format_addresses(body.cc)))
    if body.reply_to and body.reply_to != body.from_:
        lines.append(("Reply-To", format_addresses(body.reply_to)))
    if body.date is not None:
        date = body.date.strftime("%a, %d %b %Y %H:%M %z")
    else:
        date = clean_line(body.date_text, 200) + (" (unreadable)" if body.date_text else "")
    if date:
        lines.append(("Date", date))
    lines.append(("Subject", clean_line(body.subject)))
    list_name = list_headers(body).name  # already one safe line
    if list_name:
        lines.append(("List", list_name))
    return lines


# ---------------------------------------------------------------------------- a page for the browser

#: The page may show only itself and its inlined images: nothing is fetched, nothing runs.
BROWSER_CSP = (
    "default-src 'none'; img-src data:; media-src data:; font-src data:; "
    "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)
#: Most bytes of ``cid:`` images inlined into one page (the rest stay blocked).
MAX_INLINED_BYTES = 16 * 1024 * 1024
_CID_REF = re.compile(r"cid:([^\"'\s<>)]+)", re.IGNORECASE)
# Hints a browser may act on before (or outside) the CSP: refreshes and prefetch links.
_NOT_KEPT = re.compile(
    r"<meta\b[^>]*http-equiv\s*=\s*[\"']?\s*refresh[^>]*>|<link\b[^>]*>", re.IGNORECASE
)


def browser_page(raw: bytes) -> str | None:
    """The message's HTML part as a page to open in a browser, or None when it has none.

    The page starts with a Content-Security-Policy (:data:`BROWSER_CSP`) and
    DNS-prefetch off, so the browser fetches nothing remote; ``<meta refresh>``
    and ``<link>`` tags are dropped; ``cid:`` images of the message are inlined
    as ``data:`` URIs (up to :data:`MAX_INLINED_BYTES`). Never raises.
    """
    try:
        problems: list[str] = []
        message = parse_tree(prepare(raw, MAX_HEADER_BYTES, problems), MAX_DEPTH, problems)
        if message is None:
            return None
        html, images = "", {}
        for part in list(message.walk())[:MAX_PARTS]:
            kind = content_type(part)
            if kind == "text/html" and not html and not disposition_and_filename(part)[1]:
                html = decode_bytes(decoded_payload(part)[0], charset_of(part))[0]
            content_id = (raw_header(part, "content-id") or "").strip().strip("<>")
            if content_id and kind.startswith("image/"):
                images[content_id] = part
    except Exception:
        return None
    if not html:
        return None
    budget = MAX_INLINED_BYTES

    def inline(match: re.Match[str]) -> str:
        nonlocal budget
        part = images.get(urllib.parse.unquote(match.group(1)))
        if part is None:
            return match.group(0)
        data = decoded_payload(part)[0]
        if len(data) > budget:
            return match.group(0)
        budget -= len(data)
        return f"data:{content_type(part)};base64,{base64.b64encode(data).decode('ascii')}"

    head = (
        f'<!DOCTYPE html><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{BROWSER_CSP}">'
        '<meta http-equiv="x-dns-prefetch-control" content="off">'
    )
    return head + _CID_REF.sub(inline, _NOT_KEPT.sub("", html))
