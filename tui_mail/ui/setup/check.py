"""The setup screen's live test: ``tui-mail check``'s own steps, shown line by line.

The check runs on a thread (it connects, logs in, lists folders: all blocking)
with a :class:`LineSink` as its output; every line it prints is handed to
``show`` as it comes (the caller makes that thread-safe). The check's report
sanitises each line before printing, and the sink cleans it again, because
what reaches the screen must be safe whoever wrote it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import TextIO, cast

from tui_mail.backend import CheckReport, run_check
from tui_mail.config import Config
from tui_mail.mail.sanitize import clean_line

log = logging.getLogger(__name__)


class LineSink(io.TextIOBase):
    """A text stream that calls ``show(line)`` for every complete line written."""

    def __init__(self, show: Callable[[str], None]) -> None:
        super().__init__()
        self._show = show
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._show(clean_line(line, 400) if line.strip() else "")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            line, self._pending = self._pending, ""
            self._show(clean_line(line, 400))


def live_test(
    config: Config, account: str, password: str | None, show: Callable[[str], None]
) -> int:
    """Run the check on ``account`` of ``config`` (not yet written anywhere); its failures.

    ``password`` is the one the user just typed (None: the config's password
    command supplies it). The IDLE probe is skipped: it takes seconds and
    proves nothing setup needs.
    """
    sink = cast(TextIO, LineSink(show))  # a TextIOBase; typeshed's TextIO is nominal
    report = CheckReport(sink, password=password, probe_idle=False)
    try:
        run_check(config, account, sink, report=report)
    except (
        Exception
    ) as exc:  # a bug must not end setup in a traceback whose locals hold the password
        log.exception("setup's live test failed")
        report.fail(f"the test stopped: {type(exc).__name__}: {exc}")
    sink.flush()
    return report.failures
