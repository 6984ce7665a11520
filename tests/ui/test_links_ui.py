"""``o`` on a plain-text message, from the user's side, on Dovecot and pymap (issue 18 item 2).

The picker lists all three URLs of the text with their real targets; a link is
opened (through a recording opener: a test cannot start a browser), copied (the
app's own OSC 52, from the sanitised URL) or given to a command typed by the
user, run without a shell (a ``;`` in the URL stays a character).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ui.daily_helpers import add_to_inbox, plain_message_with_links, toasts
from tests.ui.helpers import opened, real_app, wait_until
from tui_mail.ui.daily.name_dialog import AskLineScreen
from tui_mail.ui.screens.dialogs import ConfirmScreen
from tui_mail.ui.screens.folder_picker import FolderPickerScreen

pytestmark = pytest.mark.integration

URLS = (
    "https://docs.example.org/guide",
    "http://bugs.example.org/issue?id=7;touch${IFS}pwned",
    "https://files.example.net/a%20b.pdf",
)


class RecordingOpener:
    def __init__(self) -> None:
        self.urls: list[str] = []
        self.files: list[Path] = []

    def open_url(self, url: str) -> None:
        self.urls.append(url)

    def open_file(self, path: Path) -> None:
        self.files.append(path)


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(tmp_path / "state"))


async def shown_on_top(pilot: Any, app: Any, imap_server: Any, subject: str) -> Any:
    """Open INBOX, show its top message (``subject``) with a recording opener; the screen."""
    screen = await opened(pilot, app, imap_server)
    await pilot.press("g")
    await wait_until(pilot, lambda: screen.preview.body and screen.preview.body.subject == subject)
    screen.opener.opener = RecordingOpener()
    return screen


async def pick(pilot: Any, app: Any, number: int) -> None:
    """``o``, then the link numbered ``number``; the what-to-do question is up."""
    await pilot.press("o")
    await wait_until(pilot, lambda: isinstance(app.screen, FolderPickerScreen))
    await pilot.press(*f"[{number}]", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))


async def test_o_lists_the_three_urls_of_a_plain_text_message_and_uses_them(
    imap_server: Any, tmp_path: Path
) -> None:
    add_to_inbox(imap_server, plain_message_with_links(*URLS))
    app = real_app(imap_server, tmp_path)
    record = tmp_path / "argv.txt"
    script = tmp_path / "record.py"
    script.write_text("import sys, pathlib\npathlib.Path(sys.argv[1]).write_text(sys.argv[2])\n")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await shown_on_top(pilot, app, imap_server, "Three links")
        recorder = screen.opener.opener
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, FolderPickerScreen))
        assert app.screen.folders == [f"[{i}] {url}" for i, url in enumerate(URLS, start=1)]
        await pilot.press("escape")

        await pick(pilot, app, 1)
        assert URLS[0] in app.screen.message
        await pilot.press("o")
        await wait_until(pilot, lambda: recorder.urls == [URLS[0]])

        await pick(pilot, app, 3)
        await pilot.press("c")
        await wait_until(pilot, lambda: any("Copied" in t for t in toasts(app)))
        assert app.clipboard == URLS[2]

        await pick(pilot, app, 2)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, AskLineScreen))
        await pilot.press(*f"{sys.executable} {script} {record} {{url}}", "enter")
        await wait_until(pilot, lambda: any("exited with 0" in t for t in toasts(app)))
    assert record.read_text() == URLS[1]
    assert not (Path.cwd() / "pwned").exists()


HTML_MESSAGE = (
    b"From: Newsletter <news@example.org>\r\nTo: test@example.org\r\n"
    b"Subject: Rich news\r\nMessage-ID: <rich-1@example.org>\r\n"
    b"Date: Mon, 02 Mar 2026 09:55:00 +0000\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/related; boundary="B"\r\n\r\n'
    b"--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>Hello</p><img src="cid:logo@x"><img src="https://track.example/p.gif">\r\n'
    b"--B\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--B--\r\n"
)


async def test_B_opens_the_html_part_from_a_private_file_with_remote_content_blocked(
    imap_server: Any, tmp_path: Path
) -> None:
    add_to_inbox(imap_server, HTML_MESSAGE)
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await shown_on_top(pilot, app, imap_server, "Rich news")
        recorder = screen.opener.opener
        await pilot.press("B")
        await wait_until(pilot, lambda: len(recorder.files) == 1)
        await pilot.press("j")  # a plain message: nothing to open
        await wait_until(pilot, lambda: screen.preview.body.subject != "Rich news")
        await pilot.press("B")
        await wait_until(pilot, lambda: any("no HTML part" in t for t in toasts(app)))
    [path] = recorder.files
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    page = path.read_text()
    assert "Content-Security-Policy" in page.split("<p>")[0]
    assert "data:image/png;base64," in page and "cid:" not in page


POOR_PLAIN = (
    b"From: Shop <shop@example.org>\r\nTo: test@example.org\r\n"
    b"Subject: Your order\r\nMessage-ID: <order-1@example.org>\r\n"
    b"Date: Mon, 02 Mar 2026 09:56:00 +0000\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="A"\r\n\r\n'
    b"--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease view this mail as HTML.\r\n"
    b"--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b"<p>Order <b>4711</b> ships on Tuesday.</p>\r\n--A--\r\n"
)


async def test_w_shows_the_html_part_as_text_and_back(imap_server: Any, tmp_path: Path) -> None:
    add_to_inbox(imap_server, POOR_PLAIN)
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app, imap_server)
        await pilot.press("g")
        await wait_until(pilot, lambda: "view this mail as HTML" in screen.preview.text.plain)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Order 4711 ships on Tuesday" in screen.preview.text.plain)
        assert "view this mail as HTML" not in screen.preview.text.plain
        await pilot.press("w")
        await wait_until(pilot, lambda: "view this mail as HTML" in screen.preview.text.plain)
