"""SVG screenshots whose spaces survive every SVG renderer.

Rich's ``export_svg`` (which Textual's ``App.export_screenshot`` and so the
snapshot baselines in ``screenshots/`` use) draws each run of one style as its
own ``<text>`` at its own ``x`` and writes spaces as ``&#160;``. Under SVG's
default ``xml:space`` a renderer may strip a text element's leading and
trailing white space; librsvg (2.54, ``rsvg-convert``) does, and counts
U+00A0 as white space. So a run that starts with a space lost it and was drawn
one cell to the left: the tree's `` 7`` after ``Inbox`` read ``Inbox7``, the
status bar's ``│ INBOX │ 21 messages`` moved left of its bold ``, 7 unread``,
and a list row's leading blank marks vanished. ``xml:space="preserve"`` on the
root tells every renderer to keep them (browsers already did).
"""

from __future__ import annotations

from textual.app import App, ReturnType

_ROOT = "<svg "


def preserve_spaces(svg: str) -> str:
    """The SVG with ``xml:space="preserve"`` on its root element (unchanged if it has one)."""
    start = svg.find(_ROOT)
    if start < 0 or "xml:space=" in svg[start : svg.find(">", start)]:
        return svg
    cut = start + len(_ROOT)
    return svg[:cut] + 'xml:space="preserve" ' + svg[cut:]


class SpaceKeepingApp(App[ReturnType]):
    """An ``App`` whose SVG screenshots keep their spaces (the base of tui-mail's apps)."""

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        """Textual's SVG screenshot with ``xml:space="preserve"`` (see the module's docstring)."""
        return preserve_spaces(super().export_screenshot(title=title, simplify=simplify))
