"""The ``--demo`` environment: local pymap (IMAP) and aiosmtpd (SMTP) seeded with sample mail.

- :mod:`~tui_mail.demo.corpus`: the seeded, deterministic sample mail (pure).
- :mod:`~tui_mail.demo.seed`: puts it on a server (IMAP APPEND) or in a Maildir.
- :mod:`~tui_mail.demo.pymap_server`, :mod:`~tui_mail.demo.smtp_server`: the servers.
- :mod:`~tui_mail.demo.session`: ``demo_session()``, everything wired for ``--demo``.

The test bed (``tests/conftest.py``) uses the same pieces against real servers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # real types for mypy; at run time the import is lazy (below)
    from tui_mail.demo.session import DemoSession, demo_session

__all__ = ["DemoSession", "demo_session"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing the pure corpus does not start importing servers.
    if name in __all__:
        from tui_mail.demo import session

        return getattr(session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
