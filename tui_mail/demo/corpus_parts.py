"""Building blocks of the sample corpus: people, phrases, files and MIME templates.

Kept apart from :mod:`tui_mail.demo.corpus` so the generator reads as a story
and this file as the props. Everything here is pure and deterministic.
"""

from __future__ import annotations

import base64
import binascii
import random
import struct
import zlib
from dataclasses import dataclass
from email.header import Header
from functools import lru_cache
from urllib.parse import quote

CRLF = "\r\n"


@lru_cache(maxsize=4096)
def encode_header(text: str, charset: str) -> str:
    """``text`` as a header value: ASCII as is, else RFC 2047 encoded-words in ``charset``."""
    if text.isascii():
        return text
    return Header(text, charset).encode(linesep=CRLF)


@dataclass(frozen=True, slots=True)
class Person:
    """A correspondent: what they are called, where, and how their mail is encoded."""

    name: str
    email: str
    charset: str = "us-ascii"
    language: str = "en"

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[1]

    @property
    def header(self) -> str:
        """``From``/``To`` value with the name encoded or quoted as needed."""
        if not self.name.isascii():
            return f"{encode_header(self.name, self.charset)} <{self.email}>"
        if any(c in self.name for c in ",.'\"()"):
            escaped = self.name.replace("\\", "\\\\").replace('"', '\\"')
            return f'"{escaped}" <{self.email}>'
        return f"{self.name} <{self.email}>"


DEMO = Person("Demo User", "demo@example.org")
PEOPLE: tuple[Person, ...] = (
    Person("Alice Johnson", "alice@example.com"),
    Person("Smith, Robert", "bob.smith@example.net"),
    Person("Carol O'Neill", "carol@example.com"),
    Person("Priya Patel", "priya.patel@example.in"),
    Person("José Álvarez", "jose@correo.example.es", "iso-8859-1", "es"),
    Person("Zoë Müller", "zoe.mueller@example.de", "iso-8859-1", "de"),
    Person("François Dupont", "francois@example.fr", "utf-8", "fr"),
    Person("Дмитрий Иванов", "dmitry@example.ru", "koi8-r", "ru"),
    Person("Ольга Петрова", "olga@example.ru", "utf-8", "ru"),
    Person("山田 太郎", "taro.yamada@example.jp", "iso-2022-jp", "ja"),
    Person("佐藤 花子", "hanako@example.jp", "utf-8", "ja"),
    Person("Łukasz Nowak", "lukasz@example.pl", "utf-8", "en"),
)
NEWSLETTERS: tuple[Person, ...] = (
    Person("Weekly Digest", "news@letters.example.com"),
    Person("Terminal Times", "editor@terminal-times.example.net"),
    Person("Café Société", "bonjour@cafe.example.fr", "utf-8", "fr"),
)
SPAMMERS: tuple[Person, ...] = (
    Person("Prize Department", "winner@lottery.example.biz"),
    Person("Sécurité Bancaire", "alert@secure-bank.example.biz", "utf-8", "fr"),
)

SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "Thanks for sending this over so quickly.",
        "I had a look at the numbers and they mostly add up.",
        "Could we move the call to Thursday afternoon?",
        "The build is green again after the last fix.",
        "Let me know if you need anything else from my side.",
        "I think we should ship the smaller change first.",
        "Attached are my notes from yesterday's meeting.",
        "The venue is booked; catering still needs confirming.",
        "Please review the draft before Friday if you can.",
        "No rush on this, next week is fine.",
        "I'm out of office on Monday, back Tuesday morning.",
        "See the thread below for the background.",
    ),
    "de": (
        "Vielen Dank für die schnelle Antwort.",
        "Können wir das Treffen auf Donnerstag verschieben?",
        "Die Unterlagen liegen im gemeinsamen Ordner.",
        "Schöne Grüße aus München!",
        "Ich schaue mir das morgen früh genauer an.",
    ),
    "fr": (
        "Merci beaucoup pour ton retour rapide.",
        "Le café de jeudi est confirmé à 10 h.",
        "J'ai relu le document : quelques coquilles à corriger.",
        "À très bientôt, et bonne fin de semaine !",
        "Peux-tu vérifier l'échéancier avant vendredi ?",
    ),
    "es": (
        "Muchas gracias por la información.",
        "¿Podemos hablar mañana por la tarde?",
        "El informe está casi terminado, falta la revisión.",
        "Un saludo desde Málaga.",
    ),
    "ru": (
        "Спасибо за быстрый ответ.",
        "Давай перенесём встречу на пятницу.",
        "Документы лежат в общей папке.",
        "Посмотрю отчёт сегодня вечером.",
        "С уважением и наилучшими пожеланиями.",
    ),
    "ja": (
        "お疲れ様です。",
        "資料を確認しました。",
        "来週の会議の件でご連絡します。",
        "よろしくお願いいたします。",
        "明日の午後は空いていますか。",
    ),
}
SUBJECTS: dict[str, tuple[str, ...]] = {
    "en": (
        "Quarterly report draft",
        "Lunch on Friday?",
        "Release checklist",
        "Conference travel",
        "Budget for next year",
        "Quick question about the API",
        "Team offsite ideas",
        "Server maintenance window",
        "Your pull request",
        "Minutes from today's meeting",
    ),
    "de": ("Grüße aus München", "Termin nächste Woche", "Änderungen am Entwurf"),
    "fr": ("Café de jeudi", "Résumé de la réunion", "Problème réglé ?"),
    "es": ("Reunión del martes", "Información del proyecto"),
    "ru": ("Встреча в пятницу", "Отчёт за квартал"),
    "ja": ("会議の件", "資料の確認について"),
}
ATTACHMENT_SUBJECTS = ("Invoice attached", "Photos from the trip", "Signed contract", "Notes")
SPAM_SUBJECTS = ("You have WON!!!", "Vérifiez votre compte immédiatement", "Cheap pills 💊")
LIST_TOPICS: dict[str, tuple[str, ...]] = {
    "python": (
        "PEP discussion: typing for decorators",
        "asyncio cancellation question",
        "ANN: tui-mail 0.1 released",
        "Packaging best practices in 2026",
    ),
    "rust": ("Borrow checker puzzle", "ANN: ratatui release", "Async traits stabilised"),
}


def _tiny_pdf() -> bytes:
    body = b"BT /F1 18 Tf 40 60 Td (Invoice 2026-001) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 120] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _tiny_png(size: int = 16) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    # Each row: filter byte 0, then RGB triples (a small colour gradient).
    rows = b"".join(
        b"\x00" + bytes(v for x in range(size) for v in (x * 16, y * 16, 160)) for y in range(size)
    )
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


#: (file name, content type, bytes) of the attachments messages may carry.
ATTACHMENTS: tuple[tuple[str, str, bytes], ...] = (
    ("invoice-2026-001.pdf", "application/pdf", _tiny_pdf()),
    ("photo.png", "image/png", _tiny_png()),
    ("notes.txt", "text/plain", b"Agenda\r\n1. Budget\r\n2. Hiring\r\n3. AOB\r\n"),
    ("résumé.pdf", "application/pdf", _tiny_pdf()),
    ("会議メモ.txt", "text/plain", "会議メモ: 次回は月曜日\r\n".encode()),
)


def _encode_body(text: str, charset: str) -> tuple[bytes, str]:
    """Body bytes and the Content-Transfer-Encoding used for them."""
    data = text.encode(charset)
    if charset == "utf-8":
        encoded = binascii.b2a_qp(data.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
        return encoded, "quoted-printable"
    return data, "7bit" if data.isascii() else "8bit"


def _part(content_type: str, text: str, charset: str) -> bytes:
    body, cte = _encode_body(text, charset)
    head = f"Content-Type: {content_type}; charset={charset}{CRLF}"
    head += f"Content-Transfer-Encoding: {cte}{CRLF}{CRLF}"
    return head.encode("ascii") + body


def _assemble(headers: list[str], body: bytes) -> bytes:
    return (CRLF.join(headers) + CRLF).encode("ascii") + body


def text_message(headers: list[str], lines: list[str], charset: str) -> bytes:
    """A single-part text/plain message."""
    return _assemble(headers, _part("text/plain", CRLF.join(lines) + CRLF, charset))


def html_message(headers: list[str], html: str) -> bytes:
    """A single-part text/html message (no plain alternative)."""
    return _assemble(headers, _part("text/html", html, "utf-8"))


def _multipart(kind: str, boundary: str, parts: list[bytes]) -> bytes:
    head = f'Content-Type: multipart/{kind}; boundary="{boundary}"{CRLF}{CRLF}'
    body = b"".join(f"--{boundary}{CRLF}".encode() + part + CRLF.encode() for part in parts)
    return head.encode("ascii") + body + f"--{boundary}--{CRLF}".encode()


def alternative_message(headers: list[str], lines: list[str], boundary: str) -> bytes:
    """multipart/alternative: the same words as text/plain and as text/html."""
    text = CRLF.join(lines) + CRLF
    paragraphs = "".join(f"<p>{line}</p>\n" for line in lines)
    html = f'<html><body style="font-family: sans-serif">\n{paragraphs}</body></html>\n'
    parts = [_part("text/plain", text, "utf-8"), _part("text/html", html, "utf-8")]
    return _assemble(headers, _multipart("alternative", boundary, parts))


def _attachment(filename: str, content_type: str, data: bytes) -> bytes:
    if filename.isascii():
        disposition = f'attachment; filename="{filename}"'
    else:  # RFC 2231, what most clients send for non-ASCII names
        disposition = f"attachment; filename*=utf-8''{quote(filename)}"
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    head = (
        f"Content-Type: {content_type}{CRLF}Content-Disposition: {disposition}{CRLF}"
        f"Content-Transfer-Encoding: base64{CRLF}{CRLF}"
    )
    return head.encode("ascii") + encoded


def mixed_message(
    headers: list[str],
    lines: list[str],
    charset: str,
    files: list[tuple[str, str, bytes]],
    boundary: str,
) -> bytes:
    """multipart/mixed: a text part then the attachments."""
    parts = [_part("text/plain", CRLF.join(lines) + CRLF, charset)]
    parts += [_attachment(*file) for file in files]
    return _assemble(headers, _multipart("mixed", boundary, parts))


_ARTICLE = (
    '<tr><td class="article"><h2><a href="https://news.example.com/a/{n}?utm_source=mail">'
    "Story {n}: {headline}</a></h2>\n<p>{text} &mdash; read more &#8594;</p>\n"
    '<img src="https://img.example.com/{n}.jpg" width="600" alt="picture {n}"></td></tr>\n'
)
_HEADLINES = (
    "Terminal UIs are back",
    "Ten tips for faster builds",
    "Inside the IMAP protocol",
    "Why plain text still wins",
    "A short history of email",
)


def newsletter_html(rng: random.Random, title: str, articles: int) -> str:
    """An HTML newsletter; ``articles`` of about 330 bytes each (600 -> ~200 KB)."""
    rows = "".join(
        _ARTICLE.format(n=n, headline=rng.choice(_HEADLINES), text=rng.choice(SENTENCES["en"]))
        for n in range(articles)
    )
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title>\n'
        "<style>body { background: #eee } .article { padding: 12px }</style>\n"
        f"<script>track('open')</script></head>\n<body><h1>{title}</h1>\n"
        f'<table width="100%" cellpadding="0">\n{rows}</table>\n'
        '<p style="font-size: small"><a href="https://news.example.com/unsubscribe">'
        "Unsubscribe</a> &middot; &copy; 2026</p></body></html>\n"
    )


def spam_html(rng: random.Random) -> str:
    """Junk mail HTML: hidden text and a link whose text lies about its target."""
    amount = rng.randint(1, 9) * 1_000_000
    return (
        f"<html><body><h1>Congratulations!</h1><p>You won ${amount:,}.</p>"
        '<p><a href="http://phish.example.biz/login">https://www.example-bank.com/</a></p>'
        '<div style="display:none">lorem ipsum hidden words</div></body></html>\n'
    )
