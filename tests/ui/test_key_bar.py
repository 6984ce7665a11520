"""The key bar: the focused pane's keys from the registry, remapped keys, clicks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui.helpers import settle
from tests.ui.service_double import CacheBackedService, make_summary
from tui_mail.ui.widgets.key_bar import KeyBar


def fill(double: CacheBackedService) -> None:
    double.add("INBOX", [make_summary(uid) for uid in range(1, 6)])


def bar_text(app: Any) -> str:
    return app.screen.query_one(KeyBar).render().plain


def pairs(app: Any) -> list[tuple[str, str]]:
    """(key, label) as drawn: a key is a run in reverse video, its label the text after it."""
    found: list[tuple[str, str]] = []
    for segment in app.screen.query_one(KeyBar).render_line(0):
        if segment.style is not None and segment.style.reverse:
            found.append((segment.text.strip(), ""))
        elif found:
            found[-1] = (found[-1][0], found[-1][1] + segment.text)
    return [(key, label.strip().rstrip("▏").strip()) for key, label in found]


async def test_the_bar_shows_the_focused_panes_keys_as_remapped(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(fill, extra_config='\n[keys]\n"mail.tag" = "y"\n')
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot, app)
        shown = pairs(app)
        assert ("⏎", "Show message") in shown and ("y", "Tag") in shown
        assert ("t", "Tag") not in shown and ("q", "Quit") in shown
        assert "Page down" not in bar_text(app)
        assert shown[-1] == ("^p", "palette") and len(bar_text(app)) == 200
        await pilot.press("enter")
        await pilot.pause()
        shown = pairs(app)
        assert ("space", "Page down") in shown and ("esc", "Back to list") in shown
        assert "Show message" not in bar_text(app) and ("d", "Delete") in shown
        await pilot.press("escape")
        await pilot.pause()
        assert ("y", "Tag") in pairs(app)


async def test_each_key_stands_nearer_its_own_label_than_the_previous_one(
    app_factory: Callable[..., Any],
) -> None:
    """At 80 columns: `` t `` in reverse video, one cell before ``Tag``, two after the
    previous label; only whole pairs are shown (none cut), the palette key stays."""
    app = app_factory(fill)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        text = bar_text(app)
        shown = pairs(app)
        assert shown[:3] == [("⏎", "Show message"), ("t", "Tag"), ("T", "Threaded view")]
        assert shown[-1] == ("^p", "palette") and len(text) == 80
        assert "Show message   t  Tag   T  Threaded view" in text
        left = text[: text.index("▏")]
        labels = [label for _key, label in shown[:-1]]
        assert left.rstrip().endswith(labels[-1]), "the last pair shown is whole"


async def test_a_click_on_a_key_presses_it(app_factory: Callable[..., Any]) -> None:
    app = app_factory(fill)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot, app)
        messages = app.main_screen.message_list
        x = bar_text(app).index(" t  Tag ") + 1
        await pilot.click(KeyBar, offset=(x, 0))
        await pilot.pause()
        assert messages.tagged == {("test", "INBOX", 5)} and messages.cursor == 1


async def test_a_narrow_bar_keeps_the_palette_key(app_factory: Callable[..., Any]) -> None:
    app = app_factory(fill)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot, app)
        text = bar_text(app)
        assert len(text) == 60 and text.rstrip().endswith("▏ ^p  palette")
        assert pairs(app)[0] == ("⏎", "Show message")
