"""Colour in the preview: quotes, signature, links and patches, laid over sanitised text by position."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from tui_mail.mail.render import RenderedMessage
from tui_mail.ui.body_colours import PALETTE_NAMES, BodyPalette, colour_body
from tui_mail.ui.message_text import message_text

PALETTE = BodyPalette({name: Style(color=f"color({i + 1})") for i, name in enumerate(PALETTE_NAMES)})


def style_at(text: Text, needle: str) -> str:
    """The palette name whose style covers the first character of ``needle`` ('' for none)."""
    at = text.plain.index(needle)
    names = [
        name for span in text.spans if span.start <= at < span.end
        for name, style in PALETTE.styles.items() if style == span.style
    ]
    return names[-1] if names else ""


def coloured(body: str) -> Text:
    text = Text(body)
    colour_body(text, 0, PALETTE)
    return text


def test_quote_depths_get_their_own_colour_and_plain_lines_none() -> None:
    text = coloured("My answer\n> you said\n> > they said\n>>> long ago\n>>>> older\nback to me\n")
    assert style_at(text, "My answer") == ""
    assert style_at(text, "> you said") == "quote-1"
    assert style_at(text, "> > they said") == "quote-2"
    assert style_at(text, ">>> long ago") == "quote-3"
    assert style_at(text, ">>>> older") == "quote-3"  # deeper than three reuses the last colour
    assert style_at(text, "back to me") == ""


def test_signature_is_dimmed_from_the_dash_dash_line_to_the_end() -> None:
    text = coloured("Body text\n-- \nAda Lovelace\nAnalytical Engines Ltd\n")
    assert style_at(text, "Body text") == ""
    assert style_at(text, "Ada Lovelace") == "signature"
    assert style_at(text, "Analytical") == "signature"


def test_links_are_underlined_without_their_closing_bracket() -> None:
    text = coloured("See (https://example.org/a?b=1) or mailto:list@example.org.\n")
    start = text.plain.index("https://")
    span = next(s for s in text.spans if s.style == PALETTE.styles["url"] and s.start == start)
    assert text.plain[span.start:span.end] == "https://example.org/a?b=1"
    assert style_at(text, "mailto:") == "url"


def test_a_patch_gets_header_hunk_added_and_removed_colours() -> None:
    body = (
        "Please review.\n\n---\n src/a.py | 2 +-\n\n"
        "diff --git a/src/a.py b/src/a.py\nindex 1..2 100644\n--- a/src/a.py\n+++ b/src/a.py\n"
        "@@ -1,3 +1,3 @@\n context line\n-old = 1\n+new = 2\n-- \n2.39.5\n"
    )
    text = coloured(body)
    assert style_at(text, "Please review.") == ""
    assert style_at(text, "diff --git") == "diff-header"
    assert style_at(text, "+++ b/src") == "diff-header"
    assert style_at(text, "@@ -1,3") == "diff-hunk"
    assert style_at(text, "-old = 1") == "diff-removed"
    assert style_at(text, "+new = 2") == "diff-added"
    assert style_at(text, " context line") == ""
    assert style_at(text, "-- \n2.39") == ""  # format-patch's signature is not a removed line


def test_a_unified_diff_without_git_headers_is_found_too() -> None:
    text = coloured("--- a.txt\n+++ b.txt\n@@ -1 +1 @@\n-a\n+b\n")
    assert style_at(text, "-a") == "diff-removed" and style_at(text, "+b") == "diff-added"


def test_a_lone_dash_line_in_prose_is_not_a_patch() -> None:
    text = coloured("Agenda\n--- break ---\n- item one\n+ plus point\n")
    assert [style_at(text, s) for s in ("- item one", "+ plus point")] == ["", ""]


def test_text_that_looks_like_markup_is_coloured_by_position_only() -> None:
    """Markup and (already stripped) escapes in a quote stay literal characters of one colour."""
    rendered = RenderedMessage(
        header_lines=[("Subject", "[bold red]hi[/]")],
        text="> [link=https://evil.example]click[/link] [@click=app.quit]x[/]\n+[red]not a patch\n",
        attachments=[], links=[], notes=[],
    )
    text = message_text(rendered, PALETTE)
    assert "[link=https://evil.example]click[/link] [@click=app.quit]x[/]" in text.plain
    assert "[bold red]hi[/]" in text.plain
    assert style_at(text, "> [link") == "quote-1"
    assert all(span.style in PALETTE.styles.values() or span.style in ("", "bold")
               for span in text.spans), text.spans
    assert not any(getattr(span.style, "link", None) for span in text.spans)


def test_no_palette_leaves_the_body_uncoloured() -> None:
    text = Text("> quoted\n")
    colour_body(text, 0, None)
    assert text.spans == []
