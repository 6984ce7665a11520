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


class VisibleRows:
    """A view's rows minus optimistically hidden ones, with flag overrides applied."""

    def __init__(self, view: MessageView | None = None) -> None:
        self.view: MessageView = view if view is not None else EmptyView()
        self._length = len(self.view)
        self._windows: OrderedDict[int, Sequence[ListRow]] = OrderedDict()
        self._hidden: dict[int, int] = {}
        """uid -> position in the view (only uids present in the view)."""
        self._hidden_positions: list[int] = []
        self._flags: dict[int, frozenset[str]] = {}
        """uid -> flags to show instead of the view's."""
        self._settled: set[int] = set()
        """uids whose action the server confirmed: their overlay goes with the next view."""

    # ------------------------------------------------------------------ the view

    def replace_view(self, view: MessageView) -> None:
        """Show a new snapshot; overlay entries for uids no longer in it are dropped."""
        self.view = view
        self._length = len(view)
        self._windows.clear()
        for uid in self._settled:
            self._flags.pop(uid, None)
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

    def display_index(self, uid: int) -> int | None:
        """Where a uid is shown, or None (not in the view, or hidden)."""
        if uid in self._hidden:
            return None
        position = self.view.index_of(uid)
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
        flags = self._flags.get(row.summary.uid)
        if flags is not None and flags != row.summary.flags:
            summary = dataclasses.replace(row.summary, flags=flags)
            row = dataclasses.replace(row, summary=summary)
        return row

    # ------------------------------------------------------------------ the overlay

    def hide(self, uids: Iterable[int]) -> None:
        """Stop showing these uids (an optimistic removal)."""
        for uid in uids:
            position = self.view.index_of(uid)
            if position is not None and uid not in self._hidden:
                self._hidden[uid] = position
        self._hidden_positions = sorted(self._hidden.values())

    def unhide(self, uids: Iterable[int]) -> None:
        """Show these uids again (a rolled-back removal)."""
        for uid in uids:
            self._hidden.pop(uid, None)
        self._hidden_positions = sorted(self._hidden.values())

    def override_flags(self, flags: dict[int, frozenset[str]]) -> None:
        """Show these flags instead of the view's (an optimistic flag change)."""
        self._flags.update(flags)

    def drop_flag_overrides(self, uids: Iterable[int]) -> None:
        """Show the view's own flags again for these uids."""
        for uid in uids:
            self._flags.pop(uid, None)

    def shown_flags(self, uid: int, view_flags: frozenset[str]) -> frozenset[str]:
        """The flags shown for a uid whose view flags are ``view_flags``."""
        return self._flags.get(uid, view_flags)

    def settle(self, uids: Iterable[int]) -> None:
        """The server confirmed these uids' flags: show the view's flags from the next view on.

        Hidden uids stay hidden: a moved message never comes back under the same
        UID, and the next view will not hold it anyway.
        """
        self._settled.update(uids)
