"""The message list: a Line-API ``ScrollView`` over a folder's :class:`MessageView`.

Never a DataTable/ListView/OptionList (DESIGN.md section 5): only the visible
lines are drawn, each from a row read through :class:`VisibleRows` (windows of
the view, cached). Moving the cursor redraws two lines, so a key costs the same
at 100 rows or 100,000. Every string on a row comes from the network and goes
through ``clean_line`` before it becomes a ``Segment``; nothing is parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui_mail.backend import ListRow, MessageView, SortKey, ViewOrder
from tui_mail.mail.render import format_date
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import MessageSummary
from tui_mail.ui import keymap
from tui_mail.ui.selection import MessageKey
from tui_mail.ui.textual_compat import set_virtual_size
from tui_mail.ui.widgets.cells import fit_cells
from tui_mail.ui.widgets.row_window import VisibleRows

MARKS_WIDTH = 5
DATE_WIDTH = 10
SORT_CYCLE = (SortKey.DATE, SortKey.SENDER, SortKey.SUBJECT, SortKey.SIZE)


def _local_now() -> datetime:
    return datetime.now().astimezone()


def row_marks(summary: MessageSummary, tagged: bool) -> str:
    """The status column: tagged, unread, flagged, answered, attachment (one cell each)."""
    return (
        ("*" if tagged else " ")
        + ("●" if summary.unread else " ")
        + ("⚑" if summary.flagged else " ")
        + ("↩" if summary.answered else " ")
        + ("+" if summary.has_attachment else " ")
    )


def row_person(summary: MessageSummary, show_recipient: bool) -> str:
    """The sender's name (else address); for Sent/Drafts ``To:`` the first recipient."""
    if show_recipient:
        people = summary.to or summary.cc
        return "To: " + clean_line(people[0].display()) if people else "To: (nobody)"
    return clean_line(summary.from_[0].display()) if summary.from_ else "(no sender)"


class MessageList(ScrollView, can_focus=True, inherit_bindings=False):
    """The rows of one folder, newest first by default, with a cursor and tags."""

    BINDINGS = keymap.binding_types_for("list")
    COMPONENT_CLASSES = {
        "message-list--cursor",
        "message-list--cursor-focused",
        "message-list--unread",
        "message-list--tagged",
        "message-list--dim",
    }
    # The focused cursor has its own component class rather than a ``:focus`` rule,
    # so the list's styles are the same focused or not and a focus change keeps
    # every drawn row but the cursor's (see ``render_line``).
    DEFAULT_CSS = """
    MessageList { background: $surface; overflow-x: hidden; }
    MessageList > .message-list--cursor { background: $panel-lighten-1; }
    MessageList > .message-list--cursor-focused { background: $accent 40%; }
    MessageList > .message-list--unread { text-style: bold; }
    MessageList > .message-list--tagged { color: $warning; }
    MessageList > .message-list--dim { color: $text-muted; }
    """

    @dataclass
    class Highlighted(Message):
        """The cursor is on another message (None: the list is empty)."""

        summary: MessageSummary | None

    @dataclass
    class Opened(Message):
        """Enter on a message: show it in the preview and focus the preview."""

        summary: MessageSummary

    @dataclass
    class OrderChanged(Message):
        """The user asked for another order (sort, direction, threads, a folded thread)."""

        order: ViewOrder

    def __init__(
        self, *, id: str | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__(id=id)
        self.rows = VisibleRows()
        self.cursor = 0
        self.tagged: set[MessageKey] = set()
        """Tagged messages, named fully: a tag stays on its message whatever the view."""
        self.order = ViewOrder()
        self.collapsed: frozenset[int] = frozenset()
        self.show_recipient = False
        self.show_folder = False
        """Each row names its folder (see ``set_view``)."""
        self.clock = clock or _local_now
        self._highlighted: MessageKey | None = None
        self._strips: LRUCache[tuple[int, bool, int], Strip] = LRUCache(256)
        """Drawn rows by (index, focused cursor row, width)."""
        self._drawn_with: tuple[Style, ...] = ()
        """The styles the cached rows were drawn with (see ``_check_styles``)."""
        self._styles_changed = True
        self.awaiting_rows = True
        """True from the start until rows are shown, or the view after the first sync is."""
        self._sync_ended = False
        self._key_waiters: list[Callable[[], None]] = []
        """Resumes of keys typed before the first rows (``ui/type_ahead.py``)."""

    # ------------------------------------------------------------------ state

    def when_ready_for_keys(self, resume: Callable[[], None]) -> bool:
        """Keys typed before the first rows wait for them (``j j Enter`` right after start)."""
        if not self.awaiting_rows:
            return False
        self._key_waiters.append(resume)
        return True

    def sync_ended(self) -> None:
        """The open folder's sync ended: the next view holds all the rows there are."""
        self._sync_ended = True

    def _view_shown(self) -> None:
        if self.awaiting_rows and (len(self.rows) or self._sync_ended):
            self.awaiting_rows = False
            waiters, self._key_waiters = self._key_waiters, []
            for resume in waiters:
                resume()

    @property
    def current(self) -> ListRow | None:
        """The row under the cursor, or None when the list is empty."""
        return self.rows.row(self.cursor)

    def set_view(
        self, view: MessageView, *, keep: MessageKey | None = None, show_folder: bool = False
    ) -> None:
        """Show a new snapshot; keep the cursor on ``keep`` (else its message, else row 0).

        ``show_folder``: each row names its folder (the hits of an all-folders search).
        """
        self.show_folder = show_folder
        wanted = keep if keep is not None else self._highlighted
        self.rows.replace_view(view)
        index = self.rows.display_index(wanted) if wanted is not None else None
        self.cursor = min(index if index is not None else self.cursor, max(len(self.rows) - 1, 0))
        self.tagged = {key for key in self.tagged if self.rows.display_index(key) is not None}
        self.changed()
        self._view_shown()

    def reset(self, view: MessageView, *, show_recipient: bool = False) -> None:
        """Show another folder: cursor on the first row (the newest by default), no tags."""
        self._highlighted = None
        self.tagged.clear()
        self.collapsed = frozenset()
        self.show_recipient = show_recipient
        self.show_folder = False
        self.rows = VisibleRows(view)
        self.cursor = 0
        self.changed()
        self.scroll_to(y=0, animate=False, immediate=True)
        self._view_shown()

    def changed(self) -> None:
        """Redraw after the rows, tags or overlay changed, and tell who is highlighted."""
        self._strips.clear()
        set_virtual_size(self, Size(self.scrollable_content_region.width, len(self.rows)))
        self.cursor = min(self.cursor, max(len(self.rows) - 1, 0))
        self._scroll_cursor_into_view()
        self.refresh()
        self._announce()

    def selected(self) -> tuple[MessageKey, ...]:
        """The tagged messages in list order, else the one under the cursor."""
        if self.tagged:
            return tuple(sorted(self.tagged, key=lambda key: self.rows.display_index(key) or 0))
        row = self.current
        return (MessageKey.of(row.summary),) if row else ()

    def summaries(self, keys: tuple[MessageKey, ...]) -> list[MessageSummary]:
        """The shown summaries of these messages (those still in the list)."""
        found = []
        for key in keys:
            index = self.rows.display_index(key)
            row = self.rows.row(index) if index is not None else None
            if row is not None:
                found.append(row.summary)
        return found

    # ------------------------------------------------------------------ cursor

    def move_cursor(self, index: int) -> None:
        """Put the cursor on ``index`` (clamped), redrawing only the two lines."""
        index = max(0, min(index, len(self.rows) - 1))
        if index == self.cursor or index < 0:
            return
        old, self.cursor = self.cursor, index
        self._forget_line(old)
        self._forget_line(index)
        self.refresh_line(old)
        self.refresh_line(index)
        self._scroll_cursor_into_view()
        self._announce()

    def _forget_line(self, index: int) -> None:
        width = self.scrollable_content_region.width
        for focused in (True, False):
            self._strips.discard((index, focused, width))

    def _scroll_cursor_into_view(self) -> None:
        height = max(self.scrollable_content_region.height, 1)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _announce(self) -> None:
        row = self.current
        key = MessageKey.of(row.summary) if row else None
        if key != self._highlighted:
            self._highlighted = key
            self.post_message(self.Highlighted(row.summary if row else None))

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.rows) - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + max(self.scrollable_content_region.height - 1, 1))

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - max(self.scrollable_content_region.height - 1, 1))

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row.summary))

    def action_tag(self) -> None:
        """Tag or untag the message under the cursor, then move down (as mutt does)."""
        row = self.current
        if row is None:
            return
        self.tagged ^= {MessageKey.of(row.summary)}
        self._forget_line(self.cursor)
        self.refresh_line(self.cursor)
        self.move_cursor(self.cursor + 1)

    # ------------------------------------------------------------------ order

    def _ask_order(self, order: ViewOrder) -> None:
        self.order = order
        self.post_message(self.OrderChanged(order))

    def action_cycle_sort(self) -> None:
        key = SORT_CYCLE[(SORT_CYCLE.index(self.order.key) + 1) % len(SORT_CYCLE)]
        self.notify(f"Sorted by {key.value}", timeout=2)
        self._ask_order(ViewOrder(key, self.order.descending, self.order.threaded))

    def action_reverse_sort(self) -> None:
        self._ask_order(ViewOrder(self.order.key, not self.order.descending, self.order.threaded))

    def action_toggle_threaded(self) -> None:
        self._ask_order(ViewOrder(self.order.key, self.order.descending, not self.order.threaded))

    def action_toggle_thread(self) -> None:
        """Fold or unfold the thread under the cursor (threaded view only)."""
        row = self.current
        if row is None or not self.order.threaded:
            return
        self.collapsed ^= {row.summary.uid}
        self.post_message(self.OrderChanged(self.order))

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        if self._styles_changed:
            self._check_styles()
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        # Focus changes only the cursor row's look: keying the other rows without it
        # lets a focus change (Enter, Escape, Tab) redraw one row, not the page.
        focused = self.has_focus and index == self.cursor
        key = (index, focused, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._draw_row(index, focused, width)
            self._strips.set(key, strip)
        return strip

    def _check_styles(self) -> None:
        """Forget the drawn rows when the styles they were drawn with changed (a new theme).

        Textual re-applies the CSS on every focus change; most times nothing
        changed, and the rows drawn so far stay good.
        """
        self._styles_changed = False
        styles = (self.rich_style,) + tuple(
            self.get_component_rich_style(name, partial=True)
            for name in sorted(self.COMPONENT_CLASSES)
        )
        if styles != self._drawn_with:
            self._drawn_with = styles
            self._strips.clear()

    def _draw_row(self, index: int, focused: bool, width: int) -> Strip:
        # The widget's own style, as of _check_styles: rich_style walks the ancestors,
        # which was most of a row's cost.
        base = self._drawn_with[0]
        row = self.rows.row(index)
        if row is None:
            return Strip.blank(width, base)
        summary = row.summary
        tagged = bool(self.tagged) and MessageKey.of(summary) in self.tagged
        style = base
        if summary.unread:
            style += self.get_component_rich_style("message-list--unread", partial=True)
        if tagged:
            style += self.get_component_rich_style("message-list--tagged", partial=True)
        if index == self.cursor:
            cursor = "message-list--cursor-focused" if focused else "message-list--cursor"
            style += self.get_component_rich_style(cursor, partial=True)
        dim = style + self.get_component_rich_style("message-list--dim", partial=True)
        segments = self._cells(row, tagged, width, style, dim)
        return Strip(segments, width)

    def _cells(
        self, row: ListRow, tagged: bool, width: int, style: Style, dim: Style
    ) -> list[Segment]:
        summary = row.summary
        person_width = max(8, min(24, (width - MARKS_WIDTH - DATE_WIDTH) // 3))
        folder_width = max(6, min(16, width // 10)) if self.show_folder else 0
        subject_width = max(
            width - MARKS_WIDTH - DATE_WIDTH - person_width - 3 - folder_width, 0
        )
        # A folded thread's count stays visible: the subject is cut before it.
        folded = f" (+{row.hidden_replies})" if row.hidden_replies else ""
        subject = clean_line(row.thread_prefix) + clean_line(summary.subject or "(no subject)")
        if folded:
            subject = fit_cells(subject, max(subject_width - len(folded), 1)).rstrip()
        date = format_date(summary.date, now=self.clock())
        cells = [
            Segment(row_marks(summary, tagged), style),
            Segment(fit_cells(date, DATE_WIDTH, right=True) + " ", dim),
            Segment(
                " " + fit_cells(row_person(summary, self.show_recipient), person_width) + " ",
                style,
            ),
            Segment(fit_cells(subject + folded, subject_width), style),
        ]
        if folder_width:
            # Where a hit of an all-folders search lives, before its subject.
            folder = fit_cells(clean_line(summary.folder), folder_width - 1) + " "
            cells.insert(3, Segment(folder, dim))
        used = sum(segment.cell_length for segment in cells)
        if used < width:
            cells.append(Segment(" " * (width - used), style))
        return list(Segment.adjust_line_length(cells, width, style=style))

    def on_click(self, event: events.Click) -> None:
        """A click puts the cursor on the row; a double click opens it."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        self.move_cursor(self.scroll_offset.y + offset.y)
        if event.chain >= 2:
            self.action_open()

    def on_resize(self) -> None:
        self._strips.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows))

    def notify_style_update(self) -> None:
        """The CSS was applied again: check the styles before the next row is drawn.

        Not here: Textual updates the component styles after this call.
        """
        super().notify_style_update()
        self._styles_changed = True
