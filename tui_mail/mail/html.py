"""HTML mail as plain text, with html2text set up for mail.

Nothing is ever fetched: html2text only reads the string it is given, remote
images become ``[image: alt]`` (or vanish when they look like tracking
pixels), ``<script>``, ``<style>`` and ``<head>`` are dropped, and links are
numbered in the text (``click here [1]``) with their real targets returned as
:class:`~tui_mail.models.Link` objects, flagged ``deceptive`` when the visible
text names another host than the target.

The output is NOT terminal-safe yet (``&#27;`` becomes a real ESC):
``mail.render`` sanitises it afterwards.

Also here, for plain-text bodies: :data:`URL_PATTERN` (the preview colours what
it finds) and :func:`text_links`, the URLs of a text, numbered as the ``o`` picker lists them.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import html2text

from tui_mail.models import Link

#: Default cap on the HTML converted (characters); the rest is cut off with a notice.
MAX_HTML_CHARS = 512 * 1024

#: Most tags converted: about 40,000 per second (on a loaded test machine), and
#: real mail has a few thousand; the rest is cut off with a notice.
MAX_TAGS = 40_000

#: Deeper nesting of lists and quotes is flattened: html2text indents each
#: line by the depth, so 100,000 nested lists would cost O(n^2) output.
_MAX_NESTING = 12
_NESTING_TAGS = frozenset({"ul", "ol", "blockquote", "dl"})

#: A start or end tag; attributes stop at the next ``<`` or ``>`` to stay linear.
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)([^<>]*)>")
_ATTR = re.compile(r"""([^\s=/"'<>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>]*)))?""")
_RAW_TEXT_TAGS = frozenset({"script", "style", "title"})

_URL_LIKE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?::\d+)?(?:[/?#]\S*)?$",
    re.IGNORECASE,
)


#: A URL in plain text (web, ftp or mailto:), up to a space, quote, bracket or angle bracket.
URL_PATTERN = re.compile(
    r"\b(?:https?|ftp)://[^\s<>\"')\]]+|\bmailto:[^\s<>\"')\]]+", re.IGNORECASE
)
#: Most links numbered from one plain-text body, and the most text scanned for them.
MAX_TEXT_LINKS = 500
MAX_LINK_SCAN = 4 * 1024 * 1024
_TRAILING = ".,;:!?"


def text_links(text: str) -> tuple[Link, ...]:
    """The URLs written in a plain-text body, numbered in order, each once.

    Sentence punctuation after a URL (``see https://x.org/a.``) is not part of it.
    The URLs are as written (not sanitised): whoever shows one cleans it.
    """
    found: dict[str, None] = {}
    for match in URL_PATTERN.finditer(text, 0, MAX_LINK_SCAN):
        url = match.group(0).rstrip(_TRAILING)
        if len(url) > url.find(":") + 3:
            found.setdefault(url)
        if len(found) >= MAX_TEXT_LINKS:
            break
    return tuple(Link(number=i, url=url) for i, url in enumerate(found, start=1))


class _MailHTML2Text(html2text.HTML2Text):
    """html2text with mail rules for images, links and nesting depth."""

    def __init__(self, width: int) -> None:
        super().__init__(bodywidth=width)
        self.ignore_links = True  # links are numbered by handle_tag below
        self.ignore_images = True  # images are described by handle_tag below
        self.ignore_emphasis = True
        self.ignore_tables = True  # layout tables as markdown tables are unreadable
        self.unicode_snob = True
        self.mail_links: list[Link] = []
        self._open_links: list[tuple[str, list[str]]] = []
        self._skipped: dict[str, int] = {}
        self._depth: dict[str, int] = {}

    def handle_tag(self, tag: str, attrs: dict[str, str | None], start: bool) -> None:
        """Intercept images, links and over-deep nesting; the rest is html2text's."""
        if tag in _NESTING_TAGS and not self._within_nesting_cap(tag, start):
            return
        if tag == "img":
            if start and not self.quiet:
                self._image(attrs)
            return
        if tag == "a":
            self._link(attrs, start)
        super().handle_tag(tag, attrs, start)
        if tag in ("td", "th") and not start:
            self.o(" ")  # ignore_tables would glue neighbouring cells together

    def handle_data(self, data: str, entity_char: bool = False) -> None:
        """Record link text (for the deceptive check) and pass data on."""
        if self._open_links and not self.quiet:
            self._open_links[-1][1].append(data)
        # entity_char=True skips html2text's Markdown escaping (a backslash before a
        # leading "1." or "-"): this text is read as it is, never rendered as Markdown.
        super().handle_data(data, True)

    def _within_nesting_cap(self, tag: str, start: bool) -> bool:
        """Count nesting of ``tag``; False for the opening and closing tags beyond the cap."""
        depth = self._depth.get(tag, 0)
        if start:
            if depth >= _MAX_NESTING:
                self._skipped[tag] = self._skipped.get(tag, 0) + 1
                return False
            self._depth[tag] = depth + 1
            return True
        if self._skipped.get(tag, 0) > 0:
            self._skipped[tag] -= 1
            return False
        self._depth[tag] = max(0, depth - 1)
        return True

    def _image(self, attrs: dict[str, str | None]) -> None:
        alt = (attrs.get("alt") or attrs.get("title") or "").strip()
        if _is_tracking_pixel(attrs) or not alt:
            return
        self.o(f"[image: {alt}] ")

    def _link(self, attrs: dict[str, str | None], start: bool) -> None:
        if start:
            self._open_links.append(((attrs.get("href") or "").strip(), []))
            return
        if not self._open_links:
            return
        href, text_parts = self._open_links.pop()
        if not href or href.startswith("#") or self.quiet:
            return
        text = " ".join("".join(text_parts).split())
        number = len(self.mail_links) + 1
        self.mail_links.append(
            Link(number=number, url=href, text=text, deceptive=is_deceptive(text, href))
        )
        self.o(f" [{number}]")


def html_to_text(
    html: str, *, width: int = 0, max_bytes: int = MAX_HTML_CHARS
) -> tuple[str, tuple[Link, ...]]:
    """Convert mail HTML to text and its numbered links.

    ``width`` 0 means no wrapping (the preview soft-wraps). HTML longer than
    ``max_bytes`` characters is cut there and a notice line is appended.
    The text is not sanitised; pass it through ``mail.sanitize`` before
    showing it.
    """
    notice = ""
    if len(html) > max_bytes:
        cut = html.rfind("<", max(0, max_bytes - 4096), max_bytes)
        html = html[: cut if cut > 0 else max_bytes]
        notice = f"[HTML too long: only the first {max_bytes // 1024} KB shown]"
    converter = _MailHTML2Text(width)
    converter.start = True
    if not _feed_tokens(converter, html):
        notice = f"[HTML too complex: only the first {MAX_TAGS:,} tags shown]"  # the stricter cut
    text = converter.optwrap(converter.finish())
    text = "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")
    return text + ("\n\n" + notice if notice else ""), tuple(converter.mail_links)


def _feed_tokens(converter: html2text.HTML2Text, html: str) -> bool:
    """Tokenise ``html`` in linear time and hand the events to ``converter``.

    Returns False when it stopped at ``MAX_TAGS`` tags.

    html.parser's own scanner is quadratic on unterminated constructs
    (measured: 200,000 ``<a`` or ``<!--`` take over 130 s), so this scanner
    never looks past the next ``<`` or ``>`` for a tag, and an unterminated
    comment, declaration or raw-text element simply ends the document.
    Text runs are joined and entity-decoded before they are handed on.
    """
    text: list[str] = []

    def flush() -> None:
        if text:
            converter.handle_data(unescape("".join(text)))
            text.clear()

    pos, end, tags = 0, len(html), 0
    while pos < end:
        lt = html.find("<", pos)
        if lt < 0:
            text.append(html[pos:])
            break
        text.append(html[pos:lt])
        if html.startswith("<!--", lt):
            close = html.find("-->", lt + 4)
            pos = close + 3 if close >= 0 else end
            continue
        if html.startswith(("<!", "<?"), lt):
            close = html.find(">", lt + 2)
            pos = close + 1 if close >= 0 else end
            continue
        tag = _TAG.match(html, lt)
        if tag is None:
            text.append("<")
            pos = lt + 1
            continue
        flush()
        tags += 1
        if tags > MAX_TAGS:
            return False
        closing, name, rest = tag.group(1), tag.group(2).lower(), tag.group(3)
        pos = tag.end()
        if closing:
            converter.handle_endtag(name)
            continue
        attrs: list[tuple[str, str | None]] = [
            (k.lower(), unescape(v1 or v2 or v3)) for k, v1, v2, v3 in _ATTR.findall(rest)
        ]
        if rest.rstrip().endswith("/"):
            converter.handle_startendtag(name, attrs)
            continue
        converter.handle_starttag(name, attrs)
        if name in _RAW_TEXT_TAGS:
            # Their content is never markup (and never shown); skip to the end tag.
            close_tag = re.compile(rf"</{name}\s*>", re.IGNORECASE).search(html, pos)
            pos = close_tag.end() if close_tag else end
            converter.handle_endtag(name)
    flush()
    return True


def is_deceptive(text: str, href: str) -> bool:
    """True when a link's visible ``text`` looks like a URL for another host than ``href``."""
    shown = _URL_LIKE.match(text.strip())
    if shown is None:
        return False
    shown_host = shown.group(1).lower().removeprefix("www.")
    try:
        target_host = (urlsplit(href.strip()).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return True
    if href.lower().startswith("mailto:"):
        target_host = href.rpartition("@")[2].split("?")[0].lower()
    return not (target_host == shown_host or target_host.endswith("." + shown_host))


def _is_tracking_pixel(attrs: dict[str, str | None]) -> bool:
    """True for images sized 0 or 1 pixel, or hidden with inline style."""
    for key in ("width", "height"):
        value = (attrs.get(key) or "").strip().lower().removesuffix("px")
        if value in {"0", "1"}:
            return True
    style = (attrs.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "width:1px" in style or "height:1px" in style
