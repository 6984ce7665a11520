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
