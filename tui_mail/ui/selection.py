"""Naming a message in the list fully: (account, folder, UID) (issue #21 item 6).

A UID names a message only inside its folder, and search results mix folders
and accounts, where UIDs repeat. Tags, the cursor kept across views, the
optimistic overlay and every action therefore use :class:`MessageKey`; an
action groups its keys with :func:`by_folder` and sends one command per group,
each to the folder the messages are really in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from tui_mail.models import MessageSummary


class MessageKey(NamedTuple):
    """One message: its account, its folder and its UID there.

    A plain tuple underneath, so it equals the preview's ``(account, folder, uid)``.
    """

    account: str
    folder: str
    uid: int

    @classmethod
    def of(cls, summary: MessageSummary) -> MessageKey:
        """The key of a listed message (summaries carry their real account and folder)."""
        return cls(summary.account, summary.folder, summary.uid)


Place = tuple[str, str]
"""(account, folder)."""


def by_folder(keys: Iterable[MessageKey]) -> dict[Place, tuple[int, ...]]:
    """The UIDs of ``keys`` per (account, folder), groups and UIDs in the order given."""
    groups: dict[Place, dict[int, None]] = {}
    for key in keys:
        groups.setdefault((key.account, key.folder), {})[key.uid] = None
    return {place: tuple(uids) for place, uids in groups.items()}


def keys_in(place: Place, uids: Iterable[int]) -> list[MessageKey]:
    """The keys of ``uids`` in one (account, folder)."""
    account, folder = place
    return [MessageKey(account, folder, uid) for uid in uids]
