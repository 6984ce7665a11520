"""What crosses the line between the UI and the backend (being split into modules)."""

from tui_mail.backend.api.commands import *  # noqa: F403  (temporary: restores the module)
