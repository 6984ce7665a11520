"""The preview shows the status line above the body, on a real server (Pilot, issue 19).

A signed and an encrypted message (made by gpg) are APPENDed to a fresh
mailbox on Dovecot and pymap; the app, with ``$GNUPGHOME`` set to the reader's
keyring, shows "Good signature from ..." in green and "Encrypted to you" with
the decrypted text, while gpg runs in the render thread (the loop stays
responsive), and the decrypted text never reaches the cache on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.crypto.gpg_bed import (
    ALICE,
    BOB,
    GpgWorld,
    encrypted_message,
    signed_message,
    text_entity,
)
from tests.ui.daily_helpers import add_to_inbox
from tests.ui.helpers import LagProbe, opened, real_app, settle, wait_until
from tui_mail.ui.message_text import SECURITY_STYLES

pytestmark = pytest.mark.integration

SECRET = "Zanzibar-7741 is the launch word"


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(tmp_path / "state"))


async def show_subject(pilot: Any, screen: Any, subject: str) -> None:
    """Move down the list from the top until the preview shows ``subject``."""
    await pilot.press("g")
    for _ in range(len(screen.message_list.rows)):
        await wait_until(
            pilot, lambda: screen.preview.body is not None and screen.preview.state == ""
        )
        if screen.preview.body.subject == subject:
            return
        await pilot.press("j")
        await pilot.pause(0.05)
    raise AssertionError(f"no message {subject!r} in the list")


def style_of(preview: Any, needle: str) -> str:
    """The style of the span that starts where ``needle`` does in the preview text."""
    start = preview.text.plain.index(needle)
    return " ".join(str(span.style) for span in preview.text.spans if span.start == start)


async def test_the_preview_shows_the_status_line_above_the_body(
    imap_server: Any, tmp_path: Path, my_gnupghome: GpgWorld
) -> None:
    world = my_gnupghome
    add_to_inbox(
        imap_server,
        signed_message(world.me, world.alice, ALICE, "Signed hello.", subject="PGP signed"),
    )
    add_to_inbox(
        imap_server,
        encrypted_message(
            world.other, [world.alice], text_entity(SECRET), sender=BOB, subject="PGP encrypted"
        ),
    )
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await opened(pilot, app, imap_server)
        probe = LagProbe(app)
        await show_subject(pilot, screen, "PGP signed")
        good = f"Good signature from {ALICE} (key {world.alice}, ultimate trust)"
        await wait_until(pilot, lambda: good in screen.preview.text.plain)
        text = screen.preview.text.plain
        assert text.index("Subject: PGP signed") < text.index(good) < text.index("Signed hello.")
        assert style_of(screen.preview, good) == SECURITY_STYLES["good"]

        await show_subject(pilot, screen, "PGP encrypted")
        await wait_until(pilot, lambda: SECRET in screen.preview.text.plain)
        text = screen.preview.text.plain
        assert text.index("Encrypted to you") < text.index(SECRET)
        probe.stop()
        assert probe.largest < 1.0, f"the loop stalled {probe.largest:.2f} s"
        await settle(pilot, app)
    cached = b"".join(p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert b"PGP encrypted" in cached  # the cache was written...
    assert SECRET.encode() not in cached  # ...but never with the decrypted text
