"""The folder tree: accounts, role folders first with icons, the rest as a hierarchy.

Folder names come from the server, so every label is built as ``rich.text.Text``
from ``clean_line`` output (never markup). Counts change live: a whole new
folder list rebuilds the account's branch, a count change relabels one node.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui_mail.mail.sanitize import clean_line
from tui_mail.models import ROLE_ORDER, Folder, FolderRole
from tui_mail.ui import keymap

ROLE_ICONS: dict[FolderRole, str] = {
    FolderRole.INBOX: "✉",
    FolderRole.DRAFTS: "✎",
    FolderRole.SENT: "➤",
    FolderRole.ARCHIVE: "▤",
    FolderRole.JUNK: "✗",
    FolderRole.TRASH: "⌫",
    FolderRole.OUTBOX: "⇪",
}
ROLE_TITLES: dict[FolderRole, str] = {FolderRole.INBOX: "Inbox"}


@dataclass(frozen=True)
class FolderRef:
    """What a tree node stands for: an account (``folder`` None) or a folder in it."""

    account: str
    folder: Folder | None = None
    outbox: bool = False
    """The local outbox of unsent messages (not a server folder)."""


#: After a folder's unread count while new mail came since the user last opened it.
NEW_MAIL_MARK = " •"


def folder_label(
    folder: Folder | None, leaf: str, *, is_open: bool, has_new: bool = False
) -> Text:
    """A node's label: role icon, sanitised name, unread count (bold when non-zero),
    and a mark when new mail came since the folder was last opened."""
    label = Text(no_wrap=True, end="")
    if folder is not None and folder.role in ROLE_ICONS:
        label.append(ROLE_ICONS[folder.role] + " ")
        leaf = ROLE_TITLES.get(folder.role, leaf)
    label.append(clean_line(leaf), style="reverse" if is_open else "")
    if folder is not None and folder.unread:
        label.append(f" {folder.unread}", style="bold")
    if has_new:
        label.append(NEW_MAIL_MARK, style="bold")
    if folder is not None and not folder.selectable:
        label.stylize("dim")
    return label


def ordered_folders(folders: Iterable[Folder]) -> list[Folder]:
    """Role folders in ``ROLE_ORDER``, then the others by name (case-insensitive)."""
    rank = {role: index for index, role in enumerate(ROLE_ORDER)}
    return sorted(
        folders,
        key=lambda f: (
            rank.get(f.role, len(rank)),
            () if f.role in rank else tuple(p.casefold() for p in f.parts),
        ),
    )


class FolderTree(Tree[FolderRef]):
    """Accounts (as roots when there is more than one) and their folders."""

    BINDINGS = keymap.binding_types_for("tree")

    @dataclass
    class FolderSelected(Message):
        """The user picked a folder to open."""

        account: str
        folder: Folder

    @dataclass
    class OutboxSelected(Message):
        """The user opened the outbox entry of an account."""

        account: str

    def __init__(self, accounts: Sequence[str], *, id: str | None = None) -> None:
        super().__init__("Accounts", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.accounts = tuple(accounts)
        self.folders: dict[str, dict[str, Folder]] = {name: {} for name in self.accounts}
        self.open_folder: tuple[str, str] | None = None
        self._folder_nodes: dict[tuple[str, str], TreeNode[FolderRef]] = {}
        self._branches: dict[str, TreeNode[FolderRef]] = {}
        self._outbox_counts: dict[str, int] = {}
        self._outbox_nodes: dict[str, TreeNode[FolderRef]] = {}
        self.new_mail: set[tuple[str, str]] = set()
        """Folders where new mail came since the user last opened them (marked)."""
        for account in self.accounts:
            if len(self.accounts) > 1:
                branch = self.root.add(
                    Text(clean_line(account), style="bold"), FolderRef(account), expand=True
                )
            else:
                branch = self.root
            self._branches[account] = branch

    def set_folders(self, account: str, folders: Sequence[Folder]) -> None:
        """Show this account's folder list (rebuilds its branch, keeps the cursor folder)."""
        if account not in self._branches:
            return
        known = {f.name: f for f in folders}
        if set(known) == set(self.folders[account]):
            for folder in folders:
                self.set_counts(account, folder.name, folder.total, folder.unread, folder)
            return
        cursor = self.cursor_node.data if self.cursor_node is not None and self.has_focus else None
        self.folders[account] = known
        branch = self._branches[account]
        branch.remove_children()
        for key in [k for k in self._folder_nodes if k[0] == account]:
            del self._folder_nodes[key]
        self._outbox_nodes.pop(account, None)
        for folder in ordered_folders(folders):
            self._add(account, branch, folder)
        self.set_outbox(account, self._outbox_counts.get(account, 0))
        if cursor is not None and cursor.folder is not None:
            node = self._folder_nodes.get((cursor.account, cursor.folder.name))
            self.call_after_refresh(self.move_cursor, node)
        elif self.open_folder is not None and self.open_folder[0] == account:
            self.select_folder(*self.open_folder)

    def _add(self, account: str, branch: TreeNode[FolderRef], folder: Folder) -> None:
        parent = branch
        if folder.role is FolderRole.NONE:
            for depth in range(1, len(folder.parts)):
                parent_name = folder.delimiter.join(folder.parts[:depth])
                node = self._folder_nodes.get((account, parent_name))
                if node is None:
                    node = parent.add(
                        folder_label(None, folder.parts[depth - 1], is_open=False),
                        FolderRef(account),
                        expand=True,
                    )
                    self._folder_nodes[(account, parent_name)] = node
                node.allow_expand = True
                parent = node
        label = self._label(account, folder)
        existing = self._folder_nodes.get((account, folder.name))
        if existing is not None:  # a placeholder parent that turned out to be a folder
            existing.data = FolderRef(account, folder)
            existing.set_label(label)
            return
        self._folder_nodes[(account, folder.name)] = parent.add(
            label, FolderRef(account, folder), expand=True, allow_expand=False
        )

    def set_counts(
        self, account: str, name: str, total: int, unread: int, folder: Folder | None = None
    ) -> None:
        """New counts for one folder: relabel its node only."""
        node = self._folder_nodes.get((account, name))
        old = self.folders.get(account, {}).get(name)
        if node is None or old is None:
            return
        base = folder or old
        new = Folder(
            base.account, base.name, base.delimiter, base.role, unread, total, base.selectable
        )
        self.folders[account][name] = new
        node.data = FolderRef(account, new)
        node.set_label(self._label(account, new))

    def _label(self, account: str, folder: Folder) -> Text:
        key = (account, folder.name)
        return folder_label(
            folder, folder.leaf, is_open=self.open_folder == key, has_new=key in self.new_mail
        )

    def mark_new_mail(self, account: str, name: str) -> None:
        """New mail came into a folder: mark it, unless the user has it open."""
        folder = self.folders.get(account, {}).get(name)
        node = self._folder_nodes.get((account, name))
        if folder is None or node is None or self.open_folder == (account, name):
            return
        self.new_mail.add((account, name))
        node.set_label(self._label(account, folder))

    def select_folder(self, account: str, name: str, *, move_cursor: bool = True) -> None:
        """Mark a folder as the open one (highlighted) and put the cursor on it."""
        previous, self.open_folder = self.open_folder, (account, name)
        self.new_mail.discard(self.open_folder)  # seen: the mark goes
        for key in (previous, self.open_folder):
            folder = self.folders.get(key[0], {}).get(key[1]) if key else None
            if key is not None and folder is not None and key in self._folder_nodes:
                self._folder_nodes[key].set_label(self._label(key[0], folder))
        node = self._folder_nodes.get((account, name))
        if move_cursor and node is not None:
            # A node's line is known only once the tree has laid out its lines again.
            self.call_after_refresh(self.move_cursor, node)

    def set_outbox(self, account: str, count: int) -> None:
        """Show an Outbox entry with ``count`` unsent messages (none: no entry)."""
        if account not in self._branches:
            return
        self._outbox_counts[account] = count
        node = self._outbox_nodes.get(account)
        if count <= 0:
            if node is not None:
                node.remove()
                del self._outbox_nodes[account]
            return
        label = Text(no_wrap=True, end="")
        label.append(f"{ROLE_ICONS[FolderRole.OUTBOX]} Outbox")
        label.append(f" {count}", style="bold")
        if node is None:
            self._outbox_nodes[account] = self._branches[account].add_leaf(
                label, FolderRef(account, outbox=True)
            )
        else:
            node.set_label(label)

    def outbox_node(self, account: str) -> TreeNode[FolderRef] | None:
        """The account's Outbox node (None while the outbox is empty)."""
        return self._outbox_nodes.get(account)

    def folder_by_role(self, account: str, role: FolderRole) -> Folder | None:
        """The account's folder with this role, if the server named one."""
        return next((f for f in self.folders.get(account, {}).values() if f.role is role), None)

    def action_open_folder(self) -> None:
        """Open the folder under the cursor."""
        node = self.cursor_node
        if node is not None and node.data is not None and node.data.outbox:
            self.post_message(self.OutboxSelected(node.data.account))
        elif node is not None and node.data is not None and node.data.folder is not None:
            if node.data.folder.selectable:
                self.post_message(self.FolderSelected(node.data.account, node.data.folder))
            else:
                node.toggle()

    def on_tree_node_selected(self, event: Tree.NodeSelected[FolderRef]) -> None:
        event.stop()
        node = event.node
        if node.data is not None and node.data.outbox:
            self.post_message(self.OutboxSelected(node.data.account))
        elif node.data is not None and node.data.folder is not None and node.data.folder.selectable:
            self.post_message(self.FolderSelected(node.data.account, node.data.folder))
