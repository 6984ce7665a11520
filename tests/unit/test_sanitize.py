"""mail.sanitize: nothing a terminal would interpret survives, text does."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import FORBIDDEN
from tui_mail.mail.sanitize import clean_line, clean_text

ESC = "\x1b"


def test_osc52_clipboard_write_removed_with_payload() -> None:
    assert clean_text(f"a{ESC}]52;c;cm0gLXJmIH4=\x07b") == "ab"


def test_osc8_hyperlink_removed_text_kept() -> None:
    link = f"{ESC}]8;;https://evil.example/{ESC}\\click{ESC}]8;;{ESC}\\"
    assert clean_text(f"see {link} now") == "see click now"


def test_csi_sequences_removed() -> None:
    assert clean_text(f"{ESC}[31mred{ESC}[0m {ESC}[2J{ESC}[?1049h ok") == "red  ok"


def test_title_report_and_dcs_queries_removed() -> None:
    assert clean_text(f"a{ESC}[21tb{ESC}P$q\"p{ESC}\\c{ESC}]2;title{ESC}\\d") == "abcd"


def test_eight_bit_c1_csi_and_osc_removed() -> None:
    assert clean_text("a\x9b31mb\x9d0;title\x9cc\x9b") == "abc"


def test_unterminated_osc_loses_its_escape() -> None:
    out = clean_text(f"x {ESC}]52;c;QUFB rest")
    assert ESC not in out and out.endswith("rest")


def test_controls_removed_tabs_and_newlines_kept() -> None:
    assert clean_text("a\x00b\x07c\td\ne\x7ff") == "abc\td\nef"


def test_line_breaks_normalised() -> None:
    assert clean_text("a\r\nb\rc\u2028d\u2029e\x0cf") == "a\nb\nc\nd\ne\nf"


def test_bidi_and_invisible_characters_removed() -> None:
    text = "in\u202evoice \u2066x\u2069 pay\u200bpal \ufeffz\u00ad \U000e0041tag"
    assert clean_text(text) == "invoice x paypal z tag"


def test_markup_is_left_as_literal_text() -> None:
    markup = "[@click=app.quit]x[/] [bold]b[/bold]"
    assert clean_text(markup) == markup
    assert clean_line(markup) == markup


def test_lone_surrogates_replaced() -> None:
    assert clean_text("a\udc9bb") == "a\ufffdb"


def test_clean_line_collapses_whitespace_and_caps_length() -> None:
    assert clean_line("  Re:\r\n\tBcc: x  \n y ") == "Re: Bcc: x y"
    long = clean_line("word " * 1000, max_len=50)
    assert len(long) == 50 and long.endswith("\u2026")


def test_five_megabytes_in_well_under_a_second() -> None:
    chunk = f"text {ESC}[31mred{ESC}[0m \u202eabc\u200b {ESC}]52;c;QQ==\x07 \x9b1m line\r\n"
    text = chunk * (5_000_000 // len(chunk))
    start = time.perf_counter()
    out = clean_text(text)
    assert time.perf_counter() - start < 1.0  # about 0.2 s unloaded; the margin is for busy CI
    assert not FORBIDDEN.search(out)


@given(st.text())
def test_property_no_forbidden_characters_and_idempotent(text: str) -> None:
    out = clean_text(text)
    assert not FORBIDDEN.search(out)
    assert clean_text(out) == out
    line = clean_line(text)
    assert not FORBIDDEN.search(line)
    assert "\n" not in line and "\t" not in line
    assert clean_line(line) == line


@given(st.lists(st.sampled_from(["\x1b", "[", "]", "52;c;", "\x07", "\\", "P", "\x9b", "\x9d",
                                 "\x9c", "31m", "a", "\r", "\n", "\u202e", "8;;"])).map("".join))
def test_property_escape_soup(text: str) -> None:
    out = clean_text(text)
    assert not FORBIDDEN.search(out)
    assert clean_text(out) == out
