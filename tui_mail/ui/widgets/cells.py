"""Fitting sanitised text into a column of terminal cells, cut with an ellipsis.

Widths are counted in cells, not characters (a CJK character or most emoji
take two), so the message list's columns stay aligned whatever the names are.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

ELLIPSIS = "…"


def fit_cells(text: str, width: int, *, right: bool = False) -> str:
    """``text`` in exactly ``width`` cells: padded with spaces (before it if ``right``),
    or cut with ``…``.

    A cut never ends silently mid-word: the last cell is the ellipsis. A wide
    character that would be split, and spaces before the ellipsis, are dropped
    (``Margaret Hamilton`` in 14 cells is ``Margaret Hami…``, in 10 ``Margaret…``).
    """
    if width <= 0:
        return ""
    length = cell_len(text)
    if length <= width:
        padding = " " * (width - length)
        return padding + text if right else text + padding
    # set_cell_size pads a split wide character with a space; rstrip drops it.
    head = set_cell_size(text, width - 1).rstrip()
    return head + ELLIPSIS + " " * (width - 1 - cell_len(head))
