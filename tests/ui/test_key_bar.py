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


async def test_the_bar_shows_the_focused_panes_keys_as_remapped(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(fill, extra_config='\n[keys]\n"mail.tag" = "y"\n')
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot, app)
        text = bar_text(app)
        assert " ⏎ Show message " in text and " y Tag " in text and " t Tag " not in text
        assert " q Quit " in text and "Page down" not in text
        assert text.rstrip().endswith("▏^p palette") and len(text) == 200
        await pilot.press("enter")
        await pilot.pause()
        text = bar_text(app)
        assert " space Page down " in text and " esc Back to list " in text
        assert "Show message" not in text and " d Delete " in text
        await pilot.press("escape")
        await pilot.pause()
        assert " y Tag " in bar_text(app)


async def test_a_click_on_a_key_presses_it(app_factory: Callable[..., Any]) -> None:
    app = app_factory(fill)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot, app)
        messages = app.main_screen.message_list
        x = bar_text(app).index(" t Tag ") + 1
        await pilot.click(KeyBar, offset=(x, 0))
        await pilot.pause()
        assert messages.tagged == {("test", "INBOX", 5)} and messages.cursor == 1


async def test_a_narrow_bar_keeps_the_palette_key(app_factory: Callable[..., Any]) -> None:
    app = app_factory(fill)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot, app)
        text = bar_text(app)
        assert len(text) == 60 and text.rstrip().endswith("▏^p palette")
        assert text.startswith(" ⏎ Show message ")
