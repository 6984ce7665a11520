"""mail.filenames.safe_filename: a sender's name never picks where a file goes."""

from __future__ import annotations

import pytest

from tui_mail.mail.filenames import safe_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("C:\\Windows\\System32\\evil.exe", "evil.exe"),
        ("..", "attachment"),
        ("", "attachment"),
        ("   ", "attachment"),
        (".bashrc", "bashrc"),
        ("name. . .", "name"),
        ("a..b.txt", "a.b.txt"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("LPT9.tar.gz", "_LPT9.tar.gz"),
        ("COM1", "_COM1"),
        ("console.txt", "console.txt"),
        ('we<ird>:"na|me?*.txt', "we_ird___na_me__.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("zero\u200bwidth\u2066.txt", "zerowidth.txt"),
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("esc\x1b[31mred.txt", "escred.txt"),
        ("r\u00e9sum\u00e9.doc", "r\u00e9sum\u00e9.doc"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_fallback_is_used_when_nothing_is_left() -> None:
    assert safe_filename("../", fallback="attachment-3") == "attachment-3"


def test_long_name_keeps_its_extension() -> None:
    out = safe_filename("a" * 1000 + ".pdf")
    assert out.endswith(".pdf") and len(out) == 120


def test_long_multibyte_name_fits_in_255_bytes() -> None:
    out = safe_filename("\u00e9" * 300 + ".txt", max_len=300)
    assert out.endswith(".txt") and len(out.encode()) <= 240


def test_bidi_override_cannot_hide_the_real_extension() -> None:
    out = safe_filename("photo\u202egpj.exe")
    assert out.endswith(".exe")
