"""What the message list shows, without drawing it: a view, windows of it, optimistic edits.

:class:`VisibleRows` wraps a :class:`MessageView` snapshot and answers "what is
display row *i*" while reading the view only in windows of :data:`WINDOW` rows
(a few windows are kept). It also carries the optimistic overlay of
``ui/actions.py``: rows hidden (deleted, archived, moved but not yet confirmed)
and flags overridden (read, flagged), so the list changes at once and a failed
action rolls back by dropping its overlay entry. Plain Python: no widget here.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from tui_mail.backend import ListRow, MessageView
from tui_mail.ui.selection import MessageKey

WINDOW = 128
"""Rows read from the view at a time."""
WINDOWS_KEPT = 8


class EmptyView:
    """A view with no rows (before a folder is open)."""

    def __len__(self) -> int:
        return 0

    def rows(self, start: int, stop: int) -> Sequence[ListRow]:
        return ()

    def index_of(self, uid: int) -> int | None:
        return None

    def index_of_message(self, account: str, folder: str, uid: int) -> int | None:
        return None


class VisibleRows:
    """A view's rows minus optimistically hidden ones, with flag overrides applied."""

    def __init__(self, view: MessageView | None = None) -> None:
        self.view: MessageView = view if view is not None else EmptyView()
        self._length = len(self.view)
        self._windows: OrderedDict[int, Sequence[ListRow]] = OrderedDict()
        self._hidden: dict[MessageKey, int] = {}
        """message -> position in the view (only messages present in the view)."""
        self._hidden_positions: list[int] = []
        self._flags: dict[MessageKey, frozenset[str]] = {}
        """message -> flags to show instead of the view's."""
        self._settled: set[MessageKey] = set()
        """Messages whose action the server confirmed: their overlay goes with the next view."""

    # ------------------------------------------------------------------ the view

    def replace_view(self, view: MessageView) -> None:
        """Show a new snapshot; overlay entries for messages no longer in it are dropped."""
        self.view = view
        self._length = len(view)
        self._windows.clear()
        for key in self._settled:
            self._flags.pop(key, None)
        self._settled.clear()
        hidden = list(self._hidden)
        self._hidden.clear()
        self.hide(hidden)

    def __len__(self) -> int:
        return self._length - len(self._hidden_positions)

    def _view_index(self, display_index: int) -> int:
        index = display_index
        for position in self._hidden_positions:
            if position <= index:
                index += 1
            else:
                break
        return index

    def display_index(self, key: MessageKey) -> int | None:
        """Where a message is shown, or None (not in the view, or hidden)."""
        if key in self._hidden:
            return None
        position = self.view.index_of_message(*key)
        if position is None:
            return None
        return position - bisect.bisect_left(self._hidden_positions, position)

    def row(self, display_index: int) -> ListRow | None:
        """The row shown at ``display_index`` (flags overridden), or None out of range."""
        if not 0 <= display_index < len(self):
            return None
        index = self._view_index(display_index)
        window_number, offset = divmod(index, WINDOW)
        window = self._windows.get(window_number)
        if window is None:
            start = window_number * WINDOW
            window = self.view.rows(start, min(start + WINDOW, self._length))
            self._windows[window_number] = window
            if len(self._windows) > WINDOWS_KEPT:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(window_number)
        if offset >= len(window):
            return None
        row = window[offset]
        flags = self._flags.get(MessageKey.of(row.summary)) if self._flags else None
        if flags is not None and flags != row.summary.flags:
            summary = dataclasses.replace(row.summary, flags=flags)
            row = dataclasses.replace(row, summary=summary)
        return row

    # ------------------------------------------------------------------ the overlay

    def hide(self, keys: Iterable[MessageKey]) -> None:
        """Stop showing these messages (an optimistic removal)."""
        for key in keys:
            position = self.view.index_of_message(*key)
            if position is not None and key not in self._hidden:
                self._hidden[key] = position
        self._hidden_positions = sorted(self._hidden.values())

    def unhide(self, keys: Iterable[MessageKey]) -> None:
        """Show these messages again (a rolled-back removal)."""
        for key in keys:
            self._hidden.pop(key, None)
        self._hidden_positions = sorted(self._hidden.values())

    def override_flags(self, flags: dict[MessageKey, frozenset[str]]) -> None:
        """Show these flags instead of the view's (an optimistic flag change)."""
        self._flags.update(flags)

    def drop_flag_overrides(self, keys: Iterable[MessageKey]) -> None:
        """Show the view's own flags again for these messages."""
        for key in keys:
            self._flags.pop(key, None)

    def shown_flags(self, key: MessageKey, view_flags: frozenset[str]) -> frozenset[str]:
        """The flags shown for a message whose view flags are ``view_flags``."""
        return self._flags.get(key, view_flags)

    def settle(self, keys: Iterable[MessageKey]) -> None:
        """The server confirmed these messages' flags: the view's flags from the next view on.

        Hidden messages stay hidden: a moved message never comes back under the same
        UID, and the next view will not hold it anyway.
        """
        self._settled.update(keys)
