"""The preview pane: one message as text, scrollable, never interpreting what it shows.

Everything that reaches the screen here is built as ``rich.text.Text`` from
strings that went through ``tui_mail.mail.sanitize``; nothing is ever parsed as
markup, so a subject like ``[@click=app.quit]x[/]`` shows literally and a click
on it does nothing. Parsing raw bytes, rendering, building the text and
wrapping it into screen lines all run off the event loop (``asyncio.to_thread``)
in an exclusive worker, so a newer message supersedes a stale one.

The text itself is built by ``ui/message_text.py``. The pane is a Line-API
``ScrollView`` over those lines (``ui/widgets/wrapped_text.py``):
showing a message or scrolling draws only the lines in view, and needs no
layout of the screen while the text fits the pane (issue #8).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.text import Text
from textual import work
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style

from tui_mail.backend import GnuPG
from tui_mail.mail.crypto import GpgRunner
from tui_mail.mail.render import RenderedMessage
from tui_mail.mail.sanitize import clean_line, clean_text
from tui_mail.models import MessageBody
from tui_mail.ui.body_colours import PALETTE_NAMES, BodyPalette
from tui_mail.ui.keymap import bindings_for
from tui_mail.ui.message_text import message_text, raw_source_text, render_in_thread
from tui_mail.ui.textual_compat import set_virtual_size
from tui_mail.ui.widgets.wrapped_text import WrappedText, WrapSpec, highlight_selection

_PREVIEW_BINDING_IDS = frozenset(
    {"preview.page_down", "preview.next", "preview.previous", "mail.headers", "mail.raw"}
)

_RENDER_GROUP = "preview-render"
_WRAP_GROUP = "preview-wrap"


@dataclass
class _Shown:
    """What the pane holds now (None fields: not known)."""

    key: Any = None
    body: MessageBody | None = None
    raw: bytes | None = None
    rendered: RenderedMessage | None = None


class MessagePreview(ScrollView, can_focus=True):
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
    the main screen's bindings. Mouse wheel scrolling and text selection work
    as in any Textual pane.

    Posts :class:`MessagePreview.Rendered` (the parsed body, e.g. for reply and
    save) and :class:`MessagePreview.Shown` once a message is on screen (the
    moment to mark it read).
    """

    COMPONENT_CLASSES = {
        "message-preview--loading",
        "message-preview--error",
        *(f"message-preview--{name}" for name in PALETTE_NAMES),
    }
    # The loading and error looks are component styles applied to the text, not
    # classes on the pane: a class change re-applies the CSS, on every cursor move.
    # The body's colours (ui/body_colours.py) are component styles too, so a theme
    # or the user's CSS sets them; they are laid over the sanitised text by position.
    DEFAULT_CSS = """
    MessagePreview { height: 1fr; padding: 0 1; overflow-x: hidden; }
    MessagePreview > .message-preview--loading { color: $text-muted; text-style: italic; }
    MessagePreview > .message-preview--error { color: $error; }
    MessagePreview > .message-preview--header { color: $text-accent; text-style: bold; }
    MessagePreview > .message-preview--quote-1 { color: $text-success; }
    MessagePreview > .message-preview--quote-2 { color: $text-secondary; }
    MessagePreview > .message-preview--quote-3 { color: $text-warning; }
    MessagePreview > .message-preview--signature { color: $text-muted; }
    MessagePreview > .message-preview--url { text-style: underline; }
    MessagePreview > .message-preview--diff-header { text-style: bold; }
    MessagePreview > .message-preview--diff-hunk { color: $text-accent; }
    MessagePreview > .message-preview--diff-added { color: $text-success; }
    MessagePreview > .message-preview--diff-removed { color: $text-error; }
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
        self.state = ""
        """What the pane shows: a message or nothing (""), "loading" or an "error"."""
        self._shown = _Shown()
        self._wrapped = WrapSpec(0, 0, 0, Style(), Console()).wrap(Text(""))
        self._palette: BodyPalette | None = None
        """The colours the shown message was built with (a theme change rebuilds it)."""
        self.gpg: GpgRunner | None = GnuPG()
        """Verifies and decrypts in the render thread (never on the loop); None: neither."""

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
        return self._wrapped.text

    def clear(self) -> None:
        """Show nothing."""
        self._stop_rendering()
        self._shown = _Shown()
        self._set_text(Text(""), state="")

    def show_loading(self, key: Any = None) -> None:
        """Show "Loading…" for the message ``key`` while its body is fetched."""
        self._stop_rendering()
        self._shown = _Shown(key=key)
        self._set_text(Text("Loading…"), state="loading")

    def show_error(self, summary: str, details: str = "", key: Any = None) -> None:
        """Show why a message could not be shown (sanitised, no traceback)."""
        self._stop_rendering()
        self._shown = _Shown(key=key)
        text = Text(clean_line(summary), style="bold", end="")
        if details:
            text.append("\n\n")
            text.append(clean_text(details), style="")
        self._set_text(text, state="error")

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
        self._palette = self.palette()
        self._set_text(message_text(rendered, self._palette), state="")
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
            self._show_message_off_loop(self._shown.rendered)
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

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        wrapped = self._wrapped
        index = self.scroll_offset.y + y
        if index >= len(wrapped.lines):
            return Strip([], 0)  # Textual pads it with the pane's background
        strip = wrapped.lines[index]
        selection = self.text_selection
        if selection is not None:
            selected = self.screen.get_component_rich_style("screen--selection")
            strip = highlight_selection(strip, selection, selected)
        return strip

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text (from the unwrapped text, as Textual's Static gives it)."""
        return selection.extract(self._wrapped.plain), "\n"

    def on_resize(self) -> None:
        spec = self._wrapped.spec
        if (spec.width, spec.height) != self._room():
            self._rewrap()

    def notify_style_update(self) -> None:
        """The CSS was applied again (a theme change): draw the text again if its style changed.

        Textual calls this on every focus change too; then nothing changed.
        """
        super().notify_style_update()
        if self.is_mounted:
            self.call_later(self._rewrap_if_restyled)

    def _rewrap_if_restyled(self) -> None:
        palette = self.palette()
        if palette != self._palette and self._shown.rendered is not None and not self.raw_mode:
            self._show_message_off_loop(self._shown.rendered, keep_scroll=True)
        elif self._style_for(self.state) != self._wrapped.spec.style:
            self._rewrap()

    def palette(self) -> BodyPalette:
        """The body's colours from this pane's component styles (read on the loop)."""
        return BodyPalette.read(
            lambda name: self.get_component_rich_style(f"message-preview--{name}", partial=True)
        )

    # ------------------------------------------------------------------ internals

    def _stop_rendering(self) -> None:
        self.workers.cancel_group(self, _RENDER_GROUP)
        self.workers.cancel_group(self, _WRAP_GROUP)

    def _style_for(self, state: str) -> Style:
        """The base style of the text: the pane's, with the loading or error look."""
        style = self.visual_style
        if state:
            style += Style.from_styles(self.get_component_styles(f"message-preview--{state}"))
        return style

    def _room(self) -> tuple[int, int]:
        """The (width, height) the text has, scrollbar included."""
        region = self.content_region
        return region.width, region.height

    def _spec(self, state: str) -> WrapSpec:
        """How to wrap a text for this pane now (read on the loop, used in a thread)."""
        width, height = self._room()
        gutter = self.styles.scrollbar_size_vertical
        return WrapSpec(width, height, gutter, self._style_for(state), self.app.console)

    def _set_text(self, text: Text, *, state: str) -> None:
        """Show a short text at once (loading, errors, small messages)."""
        self._show_wrapped(self._spec(state).wrap(text), state)

    def _show_wrapped(self, wrapped: WrappedText, state: str, *, keep_scroll: bool = False) -> None:
        """Put wrapped lines on screen: only the lines in view are drawn."""
        self.state = state
        self._wrapped = wrapped
        spec = wrapped.spec
        # Never less than the pane, so text that fits keeps one virtual size.
        set_virtual_size(self, Size(wrapped.width, max(len(wrapped.lines), spec.height)))
        if not keep_scroll:
            self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()
        if (spec.width, spec.height) != self._room():
            self._rewrap()  # the pane was resized while this text was wrapped

    def _rewrap(self) -> None:
        """Wrap the text shown again for a new size or style (off the loop)."""
        text = self._wrapped.text
        if text.plain:
            self._wrap_off_loop(text, self.state)
        else:
            self._show_wrapped(self._spec(self.state).wrap(text), self.state)

    @work(exclusive=True, group=_WRAP_GROUP)
    async def _wrap_off_loop(self, text: Text, state: str) -> None:
        wrapped = await asyncio.to_thread(self._spec(state).wrap, text)
        if self._wrapped.text is text:
            self._show_wrapped(wrapped, state, keep_scroll=True)

    @work(exclusive=True, group=_RENDER_GROUP)
    async def _show_message_off_loop(
        self, rendered: RenderedMessage, *, keep_scroll: bool = False
    ) -> None:
        """Build and wrap a rendered message's text in a thread, then show it."""
        spec, palette = self._spec(""), self.palette()
        wrapped = await asyncio.to_thread(lambda: spec.wrap(message_text(rendered, palette)))
        self._palette = palette
        self._show_wrapped(wrapped, "", keep_scroll=keep_scroll)

    @work(exclusive=True, group=_RENDER_GROUP)
    async def _render_off_loop(self, key: Any, body: MessageBody | None, raw: bytes | None) -> None:
        """Parse (when needed), render, build the text and wrap it in a thread; show it here."""
        self.workers.cancel_group(self, _WRAP_GROUP)
        spec, all_headers, palette = self._spec(""), self.all_headers, self.palette()
        try:
            body, rendered, wrapped = await asyncio.to_thread(
                render_in_thread, body, raw, all_headers, spec, palette, self.gpg
            )
        except Exception as exc:  # never a traceback in the pane: say what failed
            self.show_error("Could not show this message", f"{type(exc).__name__}: {exc}", key)
            return
        if self._shown.key != key:
            return
        self._shown = _Shown(key=key, body=body, raw=raw, rendered=rendered)
        self.raw_mode = False
        self._palette = palette
        self._show_wrapped(wrapped, "")
        self.post_message(self.Rendered(key, body))
        self.post_message(self.Shown(key))

    @work(exclusive=True, group=_RENDER_GROUP)
    async def _show_raw_source(self, raw: bytes) -> None:
        spec = self._spec("")
        wrapped = await asyncio.to_thread(lambda: spec.wrap(raw_source_text(raw)))
        if self.raw_mode:
            self._show_wrapped(wrapped, "")
