"""The Textual names ``tui_mail/ui/textual_compat.py`` relies on are still there.

Textual is pinned exactly; when it is upgraded, this fails first (and names the
name), before a widget quietly loses its fast path or a test its hook.
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget

from tui_mail.ui.textual_compat import PINNED, focused_without_repaint


@pytest.mark.parametrize(("module", "cls", "name"), PINNED)
def test_each_pinned_name_exists(module: str, cls: str, name: str) -> None:
    owner = getattr(importlib.import_module(module), cls)
    assert hasattr(owner, name), f"{module}.{cls}.{name} is gone: see ui/textual_compat.py"


def test_scroll_update_still_takes_the_virtual_size() -> None:
    assert list(inspect.signature(Widget._scroll_update).parameters) == ["self", "virtual_size"]


def test_virtual_size_still_asks_for_a_layout() -> None:
    """The reason set_virtual_size exists: if this changes, it may not be needed."""
    descriptor = vars(Widget)["virtual_size"]
    assert isinstance(descriptor, Reactive) and descriptor._layout


def test_screen_focused_is_still_a_repainting_reactive() -> None:
    """The reason for focused_without_repaint, and what it replaces."""
    descriptor = vars(Screen)["focused"]
    assert isinstance(descriptor, Reactive) and descriptor._repaint
    assert not focused_without_repaint()._repaint


def test_refresh_still_takes_layout_and_its_other_options() -> None:
    parameters = inspect.signature(Widget.refresh).parameters
    assert {"repaint", "layout", "recompose"} <= set(parameters)


def test_refresh_layout_still_takes_keywords() -> None:
    """tests/ui/test_search_bar.py wraps ``Screen._refresh_layout(**options)``."""
    parameters = inspect.signature(Screen._refresh_layout).parameters
    assert {"size", "scroll"} <= set(parameters)
