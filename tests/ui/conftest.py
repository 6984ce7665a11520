"""Fixtures of the UI tests: a config, the app on the cache-backed test double, snapshots.

Snapshot baselines live in ``<repo>/screenshots/`` (not syrupy's default
``__snapshots__`` beside the test): the plugin's SVG extension is swapped for a
subclass whose ``dirname`` points there, before ``snap_compare`` uses it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_textual_snapshot

from tests.ui.service_double import NOW, CacheBackedService
from tui_mail.config import Config, parse_config

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


class _ScreenshotsDirExtension(pytest_textual_snapshot.SVGImageExtension):
    """The plugin's SVG snapshots, stored in ``screenshots/<test module>/``."""

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        return str(SCREENSHOTS / test_location.basename)


pytest_textual_snapshot.SVGImageExtension = _ScreenshotsDirExtension  # type: ignore[misc]

CONFIG_TEXT = """
[general]
{general}

[accounts.test]
email = "me@example.org"
display_name = "Me"

[accounts.test.imap]
host = "127.0.0.1"
port = 1143
security = "none"
password_env = "TUI_MAIL_TEST_PASSWORD"
"""


def make_config(tmp_path: Path, extra: str = "", general: str = "") -> Config:
    """A one-account config (the double ignores the server settings).

    ``general`` adds lines to ``[general]``; ``extra`` adds tables at the end.
    """
    text = CONFIG_TEXT.format(general=general) + extra
    path = tmp_path / "config.toml"
    path.write_text(text)
    return parse_config(text, path)


@pytest.fixture
def app_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Build the real ``TuiMailApp`` on the test double (``app.double``), clock fixed at NOW.

    ``fill(double)`` puts mail in the double before the app starts. The state directory
    (remembered pane sizes) is ``tmp_path/state`` unless the test chose one.
    """
    from tui_mail.app import TuiMailApp

    class DoubleApp(TuiMailApp):
        double: CacheBackedService

    def build(
        fill: Callable[[CacheBackedService], None] | None = None,
        *,
        extra_config: str = "",
        general: str = "",
    ) -> DoubleApp:
        config = make_config(tmp_path, extra_config, general)
        if "TUI_MAIL_STATE_DIR" not in os.environ:
            monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(tmp_path / "state"))

        def factory(listener: Any) -> CacheBackedService:
            double = CacheBackedService(tmp_path, listener)
            if fill is not None:
                fill(double)
            app.double = double
            return double

        app = DoubleApp(config, factory, clock=lambda: NOW)
        return app

    return build
