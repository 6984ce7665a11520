"""The status bar's text, as a user reads it."""

from __future__ import annotations

from tui_mail.ui.widgets.status_bar import StatusLine, status_text


def test_counts_read_as_words_with_thousands_separated() -> None:
    one = status_text(StatusLine(account="work", folder="INBOX", total=1)).plain
    assert "│ 1 message │" in one
    big = status_text(StatusLine(account="work", folder="INBOX", total=100000, unread=30122))
    assert "│ 100,000 messages, 30,122 unread │" in big.plain
    none = status_text(StatusLine(account="work", folder="Trash", total=0)).plain
    assert "│ 0 messages │" in none


def test_offline_says_when_it_retries_and_what_waits() -> None:
    from tui_mail.backend import AccountState

    line = StatusLine(
        account="work", state=AccountState.OFFLINE, reason="refused", retry_at=130.0, queued=2
    )
    text = status_text(line, now=100.0).plain
    assert "│ 2 actions queued │ ○ offline — retrying in 30 s: refused" in text
    assert "retrying now" in status_text(line, now=131.0).plain
    online = StatusLine(account="work", state=AccountState.ONLINE, retry_at=130.0)
    assert "retrying" not in status_text(online, now=100.0).plain
