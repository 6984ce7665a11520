"""The status bar: account, folder, counts, connection state, sync progress, outbox.

One line above the footer. Every field is set by the main screen from backend
events; the line is rebuilt as ``rich.text.Text`` (server words sanitised).
Offline, it counts down to the next connection attempt (``retrying in 30 s``,
redrawn each second) and says how many actions wait to be sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui_mail.backend import AccountState
from tui_mail.mail.sanitize import clean_line

STATE_STYLES: dict[AccountState, tuple[str, str]] = {
    AccountState.CONNECTING: ("◌", "yellow"),
    AccountState.ONLINE: ("●", "green"),
    AccountState.OFFLINE: ("○", "red"),
    AccountState.AUTH_FAILED: ("✗", "red"),
    AccountState.STOPPED: ("○", "dim"),
}


@dataclass(frozen=True)
class StatusLine:
    """Everything the status bar shows."""

    account: str = ""
    folder: str = ""
    total: int = 0
    unread: int = 0
    state: AccountState = AccountState.CONNECTING
    reason: str = ""
    sync_done: int = 0
    sync_total: int = 0
    index_done: int = 0
    index_total: int = 0
    outbox: int = 0
    retry_at: float = 0.0
    """OFFLINE: ``time.time()`` of the next connection attempt (0: not known)."""
    queued: int = 0
    """Actions made offline that wait for the server."""


def retry_text(retry_at: float, now: float) -> str:
    """`` — retrying in 30 s`` (``now`` once due; empty when no attempt is known)."""
    if not retry_at:
        return ""
    seconds = round(retry_at - now)
    return " — retrying now" if seconds <= 0 else f" — retrying in {seconds} s"


def status_text(line: StatusLine, now: float | None = None) -> Text:
    """The bar's text: `` account │ folder │ N messages, M unread │ ● online │ sync 3/10``."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(" " + clean_line(line.account), style="bold")
    if line.folder:
        text.append(" │ " + clean_line(line.folder))
        noun = "message" if line.total == 1 else "messages"
        text.append(f" │ {line.total:,} {noun}")
        if line.unread:
            text.append(f", {line.unread:,} unread", style="bold")
    if line.queued:  # before the state: a long offline reason must not hide it
        noun = "action" if line.queued == 1 else "actions"
        text.append(f" │ {line.queued} {noun} queued", style="yellow")
    icon, colour = STATE_STYLES.get(line.state, ("?", ""))
    text.append(" │ ")
    text.append(f"{icon} {line.state.value}", style=colour)
    if line.state is AccountState.OFFLINE:  # the countdown too, so it comes before the reason
        text.append(retry_text(line.retry_at, time.time() if now is None else now), style=colour)
    if line.reason and line.state is not AccountState.ONLINE:
        text.append(": " + clean_line(line.reason, 80), style=colour)
    if line.sync_total and line.sync_done < line.sync_total:
        text.append(f" │ syncing {line.sync_done}/{line.sync_total}")
    if line.index_total and line.index_done < line.index_total:
        text.append(f" │ indexing {line.index_done:,}/{line.index_total:,}")
    if line.outbox:
        text.append(f" │ outbox: {line.outbox}", style="yellow")
    return text


class StatusBar(Widget):
    """A one-line bar fed by :meth:`update_status` (fields of :class:`StatusLine`)."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; }
    """

    line: reactive[StatusLine] = reactive(StatusLine, layout=False)

    def update_status(self, **fields: object) -> None:
        """Change some fields (e.g. ``state=AccountState.ONLINE, reason=""``)."""
        self.line = replace(self.line, **fields)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        # The countdown moves once a second; nothing else in the line depends on time.
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.line.state is AccountState.OFFLINE and self.line.retry_at:
            self.refresh()

    def render(self) -> Text:
        return status_text(self.line)
