"""The pane sizes the user chose, remembered in the state directory (``ui.json``).

A missing, unreadable or foreign file means "no sizes chosen" (the layout's
defaults), never an error: it holds nothing that cannot be chosen again. Saved
atomically (``paths.write_private_file``); the caller saves off the loop.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from tui_mail.paths import write_private_file

log = logging.getLogger(__name__)

MAX_CELLS = 10_000
"""Larger than any terminal: a bigger number in the file is not ours."""


@dataclass
class PaneSizes:
    """Cells chosen by keys or drags; None: the layout's default."""

    tree_width: int | None = None
    """The folder tree's width (every layout)."""
    list_height: int | None = None
    """The message list's height over the preview (``three-pane``)."""
    list_width: int | None = None
    """The message list's width beside the preview (``wide``)."""


def load_sizes(path: Path) -> PaneSizes:
    """The sizes saved at ``path`` (defaults where the file or a value is missing or bad)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return PaneSizes()
    except (OSError, ValueError) as exc:
        log.warning("pane sizes in %s not read: %s", path, exc)
        return PaneSizes()
    sizes = PaneSizes()
    if isinstance(data, dict):
        for item in fields(PaneSizes):
            value = data.get(item.name)
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value < MAX_CELLS:
                setattr(sizes, item.name, value)
    return sizes


def save_sizes(path: Path, sizes: PaneSizes) -> None:
    """Write the sizes (atomically, 0600); a failure is logged, the sizes are only lost."""
    try:
        write_private_file(path, json.dumps(asdict(sizes), indent=1) + "\n")
    except OSError as exc:
        log.warning("pane sizes not saved to %s: %s", path, exc)
