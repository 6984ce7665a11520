"""SetupApp: the app ``tui-mail`` runs when there is no config yet, or for ``tui-mail setup``.

It shows only the :class:`~tui_mail.ui.screens.setup.SetupScreen` and exits
with the config path it wrote (``None`` when the user pressed Escape); the
CLI then opens the mailbox on that config in the same terminal.
"""

from __future__ import annotations

from pathlib import Path

from tui_mail.ui.screens.setup import Discover, Inspect, SetupScreen
from tui_mail.ui.screenshot import SpaceKeepingApp


class SetupApp(SpaceKeepingApp[Path | None]):
    """``SetupApp(config_path, discover=None, inspect=None, generic_oauth2=None)``: the written path or None."""

    TITLE = "tui-mail setup"

    def __init__(
        self,
        config_path: Path,
        *,
        discover: Discover | None = None,
        inspect: Inspect | None = None,
        generic_oauth2: dict[str, object] | None = None,
    ) -> None:
        super().__init__()
        self.generic_oauth2 = generic_oauth2
        self.config_path = config_path
        self.discover = discover
        self.inspect = inspect

    def on_mount(self) -> None:
        screen = SetupScreen(
            self.config_path,
            discover=self.discover,
            inspect=self.inspect,
            generic_oauth2=self.generic_oauth2,
        )
        self.push_screen(screen, self.exit)
