"""Saving every attachment of every hostile message, the way the UI's ``s`` key does.

``tests/unit/test_save.py`` checks ``save_attachment`` on crafted names (path
tricks, symlinks, clashes); ``tests/unit/test_hostile.py`` checks the listed
names. What is left is the whole path from raw message to file on disk: parse,
decode each attachment (``write_attachments``, the UI's own function), save, and
nothing may land outside the chosen folder, be hidden, executable or carry a
control character in its name, and every attachment must be written or
reported.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.hostile import FORBIDDEN, hostile_messages
from tui_mail.mail.parse import parse_message
from tui_mail.ui.attachments import write_attachments
from tui_mail.ui.screens.save_attachments import SaveRequest

MESSAGES = {name: raw for name, raw in hostile_messages().items() if name != "attachment_20mb"}
WITH_ATTACHMENTS = sorted(name for name, raw in MESSAGES.items() if parse_message(raw).attachments)


def test_some_cases_have_attachments() -> None:
    assert {"attachment_names", "bidi_attachment_name", "escape_in_filename"} <= set(WITH_ATTACHMENTS)


@pytest.mark.parametrize("name", WITH_ATTACHMENTS)
def test_every_attachment_lands_inside_the_folder_safely(name: str, tmp_path: Path) -> None:
    raw = MESSAGES[name]
    body = parse_message(raw)
    target = tmp_path / "downloads"
    outside_before = set(tmp_path.iterdir())
    written, failures = write_attachments(
        raw, body.attachments, SaveRequest(target, [a.index for a in body.attachments])
    )
    assert len(written) + len(failures) == len(body.attachments)
    assert not any(FORBIDDEN.search(line) for line in failures)
    assert set(tmp_path.iterdir()) - outside_before == ({target} if written else set())
    for path in written:
        assert path.parent == target.resolve()
        assert not path.name.startswith(".") and not FORBIDDEN.search(path.name)
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        assert stat.S_ISREG(os.lstat(path).st_mode) and mode == 0o600
    assert len({p.name for p in written}) == len(written)  # clashing names never overwrite
