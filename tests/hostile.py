"""Generator of hostile messages: terminal attacks, malformed MIME, resource bombs.

``hostile_messages()`` returns ``{name: raw bytes}``; ``write_hostile(dir)``
writes them as ``NAME.eml`` (for ``tui-mail show`` by hand, or the demo):
``python -m tests.hostile [DIR]`` writes them to ``tests/data/hostile/``.
They are generated, never committed: a few are many megabytes.
Used by ``tests/unit/test_hostile.py``, which states what each must render as.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path

ESC = "\x1b"
OSC52 = f"{ESC}]52;c;{base64.b64encode(b'rm -rf ~').decode()}\x07"
OSC8 = f"{ESC}]8;;https://evil.example/{ESC}\\click me{ESC}]8;;{ESC}\\"
CSI = f"{ESC}[31mRED{ESC}[0m{ESC}[2J"
DCS = f'{ESC}P$q"p{ESC}\\'
TITLE_REPORT = f"{ESC}]2;pwned{ESC}\\{ESC}[21t"
MARKUP = "[@click=app.quit]x[/] [bold red]hi[/]"
RLO = "\u202e"

#: What must never reach the terminal: C0 (but \t \n), DEL, C1, bidi controls, zero-width.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]")

_GENERATORS: dict[str, Callable[[], bytes]] = {}


def _case(func: Callable[[], bytes]) -> Callable[[], bytes]:
    _GENERATORS[func.__name__] = func
    return func


def message(headers: list[tuple[str, str | bytes]], body: bytes | str = b"hello\n") -> bytes:
    """Assemble raw message bytes from (name, value) pairs and a body (no checking at all)."""
    lines = []
    for name, value in headers:
        data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
        lines.append(name.encode() + b": " + data)
    payload = body if isinstance(body, bytes) else body.encode("utf-8")
    return b"\r\n".join(lines) + b"\r\n\r\n" + payload


def _basic(subject: str | bytes = "test", extra: list[tuple[str, str | bytes]] | None = None,
           body: bytes | str = b"hello\n", content_type: str = "text/plain; charset=utf-8") -> bytes:
    headers: list[tuple[str, str | bytes]] = [
        ("From", "Alice <alice@example.com>"),
        ("To", "Bob <bob@example.com>"),
        ("Subject", subject),
        ("Date", "Tue, 03 Feb 2026 10:00:00 +0100"),
        ("Message-ID", "<hostile@example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", content_type),
    ]
    overridden = {name.lower() for name, _ in extra or []}
    headers = [(name, value) for name, value in headers if name.lower() not in overridden]
    return message(headers + (extra or []), body)


def _b64_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def _multipart(parts: list[bytes], boundary: str = "BOUNDARY", subtype: str = "mixed",
               subject: str = "multipart") -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    return _basic(subject, body=body, content_type=f'multipart/{subtype}; boundary="{boundary}"')


def _part(headers: str, body: bytes | str) -> bytes:
    data = body if isinstance(body, bytes) else body.encode()
    return headers.replace("\n", "\r\n").encode("utf-8") + b"\r\n\r\n" + data


# --- terminal escape sequences -------------------------------------------------------

@_case
def csi_in_subject() -> bytes:
    return _basic(f"Hello {CSI} world")


@_case
def osc52_and_osc8_in_body() -> bytes:
    return _basic(body=f"before {OSC52} middle {OSC8} after\n")


@_case
def osc8_in_from_name() -> bytes:
    return message([("From", _b64_word(OSC8) + " <x@example.com>"), ("Subject", "osc8 from")])


@_case
def dcs_and_title_report() -> bytes:
    return _basic("queries", body=f"a{DCS}b{TITLE_REPORT}c\n")


@_case
def unterminated_osc() -> bytes:
    return _basic("unterminated", body=f"visible {ESC}]52;c;QUFBQQ== rest\n")


@_case
def c1_in_utf8() -> bytes:
    return _basic("c1 \u009b31m utf8", body="x \u009b31m y \u009d0;t\u009c z\n")


@_case
def c1_raw_8bit() -> bytes:
    return _basic(b"raw \x9b31m c1", body=b"body \x9b31m \x9d0;x\x07 end\n",
                  content_type="text/plain; charset=iso-8859-1")


@_case
def escape_in_encoded_word() -> bytes:
    return _basic(_b64_word(f"Hi {OSC52}there {CSI}"))


@_case
def escape_in_filename() -> bytes:
    attachment = _part(
        f'Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="a{CSI}b.bin"\n'
        "Content-Transfer-Encoding: base64", base64.b64encode(b"data"))
    return _multipart([_part("Content-Type: text/plain", "see file"), attachment])


# --- markup, bidi, invisible characters --------------------------------------------

@_case
def rich_markup() -> bytes:
    return _basic(MARKUP, body=f"{MARKUP}\n")


@_case
def bidi_and_zero_width() -> bytes:
    return message([
        ("From", _b64_word(f"Bank{RLO}evil") + " <a@example.com>"),
        ("Subject", _b64_word("pay\u200bpal \u2066isolated\u2069 \U000e0041tag")),
    ], f"line{RLO}one\u200d\ufeff\n")


@_case
def bidi_attachment_name() -> bytes:
    name = "invoice\u202efdp.exe"
    attachment = _part(
        "Content-Type: application/octet-stream\n"
        "Content-Disposition: attachment; filename*=utf-8''" + _pct(name), b"MZ")
    return _multipart([_part("Content-Type: text/plain", "invoice attached"), attachment])


def _pct(text: str) -> str:
    return "".join(chr(b) if chr(b).isalnum() or chr(b) in "._-" else f"%{b:02X}"
                   for b in text.encode())


# --- header encodings ----------------------------------------------------------------

@_case
def encoded_word_crlf() -> bytes:
    return _basic("=?utf-8?q?line1=0D=0ABcc:_evil@example.com?=")


@_case
def unknown_charset_word() -> bytes:
    return _basic("=?x-no-such-charset?q?caf=E9?= ok")


@_case
def malformed_encoded_word() -> bytes:
    return _basic("=?utf-8?b?!!!not base64?= =?utf-8?q?unterminated")


@_case
def raw_8bit_headers() -> bytes:
    return message([("From", b"J\xc3\xbcrgen <j@example.com>"), ("Subject", b"Gr\xfc\xdfe latin1"),
                    ("Content-Type", b"text/plain; charset=iso-8859-1")], b"Gr\xfc\xdfe\n")


@_case
def nul_bytes() -> bytes:
    return _basic(b"nul\x00subject", body=b"a\x00b\x00c\n")


@_case
def mislabelled_charsets() -> bytes:
    ascii_utf8 = _part("Content-Type: text/plain; charset=us-ascii", "caf\u00e9 ascii\n".encode())
    utf8_latin = _part("Content-Type: text/plain; charset=utf-8", b"caf\xe9 latin\n")
    bogus = _part("Content-Type: text/plain; charset=no-such-thing", b"plain bogus\n")
    quadratic = _part("Content-Type: text/plain; charset=punycode", b"x-" * 20000)
    return _multipart([ascii_utf8, utf8_latin, bogus, quadratic], subject="charsets")


@_case
def garbage_date() -> bytes:
    return _basic("garbage date", extra=[("Date", "not a date at all")])


@_case
def out_of_range_date() -> bytes:
    return _basic("out of range", extra=[("Date", "Mon, 31 Feb 99999 25:61:61 +9999")])


@_case
def undisclosed_recipients() -> bytes:
    return message([("From", "a@example.com"), ("To", "unlisted-recipients:; (no To-header on input)"),
                    ("Cc", "undisclosed recipients:;"), ("Subject", "group")])


@_case
def bad_rfc2231_params() -> bytes:
    att = _part("Content-Type: application/pdf; name*0*=''; name*1*=%E2%80\n"
                "Content-Disposition: attachment; filename*=''; filename*0*=utf-8'en'%FF%FE",
                b"%PDF")
    return _multipart([_part("Content-Type: text/plain; charset*=", "text ok"), att])


# --- MIME structure ------------------------------------------------------------------

@_case
def invalid_base64() -> bytes:
    body = base64.b64encode(b"Hello world, decodable start.").decode() + "*&^%$#!x"
    return _basic("bad base64", extra=[("Content-Transfer-Encoding", "base64")], body=body)


@_case
def invalid_quoted_printable() -> bytes:
    return _basic("bad qp", extra=[("Content-Transfer-Encoding", "quoted-printable")],
                  body="soft=\r\nbreak =ZZ bad =4 end=")


@_case
def missing_boundary() -> bytes:
    return _basic("no boundary", content_type="multipart/mixed",
                  body="--x\r\nContent-Type: text/plain\r\n\r\nvisible text\r\n--x--\r\n")


@_case
def empty_boundary() -> bytes:
    return _basic("empty boundary", content_type='multipart/mixed; boundary=""',
                  body="--\r\nContent-Type: text/plain\r\n\r\nempty boundary text\r\n----\r\n")


@_case
def duplicate_boundary() -> bytes:
    inner = (b'Content-Type: multipart/alternative; boundary="B"\r\n\r\n'
             b"--B\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--B--")
    return _multipart([inner, _part("Content-Type: text/plain", "outer text")], boundary="B")


@_case
def unclosed_multipart() -> bytes:
    return _basic("unclosed", content_type='multipart/mixed; boundary="U"',
                  body="--U\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--U\r\n"
                       "Content-Type: text/plain\r\n\r\nsecond part, never closed\r\n")


@_case
def nested_multipart_1000() -> bytes:
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'
                      for i in range(1000))
    closing = "".join(f"\r\n--b{i}--" for i in reversed(range(1000)))
    body = opening + "Content-Type: text/plain\r\n\r\ndeep text" + closing
    top = "--top\r\nContent-Type: text/plain\r\n\r\nshallow text\r\n--top\r\n" + body + "\r\n--top--\r\n"
    return message([("From", "a@example.com"), ("Subject", "nested multipart"), ("MIME-Version", "1.0"),
                    ("Content-Type", 'multipart/mixed; boundary="top"')], top)


@_case
def nested_rfc822_1000() -> bytes:
    inner = "Content-Type: text/plain\r\n\r\ninnermost text\r\n"
    for i in range(1000):
        inner = f"Subject: level {i}\r\nContent-Type: message/rfc822\r\n\r\n" + inner
    return message([("From", "a@example.com"), ("Subject", "nested rfc822"),
                    ("MIME-Version", "1.0"), ("Content-Type", "multipart/mixed; boundary=T")],
                   "--T\r\nContent-Type: text/plain\r\n\r\nouter text\r\n--T\r\n" + inner + "--T--\r\n")


# --- resource bombs ------------------------------------------------------------------

@_case
def recipients_50000() -> bytes:
    to = ",\r\n ".join(f'"User {i}" <user{i}@example.com>' for i in range(50_000))
    return message([("From", "a@example.com"), ("To", to), ("Subject", "many recipients")])


@_case
def header_line_5mb() -> bytes:
    return message([("From", "a@example.com"), ("X-Junk", "x" * 5_000_000),
                    ("Subject", "after the huge header"), ("Content-Type", "text/plain")],
                   "body after huge header\n")


@_case
def attachment_20mb() -> bytes:
    data = base64.encodebytes(b"\x00\x01binary" * (20 * 1024 * 1024 // 8))
    att = _part('Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="big.bin"\n'
                "Content-Transfer-Encoding: base64", data)
    return _multipart([_part("Content-Type: text/plain", "big one attached"), att], subject="big")


@_case
def html_tracking_and_tricks() -> bytes:
    html = ('<html><head><link rel="stylesheet" href="https://tracker.example/a.css">'
            "<style>body{background:url(https://tracker.example/bg.png)}</style>"
            "<script>alert(1)</script></head><body>"
            "<p>Dear customer &#27;]52;c;cm0gLXJmIH4=&#7; &#x9b;31m &#0; hi</p>"
            '<img src="https://tracker.example/p.gif" width="1" height="1">'
            '<img src="https://cdn.example/logo.png" alt="Logo">'
            '<a href="https://evil.example/login">https://www.paypal.com/signin</a> '
            '<a href="https://www.example.com/help">help page</a>'
            f"<p>{MARKUP}</p></body></html>")
    return _basic("html", body=html, content_type="text/html; charset=utf-8")


@_case
def html_100000_nested() -> bytes:
    html = "<div>" * 100_000 + "deep html text" + "</div>" * 100_000
    return _basic("nested html", body=html, content_type="text/html")


@_case
def html_symbol_soup() -> bytes:
    return _basic("soup", body="<a" * 100_000 + "<!--" * 50_000, content_type="text/html")


@_case
def content_type_parameter_bomb() -> bytes:
    """60,000 empty parameters: quadratic in the stdlib's header parsers (80 s under policy.default)."""
    bomb = ";" * 60_000
    quotes = 'a="x;' * 12_000
    attachment = _part(f"Content-Type: application/pdf; {quotes}\n"
                       f'Content-Disposition: attachment; filename="x.pdf"{bomb}', b"%PDF")
    body = (b"--P\r\n" + _part(f"Content-Type: text/plain{bomb}", "param text") + b"\r\n--P\r\n"
            + attachment + b"\r\n--P--\r\n")
    return _basic("params", content_type=f'multipart/mixed; boundary="P"{bomb}', body=body)


# --- attachment names ----------------------------------------------------------------

ATTACHMENT_NAMES = [
    '"../../etc/passwd"',
    '"/etc/shadow"',
    '"C:\\\\Windows\\\\System32\\\\evil.exe"',
    '"CON.txt"',
    '"' + "a" * 1000 + '.pdf"',
    "*0=\"long\"; filename*1=\"name.txt\"",
    "*0*=utf-8''%E2%82%AC; filename*1*=%20rates.csv",
    '"=?utf-8?b?' + base64.b64encode("r\u00e9sum\u00e9.doc".encode()).decode() + '?="',
    '".bashrc"',
]


@_case
def attachment_names() -> bytes:
    parts = [_part("Content-Type: text/plain", "files attached")]
    for spec in ATTACHMENT_NAMES:
        value = "filename" + spec if spec.startswith("*") else "filename=" + spec
        parts.append(_part(f"Content-Type: application/octet-stream\nContent-Disposition: attachment; {value}",
                           b"data"))
    return _multipart(parts, subject="names")


def hostile_messages() -> dict[str, bytes]:
    """Every hostile case, generated fresh: ``{name: raw message bytes}``."""
    return {name: make() for name, make in _GENERATORS.items()}


def write_hostile(directory: Path) -> list[Path]:
    """Write every case to ``directory/NAME.eml`` and return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, raw in hostile_messages().items():
        path = directory / f"{name}.eml"
        path.write_bytes(raw)
        paths.append(path)
    return paths


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data" / "hostile"
    for written in write_hostile(target):
        print(written)
