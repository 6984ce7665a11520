"""The ``[ui]`` table: the main screen's layout (issue 20), validated with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import parse_config
from tui_mail.errors import ConfigError

ACCOUNT = """
[accounts.personal]
email = "alice@example.org"

[accounts.personal.imap]
host = "imap.example.org"
"""


def ui(table: str):
    return parse_config(table + ACCOUNT, Path("config.toml")).ui


def error_of(table: str) -> str:
    with pytest.raises(ConfigError) as info:
        ui(table)
    return str(info.value)


def test_without_a_ui_table_the_three_panes_of_before() -> None:
    assert ui("").layout == "three-pane"
    assert ui("").layout_for(80) == "three-pane" and ui("").layout_for(200) == "three-pane"


def test_auto_picks_by_width() -> None:
    auto = ui('[ui]\nlayout = "auto"\n')
    assert [auto.layout_for(w) for w in (80, 99, 100, 149, 150, 160)] == [
        "list",
        "list",
        "three-pane",
        "three-pane",
        "wide",
        "wide",
    ]
    chosen = ui('[ui]\nlayout = "auto"\nwide_from = 120\nlist_below = 90\n')
    assert [chosen.layout_for(w) for w in (89, 90, 120)] == ["list", "three-pane", "wide"]


@pytest.mark.parametrize("layout", ["three-pane", "wide", "list"])
def test_a_fixed_layout_ignores_the_width(layout: str) -> None:
    fixed = ui(f'[ui]\nlayout = "{layout}"\n')
    assert fixed.layout_for(40) == fixed.layout_for(300) == layout


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '[ui]\nlayout = "tiled"\n',
            "ui.layout: must be one of three-pane, wide, list, auto, not 'tiled'",
        ),
        ("[ui]\nlayout = 3\n", "ui.layout: expected a string, got int"),
        ("[ui]\nwide_from = 20\n", "ui.wide_from: must be 40 to 1000 columns, not 20"),
        ("[ui]\nwide_from = 120\nlist_below = 130\n", "ui.list_below: must not be above wide_from"),
        ('[ui]\nlayuot = "wide"\n', "ui.layuot: unknown key"),
    ],
)
def test_bad_values_are_named(table: str, message: str) -> None:
    assert message in error_of(table)
