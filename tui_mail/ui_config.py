"""The ``[ui]`` table (issue 20): how the main screen lays out its panes.

``tui_mail.config`` calls :func:`parse_ui` with its table reader, so errors name
the key like every other config error (``ui.layout: must be one of ...``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_mail.config_table import ConfigTable

LAYOUTS: tuple[str, ...] = ("three-pane", "wide", "list", "auto")
"""three-pane: tree | list over preview; wide: tree | list | preview; list: the list,
Enter opens the preview full screen (a pager, as mutt); auto: by the terminal's width."""
#: Widths ``auto`` switches at must fit a terminal: below 40 columns nothing fits.
AUTO_WIDTHS = (40, 1000)


@dataclass(frozen=True)
class UiConfig:
    """The ``[ui]`` table, defaults filled in."""

    layout: str = "three-pane"
    """One of :data:`LAYOUTS`."""
    wide_from: int = 150
    """``auto``: the ``wide`` layout from this many columns."""
    list_below: int = 100
    """``auto``: the ``list`` layout below this many columns (else ``three-pane``)."""

    def layout_for(self, width: int) -> str:
        """The layout shown at ``width`` columns (``auto`` resolved)."""
        if self.layout != "auto":
            return self.layout
        if width >= self.wide_from:
            return "wide"
        return "list" if width < self.list_below else "three-pane"


def parse_ui(table: ConfigTable | None) -> UiConfig:
    """Read and check ``[ui]`` (None: the defaults)."""
    if table is None:
        return UiConfig()
    table.expect("layout", "wide_from", "list_below")
    layout = table.get("layout", str, "three-pane")
    if layout not in LAYOUTS:
        raise table.fail("layout", f"must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    low, high = AUTO_WIDTHS
    widths = {}
    for name, default in (("wide_from", 150), ("list_below", 100)):
        value = table.get(name, int, default)
        if not low <= value <= high:
            raise table.fail(name, f"must be {low} to {high} columns, not {value}")
        widths[name] = value
    if widths["list_below"] > widths["wide_from"]:
        raise table.fail("list_below", "must not be above wide_from")
    table.done()
    return UiConfig(layout, widths["wide_from"], widths["list_below"])
