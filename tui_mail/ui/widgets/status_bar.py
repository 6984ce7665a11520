"""The status bar: account, folder, counts, connection state, sync progress, outbox.

One line above the footer. Every field is set by the main screen from backend
events; the line is rebuilt as ``rich.text.Text`` (server words sanitised).
"""

from __future__ import annotations

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


def status_text(line: StatusLine) -> Text:
    """The bar's text: `` account │ folder │ N messages, M unread │ ● online │ sync 3/10``."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(" " + clean_line(line.account), style="bold")
    if line.folder:
        text.append(" │ " + clean_line(line.folder))
        noun = "message" if line.total == 1 else "messages"
        text.append(f" │ {line.total:,} {noun}")
        if line.unread:
            text.append(f", {line.unread:,} unread", style="bold")
    icon, colour = STATE_STYLES.get(line.state, ("?", ""))
    text.append(" │ ")
    text.append(f"{icon} {line.state.value}", style=colour)
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

    def render(self) -> Text:
        return status_text(self.line)
