"""Address fields of the compose screen: parsing what was typed, and completing it.

``parse_addresses`` and ``format_addresses`` turn the text of a To/Cc/Bcc
field into ``Address`` objects and back (names with commas are quoted, so a
round trip keeps them). :class:`AddressSuggester` completes the address being
typed (the part after the last comma) from a caller's lookup, run off the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from email.utils import getaddresses

from textual.suggester import Suggester

from tui_mail.mail.sanitize import clean_line
from tui_mail.models import Address
from tui_mail.ui.fuzzy import fuzzy_filter

#: Characters that force a display name into quotes (RFC 5322 specials).
_SPECIALS = set('()<>[]:;@\\,."')

#: A lookup from the text typed so far to candidate addresses (``Name <a@b>``).
SuggestionLookup = Callable[[str], list[str]]


def parse_addresses(text: str) -> list[Address]:
    """The addresses in a field's text (``a@b, "Doe, J" <j@d>``); malformed parts kept as typed.

    Never raises: on anything the email package chokes on, each comma
    separated part is kept as a bare address so nothing typed is lost.
    """
    if not text.strip():
        return []
    try:
        pairs = getaddresses([text])
    except Exception:  # crafted input can raise inside the email package
        pairs = [("", part.strip()) for part in text.split(",")]
    result = [Address(name.strip(), email.strip()) for name, email in pairs]
    return [address for address in result if address.email or address.name]


def format_address(address: Address) -> str:
    """``Name <email>``, quoting the name when it holds a comma or another special."""
    if not address.name:
        return address.email
    name = address.name
    if any(ch in _SPECIALS for ch in name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address.email}>"


def format_addresses(addresses: Iterable[Address]) -> str:
    """A field's text for ``addresses``: ``format_address`` joined by ``", "``."""
    return ", ".join(format_address(address) for address in addresses)


def invalid_addresses(addresses: Iterable[Address]) -> list[str]:
    """The entries that are not ``local@domain`` (to refuse sending them)."""
    bad = []
    for address in addresses:
        local, at, domain = address.email.rpartition("@")
        if not (at and local and domain) or any(ch.isspace() for ch in address.email):
            bad.append(format_address(address) or address.name)
    return bad


def split_last(value: str) -> tuple[str, str]:
    """``"a@b, jo"`` -> (``"a@b, "``, ``"jo"``): what is done and the address being typed."""
    head, comma, last = value.rpartition(",")
    stripped = last.lstrip()
    if not comma:
        return value[: len(value) - len(stripped)], stripped
    return head + comma + last[: len(last) - len(stripped)], stripped


def rank_candidates(segment: str, candidates: Sequence[str], limit: int = 5) -> list[str]:
    """Sanitised candidates matching ``segment`` fuzzily, best first, at most ``limit``."""
    return fuzzy_filter(segment, [clean_line(candidate, 300) for candidate in candidates], limit)


class AddressSuggester(Suggester):
    """Completes the address after the last comma from ``lookup`` (called in a thread).

    The ghost completion (accepted with Right) is the first candidate whose
    ``Name <email>`` or email starts with what was typed. ``on_candidates``,
    when given, receives the fuzzy-ranked candidates (sanitised) each time, so
    the screen can list them.
    """

    def __init__(
        self,
        lookup: SuggestionLookup,
        on_candidates: Callable[[list[str]], None] | None = None,
    ) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.lookup = lookup
        self.on_candidates = on_candidates

    async def get_suggestion(self, value: str) -> str | None:
        """The whole field's value with the current address completed, or None."""
        done, segment = split_last(value)
        if not segment:
            self._announce([])
            return None
        try:
            raw = await asyncio.to_thread(self.lookup, segment)
        except Exception:  # a failing lookup must never break typing
            raw = []
        ranked = rank_candidates(segment, raw)
        self._announce(ranked)
        lowered = segment.lower()
        for candidate in ranked:
            if candidate.lower().startswith(lowered):
                return done + candidate
            emails = [email for _name, email in getaddresses([candidate])]
            if emails and emails[0].lower().startswith(lowered):
                return done + emails[0]
        return None

    def _announce(self, ranked: list[str]) -> None:
        if self.on_candidates is not None:
            self.on_candidates(ranked)
