"""The keymap registry: one id per binding, remapping reaches keys, help and palette."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui.helpers import settle
from tests.ui.service_double import CacheBackedService, make_summary
from tui_mail.ui import keymap
from tui_mail.ui.commands import MailCommands
from tui_mail.ui.screens.help import HelpScreen


def test_ids_are_unique_and_scopes_known() -> None:
    ids = [spec.id for spec in keymap.BINDINGS_REGISTRY]
    assert len(ids) == len(set(ids))
    assert {spec.scope for spec in keymap.BINDINGS_REGISTRY} <= set(keymap.SCOPES)


def test_reserved_compose_and_search_ids_exist() -> None:
    for binding_id in (
        "mail.compose",
        "mail.reply",
        "mail.reply_all",
        "mail.forward",
        "mail.search",
    ):
        assert keymap.spec(binding_id)


def test_no_key_is_bound_twice_where_scopes_overlap() -> None:
    """The list sees app + main + message + list keys at once: no clashes there."""
    for scopes in (
        ("app", "main", "message", "list"),
        ("app", "main", "message", "preview"),
        ("app", "main", "tree"),
    ):
        seen: dict[str, str] = {}
        for binding in keymap.bindings_for(*scopes):
            for key in binding.key.split(","):
                assert key not in seen, f"{key} bound to {seen.get(key)} and {binding.id}"
                seen[key] = str(binding.id)


def test_bindings_carry_ids_for_the_keymap() -> None:
    bindings = keymap.bindings_for("list")
    assert all(binding.id for binding in bindings)
    assert {b.id for b in bindings} >= {"mail.next", "mail.previous", "mail.first", "mail.last"}


def test_user_keys_change_help_rows_and_unknown_ids_are_reported() -> None:
    user = {"mail.delete": "x", "no.such": "z"}
    assert keymap.unknown_ids(user) == ["no.such"]
    rows = {row.binding_id: row for row in keymap.help_rows(user)}
    assert rows["mail.delete"].keys == "x"
    assert rows["app.help"].keys == "?"
    assert rows["mail.next"].keys == "j, ↓" or rows["mail.next"].keys.startswith("j")


async def test_remapped_key_works_and_shows_in_help_and_palette(
    app_factory: Callable[..., Any],
) -> None:
    def fill(double: CacheBackedService) -> None:
        double.add("INBOX", [make_summary(uid) for uid in range(1, 6)])

    app = app_factory(fill, extra_config='\n[keys]\n"mail.next" = "n"\n"mail.delete" = "x"\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        messages = app.main_screen.message_list
        assert messages.cursor == 0
        await pilot.press("n")
        assert messages.cursor == 1
        await pilot.press("j")  # the old key no longer moves
        assert messages.cursor == 1
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert any(row.binding_id == "mail.delete" and row.keys == "x" for row in app.screen.rows)
        await pilot.press("escape")
        provider = MailCommands(app.screen)
        titles = {hit.help for hit in [h async for h in provider.discover()]}
        assert "x  (mail.delete)" in titles


async def test_palette_goes_to_folders_and_runs_bindings(app_factory: Callable[..., Any]) -> None:

    def fill(double: CacheBackedService) -> None:
        double.add("INBOX", [make_summary(uid) for uid in range(1, 4)])
        double.add("Sent", [make_summary(9, folder="Sent")])

    app = app_factory(fill, general='theme = "no-such-theme"')
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert any("Unknown theme" in str(n.message) for n in app._notifications)
        provider = MailCommands(app.screen)
        hits = {hit.text: hit for hit in [h async for h in provider.search("go to folder sent")]}
        hits["Go to folder Sent"].command()
        await settle(pilot, app)
        assert app.main_screen.folder == "Sent"
        hits = {hit.text: hit for hit in [h async for h in provider.search("help")]}
        hits["Help"].command()
        await pilot.pause(0.2)
        assert isinstance(app.screen, HelpScreen)
