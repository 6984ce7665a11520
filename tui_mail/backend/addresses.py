"""Address completion for the compose screen: the cache's addresses and an address book.

:func:`suggest_addresses` merges what the cache has seen (people written to
first, see ``MailCache.addresses``) with the output of the account's optional
``address_book_command`` (aerc's convention: one ``email<TAB>name`` line per
contact). The command gets the typed text as its last argument, or in place of
``%s`` when its text holds one; it runs with a timeout, and any failure of it
only costs its suggestions, never the compose screen.
"""

from __future__ import annotations

import logging
import shlex
import subprocess

from tui_mail.backend.cache.store import MailCache
from tui_mail.errors import MailError
from tui_mail.models import Address

log = logging.getLogger(__name__)

#: Seconds an address book command may take before its answer is dropped.
ADDRESS_BOOK_TIMEOUT = 3.0

#: At most this many lines of an address book's output are read.
MAX_BOOK_LINES = 5000


def suggest_addresses(
    cache: MailCache | None,
    text: str,
    *,
    sent_folder: str = "",
    book_command: str = "",
    limit: int = 20,
) -> list[Address]:
    """Addresses matching ``text`` fuzzily: the address book's first, then the cache's.

    Each email appears once (the first source to name it wins). Never raises.
    """
    found: list[Address] = []
    if book_command.strip():
        found.extend(address_book(book_command, text)[:limit])
    if cache is not None:
        try:
            found.extend(cache.addresses(text, limit, sent_folder))
        except MailError as error:
            log.warning("address completion: %s", error)
    unique: dict[str, Address] = {}
    for address in found:
        unique.setdefault(address.email.lower(), address)
    return list(unique.values())[:limit]


def address_book(command: str, text: str) -> list[Address]:
    """The contacts ``command`` prints for ``text`` that match it; [] when it fails."""
    try:
        argv = shlex.split(command)
    except ValueError as error:
        log.warning("address_book_command cannot be parsed: %s", error)
        return []
    if any("%s" in arg for arg in argv):
        argv = [arg.replace("%s", text) for arg in argv]
    else:
        argv.append(text)
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=ADDRESS_BOOK_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        log.warning("address_book_command failed: %s", error)
        return []
    if done.returncode != 0:
        log.warning("address_book_command exited with %s", done.returncode)
    return [a for a in parse_address_book(done.stdout) if matches(text, a)]


def parse_address_book(output: bytes) -> list[Address]:
    """``email<TAB>name[<TAB>more]`` lines as addresses; other lines are skipped."""
    contacts = []
    lines = output.decode("utf-8", "replace").splitlines()
    for line in lines[:MAX_BOOK_LINES]:
        email, _tab, rest = line.strip().partition("\t")
        if "@" in email and not any(ch.isspace() for ch in email):
            contacts.append(Address(rest.split("\t")[0].strip(), email))
    return contacts


def matches(text: str, address: Address) -> bool:
    """True when the letters of ``text`` appear in order in ``name email`` (any case)."""
    haystack = iter(f"{address.name} {address.email}".casefold())
    return all(ch in haystack for ch in text.casefold() if not ch.isspace())
