"""Folder roles: SPECIAL-USE attributes, then common names, then the user's overrides."""

from __future__ import annotations

from tui_mail.backend.imap.folders import (
    ListedFolder,
    assign_roles,
    build_folders,
    folder_with_role,
)
from tui_mail.config import FolderOverrides
from tui_mail.models import FolderRole


def listed(name: str, *attributes: str, delimiter: str = "/") -> ListedFolder:
    return ListedFolder(name, delimiter, frozenset(attributes))


def test_special_use_attributes_win_over_names() -> None:
    listing = [
        listed("INBOX"),
        listed("Sent"),  # a name that looks like Sent...
        listed("Outgoing", "\\Sent", "\\HasNoChildren"),  # ...but the server says this one is
        listed("Bin", "\\trash"),  # attributes compare case-insensitively
    ]
    roles = assign_roles(listing)
    assert roles == {
        "INBOX": FolderRole.INBOX,
        "Sent": FolderRole.NONE,
        "Outgoing": FolderRole.SENT,
        "Bin": FolderRole.TRASH,
    }


def test_common_names_without_special_use() -> None:
    listing = [
        listed("inbox"),
        listed("Sent Items"),
        listed("Deleted Items"),
        listed("Junk E-mail"),
        listed("Archives"),
        listed("Drafts"),
        listed("Projects"),
    ]
    roles = assign_roles(listing)
    assert roles["inbox"] == FolderRole.INBOX
    assert roles["Sent Items"] == FolderRole.SENT
    assert roles["Deleted Items"] == FolderRole.TRASH
    assert roles["Junk E-mail"] == FolderRole.JUNK
    assert roles["Archives"] == FolderRole.ARCHIVE
    assert roles["Drafts"] == FolderRole.DRAFTS
    assert roles["Projects"] == FolderRole.NONE


def test_gmail_and_inbox_prefixed_names() -> None:
    gmail = [listed("INBOX"), listed("[Gmail]", "\\Noselect"), listed("[Gmail]/Sent Mail")]
    assert assign_roles(gmail)["[Gmail]/Sent Mail"] == FolderRole.SENT
    courier = [listed("INBOX", delimiter="."), listed("INBOX.Trash", delimiter=".")]
    assert assign_roles(courier)["INBOX.Trash"] == FolderRole.TRASH


def test_each_role_goes_to_one_folder_and_noselect_gets_none() -> None:
    listing = [listed("Spam"), listed("Junk"), listed("Trash", "\\Noselect")]
    roles = assign_roles(listing)
    # "junk" comes before "spam" in the name list, whatever the server order.
    assert roles["Junk"] == FolderRole.JUNK
    assert roles["Spam"] == FolderRole.NONE
    assert roles["Trash"] == FolderRole.NONE


def test_overrides_beat_the_server() -> None:
    listing = [listed("INBOX"), listed("Sent", "\\Sent"), listed("My Sent"), listed("Papierkorb")]
    overrides = FolderOverrides(sent="my sent", trash="Papierkorb", archive="Missing")
    roles = assign_roles(listing, overrides)
    assert roles["Sent"] == FolderRole.NONE
    assert roles["My Sent"] == FolderRole.SENT  # matched case-insensitively
    assert roles["Papierkorb"] == FolderRole.TRASH
    assert FolderRole.ARCHIVE not in roles.values()  # an override naming no folder is ignored


def test_build_folders_keeps_order_counts_and_selectable() -> None:
    listing = [listed("INBOX"), listed("Lists", "\\Noselect"), listed("Lists/python")]
    folders = build_folders("work", listing, {"INBOX": (10, 3), "Lists/python": (5, 0)})
    assert [(f.name, f.total, f.unread, f.selectable) for f in folders] == [
        ("INBOX", 10, 3, True),
        ("Lists", 0, 0, False),
        ("Lists/python", 5, 0, True),
    ]
    assert folders[2].parts == ("Lists", "python")
    assert folder_with_role(folders, FolderRole.INBOX) == "INBOX"
    assert folder_with_role(folders, FolderRole.TRASH) is None
