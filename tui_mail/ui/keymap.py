"""The one registry of key bindings: ids, default keys, descriptions, where they apply.

Every binding the reader has is declared here once, with a stable id such as
``mail.delete``. Widgets and screens take their ``BINDINGS`` from
:func:`bindings_for`; the user's ``[keys]`` table (binding id -> keys) is given to
``App.set_keymap`` by ``TuiMailApp.on_mount`` (ids :func:`unknown_ids` names are
left out, with a warning), so a remapped key changes the
binding itself, the footer, the help screen (:func:`help_rows`) and the command
palette (``ui/commands.py``) at once.

Scopes say where a binding applies:

``app``      anywhere (quit, help, sync)
``main``     the main screen, whatever pane has focus (pane cycling, undo, compose)
``message``  the main screen while the list or the preview has focus (actions on messages)
``list``     the message list
``preview``  the preview pane
``tree``     the folder tree
``folders``  the main screen: the tree's folder when it has focus, else the open folder
``compose``  the compose screen (ctrl keys win over the text fields: ``priority``)
``outbox``   the outbox screen (messages not sent yet)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType

SCOPES: tuple[str, ...] = (
    "app",
    "main",
    "message",
    "list",
    "preview",
    "tree",
    "folders",
    "compose",
    "outbox",
)

SCOPE_TITLES: dict[str, str] = {
    "app": "Everywhere",
    "main": "Main screen",
    "message": "Messages (list or preview)",
    "list": "Message list",
    "preview": "Preview",
    "tree": "Folder tree",
    "folders": "Folders (the tree's, else the open one)",
    "compose": "Writing a message",
    "outbox": "Outbox",
}


@dataclass(frozen=True)
class KeySpec:
    """One binding: its id, default keys (comma separated), action, description and scope."""

    id: str
    keys: str
    action: str
    description: str
    scope: str
    show: bool = True
    """Shown in the footer (all bindings are shown in help and the palette)."""
    palette: bool = True
    """Offered in the command palette."""
    priority: bool = False
    """Checked before the focused widget's own keys (ctrl+e must not move to line end)."""


def _spec(
    id: str,
    keys: str,
    action: str,
    description: str,
    scope: str,
    *,
    show: bool = True,
    palette: bool = True,
    priority: bool = False,
) -> KeySpec:
    return KeySpec(id, keys, action, description, scope, show, palette, priority)


#: Every binding of the reader, in the order help lists them.
BINDINGS_REGISTRY: tuple[KeySpec, ...] = (
    _spec("app.quit", "q", "quit", "Quit", "app"),
    _spec("app.help", "question_mark", "help", "Help", "app"),
    _spec("app.sync", "dollar_sign", "sync_now", "Sync now", "app"),
    _spec("main.focus_next", "tab", "focus_next_pane", "Next pane", "main", show=False),
    _spec(
        "main.focus_previous",
        "shift+tab",
        "focus_previous_pane",
        "Previous pane",
        "main",
        show=False,
    ),
    _spec("main.undo", "u", "undo", "Undo", "main"),
    _spec("mail.compose", "c", "compose('new')", "Compose", "main"),
    _spec(
        "layout.full_preview", "Z", "toggle_full_preview", "Preview full screen", "main", show=False
    ),
    _spec("layout.grow_list", "right_square_bracket", "grow_list", "Larger list", "main", show=False),
    _spec(
        "layout.shrink_list", "left_square_bracket", "shrink_list", "Smaller list", "main", show=False
    ),
    _spec(
        "layout.widen_tree", "right_curly_bracket", "widen_tree", "Wider tree", "main", show=False
    ),
    _spec(
        "layout.narrow_tree", "left_curly_bracket", "narrow_tree", "Narrower tree", "main", show=False
    ),
    _spec("mail.search", "slash", "search", "Search", "main", show=False),
    _spec("mail.limit", "l", "limit", "Limit the list to a query", "main", show=False),
    _spec("mail.reply", "r", "compose('reply')", "Reply", "message", show=False),
    _spec("mail.reply_all", "R", "compose('reply_all')", "Reply all", "message", show=False),
    _spec("mail.forward", "f", "compose('forward')", "Forward", "message", show=False),
    _spec(
        "mail.forward_attachment",
        "ctrl+f",
        "compose('forward_attachment')",
        "Forward as attachment",
        "message",
        show=False,
    ),
    _spec("mail.list_reply", "L", "compose('list_reply')", "Reply to the list", "message", show=False),
    _spec("mail.unsubscribe", "U", "unsubscribe", "Unsubscribe from the list", "message", show=False),
    _spec("mail.junk", "J", "mark_junk(True)", "Mark as junk", "message", show=False),
    _spec("mail.not_junk", "K", "mark_junk(False)", "Not junk", "message", show=False),
    _spec("mail.toggle_read", "N", "toggle_read", "Read/unread", "message"),
    _spec("mail.toggle_flag", "F", "toggle_flag", "Flag", "message"),
    _spec("mail.delete", "d", "delete", "Delete", "message"),
    _spec("mail.archive", "a", "archive", "Archive", "message"),
    _spec("mail.move", "m", "move", "Move", "message"),
    _spec("mail.copy", "C", "copy", "Copy", "message", show=False),
    _spec("mail.headers", "H", "all_headers", "All headers", "message", show=False),
    _spec("mail.raw", "V", "raw_source", "Raw source", "message", show=False),
    _spec("mail.save", "s", "save_attachments", "Save attachments", "message", show=False),
    _spec("mail.open_link", "o", "open_attachment", "Open attachment/link", "message", show=False),
    _spec("mail.browser", "B", "open_in_browser", "Open in browser", "message", show=False),
    _spec("mail.html_text", "w", "toggle_html", "HTML part as text", "message", show=False),
    _spec("mail.tag_query", "ctrl+t", "tag_query", "Tag by query", "message", show=False),
    _spec("mail.tag_thread", "alt+t", "tag_thread", "Tag the thread", "message", show=False),
    _spec("mail.untag_all", "ctrl+u", "untag_all", "Untag all", "message", show=False),
    _spec("mail.invert_tags", "asterisk", "invert_tags", "Invert tags", "message", show=False),
    _spec("mail.fold_all", "alt+z", "fold_all", "Fold/unfold all threads", "message", show=False),
    _spec("mail.next_unread", "n", "next_unread(1)", "Next unread", "message", show=False),
    _spec("mail.previous_unread", "p", "next_unread(-1)", "Previous unread", "message", show=False),
    _spec(
        "preview.next", "j", "screen.next_message(1)", "Next message", "preview", show=False
    ),
    _spec(
        "preview.previous", "k", "screen.next_message(-1)", "Previous message", "preview",
        show=False,
    ),
    _spec("mail.next", "j,down", "cursor_down", "Next message", "list", show=False),
    _spec("mail.previous", "k,up", "cursor_up", "Previous message", "list", show=False),
    _spec("mail.first", "g,home", "first", "First message", "list", show=False),
    _spec("mail.last", "G,end", "last", "Last message", "list", show=False),
    _spec("mail.page_down", "pagedown", "page_down", "Page down", "list", show=False),
    _spec("mail.page_up", "pageup", "page_up", "Page up", "list", show=False),
    _spec("mail.open", "enter", "open", "Show message", "list"),
    _spec(
        "mail.leave_search", "escape", "screen.back_to_list", "Leave the search", "list", show=False
    ),
    _spec("mail.tag", "t", "tag", "Tag", "list"),
    _spec("mail.toggle_thread", "z", "toggle_thread", "Fold thread", "list", show=False),
    _spec("mail.threaded", "T", "toggle_threaded", "Threaded view", "list"),
    _spec("mail.sort", "S", "cycle_sort", "Sort", "list"),
    _spec("mail.reverse", "O", "reverse_sort", "Reverse order", "list", show=False),
    _spec("preview.page_down", "space", "preview_page_down", "Page down", "preview"),
    _spec("preview.back", "escape", "back_to_list", "Back to list", "preview"),
    _spec("tree.open", "enter", "open_folder", "Open folder", "tree", palette=False),
    _spec("folder.create", "plus", "create_folder", "New folder", "folders", show=False),
    _spec("folder.rename", "f2", "rename_folder", "Rename folder", "folders", show=False),
    _spec("folder.delete", "f8", "delete_folder", "Delete folder", "folders", show=False),
    _spec(
        "folder.subscribe", "f9", "subscribe_folder(True)", "Subscribe to folder", "folders",
        show=False,
    ),
    _spec(
        "folder.unsubscribe", "f10", "subscribe_folder(False)", "Unsubscribe from folder",
        "folders", show=False,
    ),
    _spec("folder.mark_read", "M", "mark_folder_read", "Mark all read", "folders", show=False),
    _spec(
        "folder.empty_trash", "E", "empty_folder('trash')", "Empty Trash", "folders", show=False
    ),
    _spec(
        "folder.empty_junk", "ctrl+e", "empty_folder('junk')", "Empty Junk", "folders", show=False
    ),
    _spec(
        "folder.expunge", "X", "expunge_folder", "Expunge deleted messages", "folders", show=False
    ),
    _spec("compose.send", "ctrl+s", "send", "Send", "compose", palette=False, priority=True),
    _spec(
        "compose.attach",
        "ctrl+o",
        "attach",
        "Attach a file",
        "compose",
        palette=False,
        priority=True,
    ),
    _spec(
        "compose.editor",
        "ctrl+e",
        "external_editor",
        "Edit the body in $EDITOR",
        "compose",
        palette=False,
        priority=True,
    ),
    _spec(
        "compose.bcc",
        "ctrl+b",
        "toggle_bcc",
        "Show/hide Bcc",
        "compose",
        palette=False,
        priority=True,
    ),
    _spec(
        "compose.pgp",
        "ctrl+g",
        "pgp_menu",
        "OpenPGP: sign / encrypt",
        "compose",
        palette=False,
        priority=True,
    ),
    _spec(
        "compose.close", "escape", "close", "Close (save draft / discard)", "compose", palette=False
    ),
    _spec("outbox.resend", "s", "resend", "Send again", "outbox", palette=False),
    _spec("outbox.edit", "e", "edit", "Edit", "outbox", palette=False),
    _spec("outbox.delete", "d", "delete", "Delete", "outbox", palette=False),
    _spec("outbox.close", "escape", "close", "Back", "outbox", palette=False),
)

_BY_ID: dict[str, KeySpec] = {spec.id: spec for spec in BINDINGS_REGISTRY}


def spec(binding_id: str) -> KeySpec:
    """The registry entry for a binding id (KeyError when unknown)."""
    return _BY_ID[binding_id]


def bindings_for(*scopes: str) -> list[Binding]:
    """Textual ``Binding`` objects (with ids, so the keymap can remap them) for scopes."""
    return [
        Binding(s.keys, s.action, s.description, show=s.show, id=s.id, priority=s.priority)
        for s in BINDINGS_REGISTRY
        if s.scope in scopes
    ]


def binding_types_for(*scopes: str) -> list[BindingType]:
    """:func:`bindings_for` typed as a widget's ``BINDINGS`` class variable."""
    return list[BindingType](bindings_for(*scopes))


def unknown_ids(user_keys: Mapping[str, str]) -> list[str]:
    """Binding ids in the user's ``[keys]`` table that the registry does not know."""
    return [binding_id for binding_id in user_keys if binding_id not in _BY_ID]


def effective_keys(binding_id: str, user_keys: Mapping[str, str]) -> str:
    """The keys bound to an id after the user's remapping (comma separated)."""
    return user_keys.get(binding_id) or _BY_ID[binding_id].keys


def display_keys(keys: str) -> str:
    """A readable form of a comma separated key list, e.g. ``question_mark`` -> ``?``."""
    from textual.keys import format_key

    return ", ".join(format_key(key.strip()) for key in keys.split(",") if key.strip())


@dataclass(frozen=True)
class HelpRow:
    """One line of the help screen or palette: scope title, keys as shown, description."""

    binding_id: str
    scope: str
    keys: str
    description: str
    action: str


def help_rows(user_keys: Mapping[str, str], scopes: Iterable[str] = SCOPES) -> list[HelpRow]:
    """Every binding with its effective keys, grouped by scope in ``SCOPES`` order."""
    wanted = list(scopes)
    rows = [
        HelpRow(
            s.id,
            s.scope,
            display_keys(effective_keys(s.id, user_keys)),
            s.description,
            s.action,
        )
        for s in BINDINGS_REGISTRY
        if s.scope in wanted
    ]
    rows.sort(key=lambda row: wanted.index(row.scope))
    return rows


def palette_specs() -> list[KeySpec]:
    """The bindings the command palette offers."""
    return [s for s in BINDINGS_REGISTRY if s.palette]


def user_keys_of(app: object) -> Mapping[str, str]:
    """The ``[keys]`` remapping an app runs with (``TuiMailApp.user_keys``; empty for others)."""
    keys = getattr(app, "user_keys", None)
    return keys if isinstance(keys, Mapping) else {}
