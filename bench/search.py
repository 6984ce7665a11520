"""Whether tui-mail has search-as-you-type (issue #8 asks to time it only if it exists).

The key ``/`` is bound to ``MainScreen.action_search``; while that action only
says "not available", the benchmark reports search as not implemented instead
of timing a toast. Once it does more, the driver types a query after ``/`` and
times until the newest marker (the only match) is listed.
"""

from __future__ import annotations

import inspect

NOT_IMPLEMENTED = "not implemented"
#: One word found only in the newest marker's subject (bench/corpus.py).
QUERY = "newest"


def has_search() -> bool:
    """True when tui-mail's main screen has a search action that does something."""
    try:
        from tui_mail.ui.screens.main import MainScreen
    except ImportError:
        return False
    action = getattr(MainScreen, "action_search", None)
    return action is not None and "not available" not in inspect.getsource(action)


def search_note(timed: bool) -> str:
    """What the table says in the search column when search is not timed."""
    return "n/a" if timed else NOT_IMPLEMENTED
