"""The preview pane: one message as text, scrollable, never interpreting what it shows.

Everything that reaches the screen here is built as ``rich.text.Text`` from
strings that went through ``tui_mail.mail.sanitize``; nothing is ever parsed as
markup, so a subject like ``[@click=app.quit]x[/]`` shows literally and a click
on it does nothing. Parsing raw bytes, rendering and building the text all run
off the event loop (``asyncio.to_thread``) in an exclusive worker, so a newer
message supersedes a stale one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tui_mail.mail.render import RenderedMessage, render_message
from tui_mail.mail.sanitize import clean_line, clean_text
from tui_mail.models import MessageBody
from tui_mail.ui.keymap import bindings_for

#: Raw source beyond this many bytes is cut (a note says so): showing 30 MB of
#: base64 helps nobody and would stall the terminal.
RAW_SOURCE_LIMIT = 2_000_000

_PREVIEW_BINDING_IDS = frozenset({"preview.page_down", "mail.headers", "mail.raw"})

_RENDER_GROUP = "preview-render"


def message_text(rendered: RenderedMessage) -> Text:
    """Build the preview text of a rendered message: headers, body, attachments, links, notes.

    Every string is cleaned again here (cheap, idempotent) so the widget stays
    safe even when handed something that skipped ``mail.render``.
    """
    text = Text(no_wrap=False, end="")
    for name, value in rendered.header_lines:
        text.append(f"{clean_line(name, 80)}: ", style="bold")
        text.append(clean_line(value, 4000))
        text.append("\n")
    text.append("\n")
    text.append(clean_text(rendered.text))
    _append_section(text, "Attachments", rendered.attachments)
    _append_section(text, "Links", rendered.links)
    notes = list(getattr(rendered, "notes", ()) or ())
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


@dataclass
class _Shown:
    """What the pane holds now (None fields: not known)."""

    key: Any = None
    body: MessageBody | None = None
    raw: bytes | None = None
    rendered: RenderedMessage | None = None


class MessagePreview(VerticalScroll, can_focus=True):
    """A scrollable view of one message.

    Construct with the usual widget arguments (``id``, ``classes``). Feed it with:

    - :meth:`show_loading` while the body is fetched ("Loading…");
    - :meth:`show_raw_message` with the fetched bytes (parsed and rendered off the loop);
    - :meth:`show_body` with an already parsed ``MessageBody``;
    - :meth:`show_rendered` with a ``RenderedMessage`` (shown at once);
    - :meth:`show_error` when fetching failed; :meth:`clear` for nothing.

    ``key`` is any value the caller uses to name the message (e.g.
    ``(account, folder, uid)``); it comes back in the messages below.

    Keys (ids from ``ui/keymap.py``, so remapping works): ``space``
    (``preview.page_down``) pages down, ``H`` (``mail.headers``) toggles all
    headers, ``V`` (``mail.raw``) toggles the raw source. The same actions are
    public methods (:meth:`toggle_all_headers`, :meth:`toggle_raw_source`) for
    the main screen's bindings. Mouse wheel scrolling is the container's.

    Posts :class:`MessagePreview.Rendered` (the parsed body, e.g. for reply and
    save) and :class:`MessagePreview.Shown` once a message is on screen (the
    moment to mark it read).
    """

    DEFAULT_CSS = """
    MessagePreview { height: 1fr; padding: 0 1; }
    MessagePreview > #preview-content { width: 1fr; height: auto; }
    MessagePreview.-loading > #preview-content { color: $text-muted; text-style: italic; }
    MessagePreview.-error > #preview-content { color: $error; }
    """

    BINDINGS = [b for b in bindings_for("preview", "message") if b.id in _PREVIEW_BINDING_IDS]

    @dataclass
    class Rendered(Message):
        """A message body was parsed and rendered; ``body`` is the parsed message."""

        key: Any
        body: MessageBody | None

    @dataclass
    class Shown(Message):
        """The message named ``key`` is now visible in the pane."""

        key: Any

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.all_headers = False
        """Whether every header is shown (toggled by ``H``)."""
        self.raw_mode = False
        """Whether the raw source is shown instead of the rendered message (``V``)."""
        self._shown = _Shown()

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="preview-content", markup=False)

    # ------------------------------------------------------------------ public API

    @property
    def key(self) -> Any:
        """The key of the message shown or loading (None when empty)."""
        return self._shown.key

    @property
    def body(self) -> MessageBody | None:
        """The parsed body shown, when there is one."""
        return self._shown.body

    @property
    def raw(self) -> bytes | None:
        """The raw bytes shown, when the caller gave them."""
        return self._shown.raw

    @property
    def text(self) -> Text:
        """The text on display now (for tests and copy actions)."""
        content = self.query_one("#preview-content", Static).content
        return content if isinstance(content, Text) else Text(str(content))

    def clear(self) -> None:
        """Show nothing."""
        self._stop_rendering()
        self._shown = _Shown()
        self._set_text(Text(""), state="")

    def show_loading(self, key: Any = None) -> None:
        """Show "Loading…" for the message ``key`` while its body is fetched."""
        self._stop_rendering()
        self._shown = _Shown(key=key)
        self._set_text(Text("Loading…"), state="-loading")

    def show_error(self, summary: str, details: str = "", key: Any = None) -> None:
        """Show why a message could not be shown (sanitised, no traceback)."""
        self._stop_rendering()
        self._shown = _Shown(key=key)
        text = Text(clean_line(summary), style="bold", end="")
        if details:
            text.append("\n\n")
            text.append(clean_text(details), style="")
        self._set_text(text, state="-error")

    def show_raw_message(self, raw: bytes, key: Any = None) -> None:
        """Parse and render ``raw`` off the loop, then show it (keeps ``raw`` for ``V``)."""
        self._shown = _Shown(key=key, raw=raw)
        self._render_off_loop(key, None, raw)

    def show_body(self, body: MessageBody, raw: bytes | None = None, key: Any = None) -> None:
        """Render a parsed body off the loop, then show it."""
        self._shown = _Shown(key=key, body=body, raw=raw)
        self._render_off_loop(key, body, raw)

    def show_rendered(
        self,
        rendered: RenderedMessage,
        *,
        body: MessageBody | None = None,
        raw: bytes | None = None,
        key: Any = None,
    ) -> None:
        """Show an already rendered message now (small messages, tests)."""
        self._stop_rendering()
        self._shown = _Shown(key=key, body=body, raw=raw, rendered=rendered)
        self.raw_mode = False
        self._set_text(message_text(rendered), state="")
        self.post_message(self.Shown(key))

    def toggle_all_headers(self) -> None:
        """Show every header, or only From/To/Cc/Date/Subject again (needs the body)."""
        self.all_headers = not self.all_headers
        if self._shown.body is not None:
            self.raw_mode = False
            self._render_off_loop(self._shown.key, self._shown.body, self._shown.raw)
        elif self._shown.body is None and self._shown.rendered is not None:
            self.notify("All headers need the parsed message", severity="warning")

    def toggle_raw_source(self) -> None:
        """Switch between the rendered message and its raw source (sanitised)."""
        if self._shown.raw is None:
            self.notify("No raw source for this message", severity="warning")
            return
        self.raw_mode = not self.raw_mode
        if self.raw_mode:
            self._show_raw_source(self._shown.raw)
        elif self._shown.rendered is not None:
            self._set_text(message_text(self._shown.rendered), state="")
        else:
            self._render_off_loop(self._shown.key, self._shown.body, self._shown.raw)

    # ------------------------------------------------------------------ actions (keymap ids)

    def action_preview_page_down(self) -> None:
        """Page down (``space``)."""
        self.scroll_page_down()

    def action_all_headers(self) -> None:
        """Toggle all headers (``H``)."""
        self.toggle_all_headers()

    def action_raw_source(self) -> None:
        """Toggle the raw source (``V``)."""
        self.toggle_raw_source()

    # ------------------------------------------------------------------ internals

    def _stop_rendering(self) -> None:
        self.workers.cancel_group(self, _RENDER_GROUP)

    def _set_text(self, text: Text, *, state: str) -> None:
        self.set_class(state == "-loading", "-loading")
        self.set_class(state == "-error", "-error")
        self.query_one("#preview-content", Static).update(text)
        self.scroll_home(animate=False)

    @work(exclusive=True, group=_RENDER_GROUP)
    async def _render_off_loop(self, key: Any, body: MessageBody | None, raw: bytes | None) -> None:
        """Parse (when needed), render and build the text in a thread; show it here."""
        # width 0: the Static soft-wraps to the pane, so a resize needs no re-render
        width, all_headers = 0, self.all_headers
        try:
            body, rendered, text = await asyncio.to_thread(
                _render_in_thread, body, raw, width, all_headers
            )
        except Exception as exc:  # never a traceback in the pane: say what failed
            self.show_error("Could not show this message", f"{type(exc).__name__}: {exc}", key)
            return
        if self._shown.key != key:
            return
        self._shown = _Shown(key=key, body=body, raw=raw, rendered=rendered)
        self.raw_mode = False
        self._set_text(text, state="")
        self.post_message(self.Rendered(key, body))
        self.post_message(self.Shown(key))

    @work(exclusive=True, group=_RENDER_GROUP)
    async def _show_raw_source(self, raw: bytes) -> None:
        text = await asyncio.to_thread(raw_source_text, raw)
        if self.raw_mode:
            self._set_text(text, state="")


def _render_in_thread(
    body: MessageBody | None, raw: bytes | None, width: int, all_headers: bool
) -> tuple[MessageBody, RenderedMessage, Text]:
    """Parse ``raw`` when no body is given, render, and build the display text."""
    if body is None:
        from tui_mail.mail.parse import parse_message

        body = parse_message(raw or b"")
    rendered = render_message(body, width=width, all_headers=all_headers)
    return body, rendered, message_text(rendered)
