"""UID commands on the selected folder: SEARCH, FETCH, STORE, COPY/MOVE, EXPUNGE, APPEND.

:class:`MessageCommands` is mixed into
:class:`~tui_mail.backend.imap.session.ImapSession`, which owns the
connection; it lives apart so the session module stays about connecting,
folders and IDLE. Every user value reaches the server quoted safely or as a
literal (:mod:`~tui_mail.backend.imap.search_args`), and every number the
server sends back is range-checked before it can reach SQLite.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from typing import Any

from imapclient import IMAPClient
from imapclient.response_parser import parse_message_list

from tui_mail.backend.imap import transport
from tui_mail.backend.imap.envelope import decode_flags
from tui_mail.backend.imap.esearch import esearch_uids
from tui_mail.backend.imap.protocol import (
    UINT32_MAX,
    as_bytes,
    bounded_number,
    copyuid_map,
    group_untagged,
    parse_uid_set,
    translate_errors,
)
from tui_mail.backend.imap.search_args import build_search_args, is_atom, needs_utf8
from tui_mail.errors import ServerError

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)
_SYSTEM_FLAGS = {"\\seen", "\\answered", "\\flagged", "\\deleted", "\\draft"}


class MessageCommands:
    """The message commands of :class:`ImapSession` (which supplies these attributes)."""

    client: IMAPClient
    where: str

    def has(self, capability: str) -> bool:
        """True when the server announced ``capability`` (defined by the session)."""
        raise NotImplementedError

    def search(self, criteria: Sequence[Any]) -> list[int]:
        """UID SEARCH with every user value quoted safely or sent as a literal: the
        matching UIDs, ascending and distinct.

        Where the server offers ESEARCH (RFC 4731) the UIDs are asked for as
        ``RETURN (ALL)``: ranges like ``1:5000`` instead of 5,000 numbers on a line.
        """
        args = build_search_args(criteria)
        if needs_utf8(args):
            args = [b"CHARSET", b"UTF-8", *args]
        extended = self.has("ESEARCH")
        if extended:
            args = [b"RETURN", b"(ALL)", *args]  # RFC 4731: RETURN comes before CHARSET
        with translate_errors(self.where):
            data = transport.search_raw(self.client, args, esearch=extended)
            if extended:
                return esearch_uids(group_untagged(data))
            # Distinct, as ESEARCH's are: a server that repeats a UID must not make
            # a sync fetch and store it twice.
            return sorted({bounded_number(u, UINT32_MAX) for u in parse_message_list(data)})

    def fetch(
        self, uids: Sequence[int] | str, items: Sequence[str], modifiers: Sequence[str] = ()
    ) -> dict[int, dict[bytes, Any]]:
        """UID FETCH ``items`` (``modifiers`` such as ``CHANGEDSINCE n``).

        ``uids`` may be a range like ``"1:*"``.
        """
        if not uids:
            return {}
        with translate_errors(self.where):
            if isinstance(uids, str):
                return _by_uid(transport.fetch_range(self.client, uids, items, modifiers))
            return transport.fetch_uids(self.client, list(uids), items, modifiers)

    def fetch_by_sequence(
        self, first: int, last: int | None, items: Sequence[str]
    ) -> dict[int, dict[bytes, Any]]:
        """FETCH ``items`` of messages ``first:last`` by sequence number, keyed by UID.

        ``last`` None means ``first:*``. The safer form for a server that refuses a
        UID set naming a message it no longer has: numbers 1..EXISTS always name a
        message, and no EXPUNGE may arrive during a plain FETCH (RFC 3501 7.4.1), so
        the numbers cannot shift under it. ``UID`` is always asked for; an answer
        without one (unsolicited) is dropped.
        """
        wanted = ["UID", *(item for item in items if item.upper() != "UID")]
        span = f"{first}:{'*' if last is None else last}"
        with translate_errors(self.where):
            return _by_uid(transport.fetch_range(self.client, span, wanted, (), uid=False))

    def pop_vanished(self) -> list[int]:
        """UIDs reported in ``VANISHED`` responses since the last call (QRESYNC)."""
        uids: list[int] = []
        for line in transport.pop_untagged(self.client, "VANISHED"):
            text = as_bytes(line).decode("ascii", "replace")
            text = re.sub(r"\(EARLIER\)", "", text, flags=re.IGNORECASE).strip()
            with contextlib.suppress(ServerError):  # unreadable or absurd: the next sync compares
                uids.extend(parse_uid_set(text))
        return uids

    def store_flags(
        self, uids: Sequence[int], flags: Sequence[str], add: bool
    ) -> dict[int, frozenset[str]]:
        """STORE +FLAGS/-FLAGS; returns the new flags the server reported."""
        for flag in flags:
            bare = flag[1:] if flag.startswith("\\") else flag
            if not (flag.lower() in _SYSTEM_FLAGS or (not flag.startswith("\\") and is_atom(bare))):
                raise ServerError("not a valid flag", repr(flag)[:80])
        with translate_errors(self.where):
            method = self.client.add_flags if add else self.client.remove_flags
            result = method(list(uids), list(flags))
        return {uid: decode_flags(value) for uid, value in (result or {}).items()}

    def copy(self, uids: Sequence[int], dest: str) -> dict[int, int]:
        """UID COPY; old -> new UID map from COPYUID (empty without UIDPLUS)."""
        return self._with_copyuid(self.client.copy, uids, dest)

    def move(self, uids: Sequence[int], dest: str) -> dict[int, int]:
        """UID MOVE, else COPY + \\Deleted + a safe expunge. Returns the UID map."""
        if not self.has("MOVE"):
            uid_map = self.copy(uids, dest)
            self.expunge_exactly(uids)
            return uid_map
        return self._with_copyuid(self.client.move, uids, dest)

    def _with_copyuid(
        self, method: Callable[[list[int], str], Any], uids: Sequence[int], dest: str
    ) -> dict[int, int]:
        # imaplib files response codes (tagged, or MOVE's untagged OK) under their
        # name and never clears them: drop any stale COPYUID first.
        transport.pop_untagged(self.client, "COPYUID")
        with translate_errors(self.where):
            method(list(uids), dest)
        found = transport.pop_untagged(self.client, "COPYUID")
        return copyuid_map([b"[COPYUID " + as_bytes(found[-1]) + b"]"]) if found else {}

    def expunge_exactly(self, uids: Sequence[int]) -> None:
        """Mark ``uids`` \\Deleted and expunge only them.

        With UIDPLUS this is ``UID EXPUNGE``. Without it a bare EXPUNGE would also
        remove other messages someone marked deleted, so we expunge only when no
        other message carries \\Deleted, and otherwise refuse (the messages stay
        marked \\Deleted, nothing else is lost).
        """
        with translate_errors(self.where):
            self.client.add_flags(list(uids), ["\\Deleted"], silent=True)
            if self.has("UIDPLUS"):
                self.client.uid_expunge(list(uids))
                return
        others = set(self.search(["DELETED"])) - set(uids)
        if others:
            raise ServerError(
                "cannot expunge safely: the server has no UIDPLUS and other messages are "
                "marked deleted",
                f"{len(others)} other message(s) marked \\Deleted; nothing was expunged",
            )
        with translate_errors(self.where):
            self.client.expunge()

    def append(self, folder: str, message: bytes, flags: Sequence[str] = ()) -> int | None:
        """APPEND; the new UID from APPENDUID when the server gives it."""
        with translate_errors(self.where):
            response = self.client.append(folder, message, flags=tuple(flags))
        match = _APPENDUID.search(as_bytes(response))
        return int(match[2]) if match else None


def _by_uid(by_number: dict[int, dict[bytes, Any]]) -> dict[int, dict[bytes, Any]]:
    """A FETCH answer keyed by sequence number -> keyed by each line's UID.

    Lines without a UID are unsolicited (another client changed a flag): their
    number is a sequence number, and taking it for a UID would give the flags of
    one message to another. A UID out of 32 bits raises ValueError (a broken server).
    """
    found: dict[int, dict[bytes, Any]] = {}
    for data in by_number.values():
        if b"UID" in data:
            found[bounded_number(data[b"UID"], UINT32_MAX)] = data
    return found
