"""The preview's text: a rendered message (or raw source) as ``rich.text.Text``.

Pure functions, run off the event loop by ``ui/widgets/preview.py``. Every
string is cleaned with ``tui_mail.mail.sanitize`` and appended as plain text
(never markup), so nothing a message holds can style, link or escape.
"""

from __future__ import annotations

from rich.text import Text

from tui_mail.mail.crypto import GpgRunner
from tui_mail.mail.render import RenderedMessage, render_message
from tui_mail.mail.sanitize import clean_line, clean_text
from tui_mail.models import MessageBody
from tui_mail.ui.body_colours import BodyPalette, colour_body
from tui_mail.ui.widgets.wrapped_text import WrappedText, WrapSpec

#: How the signature/decryption status line looks, by its level.
SECURITY_STYLES = {"good": "bold green", "warning": "bold yellow", "bad": "bold reverse red"}

#: Raw source beyond this many bytes is cut (a note says so): showing 30 MB of
#: base64 helps nobody and would stall the terminal.
RAW_SOURCE_LIMIT = 2_000_000


def message_text(rendered: RenderedMessage, palette: BodyPalette | None = None) -> Text:
    """Build the preview text of a rendered message: headers, body, attachments, links, notes.

    Every string is cleaned again here (cheap, idempotent) so the widget stays
    safe even when handed something that skipped ``mail.render``. With a
    ``palette`` the body is coloured by position (quotes, signature, links, patches).
    """
    text = Text(no_wrap=False, end="")
    header_style = (palette.get("header") if palette else None) or "bold"
    for name, value in rendered.header_lines:
        text.append(f"{clean_line(name, 80)}: ", style=header_style)
        text.append(clean_line(value, 4000))
        text.append("\n")
    text.append("\n")
    if rendered.security:
        style = SECURITY_STYLES.get(rendered.security_level, "bold")
        text.append(clean_line(rendered.security, 4000), style=style)
        text.append("\n\n")
    body_start = len(text.plain)
    text.append(clean_text(rendered.text))
    colour_body(text, body_start, palette)
    _append_section(text, "Attachments", rendered.attachments)
    _append_section(text, "Links", rendered.links)
    notes = rendered.notes
    if notes:
        text.append("\n\n")
        for note in notes:
            text.append(f"Note: {clean_line(str(note))}\n", style="italic yellow")
    return text


def _append_section(text: Text, title: str, lines: list[str]) -> None:
    """Append a titled list (lines are already numbered by ``mail.render``)."""
    if not lines:
        return
    text.append(f"\n\n{title}\n", style="bold underline")
    for line in lines:
        style = "red" if "deceptive" in line.lower() else ""
        text.append(f"  {clean_line(line, 2000)}\n", style=style)


def raw_source_text(raw: bytes) -> Text:
    """The raw message bytes as sanitised text (decoded with replacement, cut at the limit)."""
    cut = len(raw) > RAW_SOURCE_LIMIT
    decoded = raw[:RAW_SOURCE_LIMIT].decode("utf-8", errors="replace")
    text = Text(clean_text(decoded), end="")
    if cut:
        text.append(
            f"\n\n[raw source cut at {RAW_SOURCE_LIMIT:,} of {len(raw):,} bytes]",
            style="italic yellow",
        )
    return text


def render_in_thread(
    body: MessageBody | None,
    raw: bytes | None,
    all_headers: bool,
    spec: WrapSpec,
    palette: BodyPalette | None = None,
    gpg: GpgRunner | None = None,
) -> tuple[MessageBody, RenderedMessage, WrappedText]:
    """Parse ``raw`` when no body is given (verifying and decrypting with ``gpg``), render, build the display text and wrap it."""
    if body is None:
        from tui_mail.mail.parse import parse_message

        body = parse_message(raw or b"", gpg=gpg)
    # width 0: no wrapping here; the spec wraps the text to the pane.
    rendered = render_message(body, width=0, all_headers=all_headers)
    return body, rendered, spec.wrap(message_text(rendered, palette))
