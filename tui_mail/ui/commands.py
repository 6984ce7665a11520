"""The command palette (ctrl+p): every registry binding, go to folder, move to folder.

Generated from ``ui/keymap.py`` with the user's remapping applied, so each
entry shows the keys that really run it. Folder names come from the server and
are shown through ``clean_line`` as ``rich.text.Text``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from tui_mail.mail.sanitize import clean_line
from tui_mail.ui import keymap


def _target(screen: Any, scope: str) -> DOMNode | None:
    """The node whose action a binding of ``scope`` runs (None: not on this screen)."""
    if scope == "app":
        return screen.app
    if scope in ("main", "message", "folders"):
        return screen if hasattr(screen, "message_list") else None
    widget_name = {"list": "message_list", "preview": "preview", "tree": "folder_tree"}.get(scope)
    return getattr(screen, widget_name, None) if widget_name else None


class MailCommands(Provider):
    """Palette entries: the reader's bindings, "Go to folder …" and "Move to …"."""

    def _entries(self) -> list[tuple[str, str, Callable[[], Any]]]:
        """(title, help, callback) for everything offered now."""
        app, screen = self.app, self.screen
        user_keys = keymap.user_keys_of(app)
        entries: list[tuple[str, str, Callable[[], Any]]] = []
        for spec in keymap.palette_specs():
            node = _target(screen, spec.scope)
            if node is None:
                continue
            keys = keymap.display_keys(keymap.effective_keys(spec.id, user_keys))
            run = partial(app.call_later, app.run_action, spec.action, node)
            entries.append((spec.description, f"{keys}  ({spec.id})", run))
        tree = getattr(screen, "folder_tree", None)
        main: Any = screen
        if tree is not None:
            for account, folders in tree.folders.items():
                for folder in folders.values():
                    if not folder.selectable:
                        continue
                    name = clean_line(folder.name)
                    open_it = partial(main.open_folder, account, folder.name)
                    entries.append((f"Go to folder {name}", account, open_it))
                    move = partial(main.move_selection_to, folder.name)
                    entries.append((f"Move to {name}", account, move))
        return entries

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(Text(title), callback, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
