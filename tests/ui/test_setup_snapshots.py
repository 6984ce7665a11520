"""SVG snapshots of the setup screen (baselines in ``screenshots/test_setup_snapshots/``).

Deterministic: discovery answers from the bundled table (DNS and autoconfig
can reach only a closed local port), and the certificate dialog is shown for
a fixed :class:`CertificateInfo` (a real server's self-signed certificate
changes every run, so its picture would too). Update with
``pytest tests/ui/test_setup_snapshots.py --snapshot-update`` and look at them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input

from tests.ui.helpers import wait_until
from tests.ui.setup_helpers import offline_discover
from tui_mail.backend import CertificateInfo
from tui_mail.ui.setup.app import SetupApp
from tui_mail.ui.setup.dialogs import TrustCertificateScreen

CERT = CertificateInfo(
    host="mail.home.example",
    port=993,
    subject="CN=mail.home.example",
    issuer="CN=mail.home.example",
    fingerprint="sha256:" + "3f9a0c1d" * 8,
    verified=False,
    error="certificate verify failed: self-signed certificate",
)


def _app(tmp_path: Path) -> SetupApp:
    return SetupApp(tmp_path / "config.toml", discover=offline_discover())


def test_setup_first_screen(tmp_path: Path, snap_compare: Any) -> None:
    assert snap_compare(_app(tmp_path), terminal_size=(160, 45))


def test_setup_proposal(tmp_path: Path, snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.press(*"jo@fastmail.com", "enter")
        app = pilot.app
        await wait_until(pilot, lambda: app.screen.query_one("#incoming-host", Input).value, 5)
        await pilot.press(*"Jo Example")
        await pilot.pause()

    assert snap_compare(_app(tmp_path), terminal_size=(160, 45), run_before=run_before)


def test_setup_trust_certificate(tmp_path: Path, snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        pilot.app.push_screen(TrustCertificateScreen(CERT))
        await pilot.pause()

    assert snap_compare(_app(tmp_path), terminal_size=(160, 45), run_before=run_before)
