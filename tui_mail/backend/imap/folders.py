"""Which folder is Sent, Drafts, Trash...: pure role logic, no I/O.

Roles come, in order of trust, from the user's ``[accounts.X.folders]``
overrides, the server's SPECIAL-USE attributes (RFC 6154, also sent by many
servers on a plain LIST), and finally well-known folder names. Each role goes
to at most one folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_mail.models import Folder, FolderRole

if TYPE_CHECKING:
    from tui_mail.config import FolderOverrides

#: RFC 6154 attributes (lower-cased) and the roles they give.
SPECIAL_USE_ROLES: Mapping[str, FolderRole] = {
    "\\sent": FolderRole.SENT,
    "\\drafts": FolderRole.DRAFTS,
    "\\trash": FolderRole.TRASH,
    "\\junk": FolderRole.JUNK,
    "\\archive": FolderRole.ARCHIVE,
}

#: Common names (lower-cased), most likely first, for servers without SPECIAL-USE.
COMMON_NAMES: Mapping[FolderRole, tuple[str, ...]] = {
    FolderRole.SENT: (
        "sent",
        "sent items",
        "sent messages",
        "sent mail",
        "[gmail]/sent mail",
        "[google mail]/sent mail",
    ),
    FolderRole.DRAFTS: ("drafts", "draft", "[gmail]/drafts", "[google mail]/drafts"),
    FolderRole.TRASH: (
        "trash",
        "deleted items",
        "deleted messages",
        "deleted",
        "bin",
        "[gmail]/trash",
        "[gmail]/bin",
        "[google mail]/trash",
        "[google mail]/bin",
    ),
    FolderRole.JUNK: (
        "junk",
        "spam",
        "junk e-mail",
        "junk email",
        "bulk mail",
        "[gmail]/spam",
        "[google mail]/spam",
    ),
    FolderRole.ARCHIVE: ("archive", "archives"),
}

#: Which override field names which role.
OVERRIDE_FIELDS: Mapping[str, FolderRole] = {
    "sent": FolderRole.SENT,
    "drafts": FolderRole.DRAFTS,
    "trash": FolderRole.TRASH,
    "archive": FolderRole.ARCHIVE,
    "junk": FolderRole.JUNK,
}


@dataclass(frozen=True, slots=True)
class ListedFolder:
    """One LIST response line, decoded: name, delimiter and attributes."""

    name: str
    delimiter: str
    attributes: frozenset[str]
    """Attributes as sent (e.g. ``\\Sent``, ``\\HasNoChildren``); compared case-insensitively."""

    @property
    def selectable(self) -> bool:
        """False for ``\\Noselect`` / ``\\NonExistent`` placeholders."""
        lowered = {a.lower() for a in self.attributes}
        return not ({"\\noselect", "\\nonexistent"} & lowered)


def _without_inbox_prefix(folder: ListedFolder) -> str:
    """``INBOX.Sent`` -> ``sent`` (Courier/Cyrus keep everything under INBOX)."""
    name = folder.name.lower()
    if folder.delimiter:
        prefix = "inbox" + folder.delimiter.lower()
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def assign_roles(
    listing: Sequence[ListedFolder], overrides: FolderOverrides | None = None
) -> dict[str, FolderRole]:
    """Map each folder name to its role (``FolderRole.NONE`` when it has none)."""
    roles: dict[str, FolderRole] = {f.name: FolderRole.NONE for f in listing}
    taken: dict[FolderRole, str] = {}

    def give(name: str, role: FolderRole) -> None:
        if role not in taken and roles.get(name) == FolderRole.NONE:
            roles[name] = role
            taken[role] = name

    for folder in listing:
        if folder.name.upper() == "INBOX":
            give(folder.name, FolderRole.INBOX)
    for folder in listing:
        if not folder.selectable:
            continue
        for attribute in folder.attributes:
            role = SPECIAL_USE_ROLES.get(attribute.lower())
            if role is not None:
                give(folder.name, role)
    for role, names in COMMON_NAMES.items():
        for wanted in names:
            for folder in listing:
                if folder.selectable and _without_inbox_prefix(folder) == wanted:
                    give(folder.name, role)
    _apply_overrides(roles, listing, overrides)
    return roles


def _apply_overrides(
    roles: dict[str, FolderRole], listing: Sequence[ListedFolder], overrides: object
) -> None:
    """The user's choice wins: the named folder gets the role, any other loses it."""
    if overrides is None:
        return
    by_lower = {f.name.lower(): f.name for f in listing}
    for field_name, role in OVERRIDE_FIELDS.items():
        wanted = getattr(overrides, field_name, None)
        if not wanted:
            continue
        name = wanted if wanted in roles else by_lower.get(wanted.lower())
        if name is None:
            continue  # configured folder does not exist (yet): keep what the server says
        for other, other_role in roles.items():
            if other_role == role:
                roles[other] = FolderRole.NONE
        roles[name] = role


def build_folders(
    account: str,
    listing: Sequence[ListedFolder],
    counts: Mapping[str, tuple[int, int]],
    overrides: FolderOverrides | None = None,
) -> list[Folder]:
    """``Folder`` objects in server order with roles and (total, unread) counts."""
    roles = assign_roles(listing, overrides)
    folders = []
    for item in listing:
        total, unread = counts.get(item.name, (0, 0))
        folders.append(
            Folder(
                account=account,
                name=item.name,
                delimiter=item.delimiter,
                role=roles[item.name],
                unread=unread,
                total=total,
                selectable=item.selectable,
            )
        )
    return folders


def folder_with_role(folders: Iterable[Folder], role: FolderRole) -> str | None:
    """The name of the folder holding ``role``, or None."""
    for folder in folders:
        if folder.role == role:
            return folder.name
    return None
