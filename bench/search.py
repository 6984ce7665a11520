"""Whether tui-mail has search-as-you-type (issue #8 asks to time it only if it exists)."""

from __future__ import annotations

NOT_IMPLEMENTED = "not implemented"


def search_note() -> str:
    """``"not implemented"`` unless tui-mail's keymap binds a search action."""
    try:
        from tui_mail.ui import keymap
    except ImportError:
        return NOT_IMPLEMENTED
    text = repr(vars(keymap))
    return "n/a" if "search" in text.lower() else NOT_IMPLEMENTED
