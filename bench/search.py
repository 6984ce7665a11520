"""Whether tui-mail has search-as-you-type (issue #8 asks to time it only if it exists).

The key ``/`` is bound to ``MainScreen.action_search``; while that action only
says "not available", the benchmark reports search as not implemented instead
of timing a toast.
"""

from __future__ import annotations

import inspect

NOT_IMPLEMENTED = "not implemented"


def search_note() -> str:
    """``"not implemented"`` unless tui-mail's main screen has a working search action."""
    try:
        from tui_mail.ui.screens.main import MainScreen
    except ImportError:
        return NOT_IMPLEMENTED
    action = getattr(MainScreen, "action_search", None)
    if action is None or "not available" in inspect.getsource(action):
        return NOT_IMPLEMENTED
    return "not timed (the bench has no search step yet)"
