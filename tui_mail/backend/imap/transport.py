"""The one module that touches imapclient's and imaplib's private parts.

imapclient has no public API for a few things we need: extended LIST
(LIST-STATUS, SPECIAL-USE), SEARCH sent with our own literals (and its ESEARCH
answer), FETCH of a UID range with modifiers, response codes filed away by
imaplib (COPYUID, VANISHED), reading IDLE lines without its non-blocking
reader, and bounds on what a server may make us read. Every such use is a
small function here, so the rest of ``imap/`` calls named operations and an
imapclient upgrade has one file to check. :data:`PINNED` lists each private
name used; ``tests/unit/test_imap_transport.py`` fails when one disappears
from the installed imapclient/imaplib (imapclient is pinned exactly in
``pyproject.toml`` for that reason).
"""

from __future__ import annotations

import imaplib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import imapclient.imapclient as imapclient_module
from imapclient import IMAPClient, response_parser
from imapclient.response_parser import parse_fetch_response
from imapclient.response_types import BodyData

from tui_mail.backend.imap.fetch_atoms import Unread, read_atoms

#: The largest literal (message body) we agree to read; a bigger announcement is
#: treated as a broken connection instead of an allocation of that size.
MAX_LITERAL_BYTES = 512 * 1024 * 1024
#: The longest response line we read. imaplib's own cap (1 MB) is below the ENVELOPE
#: Dovecot sends for a message with 50,000 recipients (2.6 MB): one such message
#: made every sync of its folder fail. Parsing 8 MB takes imapclient about 4 s.
MAX_LINE_BYTES = 8 * 1024 * 1024

#: imapclient's marker type for "send this argument as an IMAP literal".
_Literal: type[bytes] = imapclient_module._literal


@dataclass(frozen=True, slots=True)
class Pinned:
    """One private name this module relies on.

    ``instance`` names are set on objects (in ``__init__``/``open``), so they are
    looked for as assignments in the owner's source; ``params`` are the parameter
    names we pass (a renamed or removed one must fail the test, not a user's sync).
    """

    owner: Any
    name: str
    params: tuple[str, ...] = ()
    instance: bool = False


PINNED: tuple[Pinned, ...] = (
    Pinned(IMAPClient, "_imap", instance=True),
    Pinned(IMAPClient, "_cached_capabilities", instance=True),
    Pinned(IMAPClient, "_checkok", ("command", "typ", "data")),
    Pinned(IMAPClient, "_raw_command_untagged", ("command", "args", "response_name")),
    Pinned(imapclient_module, "_literal"),
    Pinned(imapclient_module, "_parse_untagged_response", ("text",)),
    Pinned(response_parser, "_convert_INTERNALDATE", ("date_string", "normalise_times")),
    Pinned(response_parser, "_convert_ENVELOPE", ("envelope_response", "normalise_times")),
    Pinned(imaplib, "Commands"),
    Pinned(imaplib.IMAP4, "_simple_command", ("name",)),
    Pinned(imaplib.IMAP4, "_command", ("name",)),
    Pinned(imaplib.IMAP4, "_command_complete", ("name", "tag")),
    Pinned(imaplib.IMAP4, "_untagged_response", ("typ", "dat", "name")),
    Pinned(imaplib.IMAP4, "_get_line"),
    Pinned(imaplib.IMAP4, "read", ("size",)),
    Pinned(imaplib.IMAP4, "readline"),
    Pinned(imaplib.IMAP4, "state", instance=True),
    Pinned(imaplib.IMAP4, "capabilities", instance=True),
    Pinned(imaplib.IMAP4, "untagged_responses", instance=True),
    Pinned(imaplib.IMAP4, "file", instance=True),
)


def literal(data: bytes) -> bytes:
    """``data`` marked so imapclient sends it as a literal (``{n}`` + bytes)."""
    return _Literal(data)


def is_literal(value: object) -> bool:
    """True for a value made by :func:`literal`."""
    return isinstance(value, _Literal)


# ---------------------------------------------------------------- connection state


def harden(client: IMAPClient) -> None:
    """Bound what the server can make us read: literals and response lines.

    imaplib reads an announced literal in one allocation and caps lines with the
    module-wide ``imaplib._MAXLINE``; we replace this connection's ``read`` and
    ``readline`` instead of changing that global for every user of imaplib.
    """
    imap = client._imap
    read = imap.read

    def bounded_read(size: int) -> bytes:
        if size > MAX_LITERAL_BYTES:
            raise imaplib.IMAP4.abort(
                f"the server announced a {size}-byte literal (limit {MAX_LITERAL_BYTES})"
            )
        data: bytes = read(size)
        return data

    def bounded_readline() -> bytes:
        line: bytes = imap.file.readline(MAX_LINE_BYTES + 1)
        if len(line) > MAX_LINE_BYTES:
            raise imaplib.IMAP4.abort(f"a response line is over {MAX_LINE_BYTES} bytes")
        return line

    imap.read = bounded_read
    imap.readline = bounded_readline


def protocol_state(client: IMAPClient) -> str:
    """imaplib's state: ``NONAUTH``, ``AUTH``, ``SELECTED`` or ``LOGOUT``.

    imapclient does not expose it; PREAUTH (``AUTH`` before any login) shows only here.
    """
    return str(client._imap.state)


def forget_capabilities(client: IMAPClient) -> None:
    """Make imapclient ask CAPABILITY again (they change after login and STARTTLS)."""
    client._cached_capabilities = None


def reset_after_starttls(client: IMAPClient) -> None:
    """Forget everything said before the TLS handshake and re-read the capabilities.

    CVE-2020-14954: responses injected in plain text must not count afterwards.
    imaplib keeps its own copy of the capabilities (it checks commands against
    them), so both copies are refreshed over TLS.
    """
    client._imap.untagged_responses.clear()
    forget_capabilities(client)
    client._imap.capabilities = tuple(
        c.decode("ascii", "replace").upper() for c in client.capabilities()
    )


def pop_untagged(client: IMAPClient, name: str) -> list[Any]:
    """Take (and clear) what imaplib filed under ``name`` (``VANISHED``, ``COPYUID``...).

    imaplib keeps untagged responses and response codes until someone pops them,
    so a stale one would otherwise merge into the next command's answer.
    """
    found: list[Any] = client._imap.untagged_responses.pop(name, [])
    return found


# ---------------------------------------------------------------- commands imapclient lacks


def list_extended(client: IMAPClient, extra: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """``LIST "" "*" <extra>`` (e.g. ``RETURN (STATUS ...)``): the LIST and STATUS lines."""
    imap = client._imap
    typ, data = imap._simple_command("LIST", '""', '"*"', *extra)
    client._checkok("list", typ, data)
    _, lines = imap._untagged_response(typ, data, "LIST")
    return list(lines), pop_untagged(client, "STATUS")


def simple_command(client: IMAPClient, name: str, *args: str) -> list[Any]:
    """A command imaplib has no entry for (``NOTIFY``), sent with ``args`` as they are.

    imaplib refuses a command missing from its table of the states it is valid
    in, so one is added (valid once logged in) before it is sent.
    """
    imaplib.Commands.setdefault(name, ("AUTH", "SELECTED"))
    typ, data = client._imap._simple_command(name, *args)
    client._checkok(name.lower(), typ, data)
    return list(data)


def search_raw(client: IMAPClient, args: Sequence[Any], *, esearch: bool) -> list[Any]:
    """UID SEARCH with ``args`` sent as built (imapclient's ``search`` would re-quote them).

    With ``esearch`` the answer is the ESEARCH lines (imaplib files them apart).
    """
    if not esearch:
        data: list[Any] = client._raw_command_untagged(b"SEARCH", list(args))
        return data
    pop_untagged(client, "ESEARCH")  # a stale one must not merge into ours
    data = client._raw_command_untagged(b"SEARCH", list(args), response_name="ESEARCH")
    return data


def fetch_range(
    client: IMAPClient,
    uid_range: str,
    items: Sequence[str],
    modifiers: Sequence[str],
    *,
    uid: bool = True,
) -> dict[int, dict[bytes, Any]]:
    """UID FETCH of a range like ``1:*`` (``uid`` False: a FETCH of sequence numbers).

    imapclient's ``fetch`` keeps only the UIDs it was asked for, which a range
    does not list, so the command is sent and its answer parsed here. The answer
    is keyed by sequence number, each with its ``b"UID"`` when the server sent
    one: a FETCH line without a UID (unsolicited) must not pass for a UID.
    """
    imap = client._imap
    command = ("UID", "FETCH") if uid else ("FETCH",)
    tag = imap._command(
        *command,
        uid_range,
        f"({' '.join(items)})",
        f"({' '.join(modifiers)})" if modifiers else None,
    )
    typ, data = imap._command_complete("FETCH", tag)
    client._checkok("fetch", typ, data)
    typ, data = imap._untagged_response(typ, data, "FETCH")
    return parse_fetch(data, client.normalise_times, False)


def fetch_uids(
    client: IMAPClient, uids: Sequence[int], items: Sequence[str], modifiers: Sequence[str]
) -> dict[int, dict[bytes, Any]]:
    """``client.fetch(uids, items, modifiers)``, its answer read by :func:`parse_fetch`.

    As imapclient's ``fetch``: UID FETCH (items upper-cased), keyed by UID, and
    answers for messages not asked for (unsolicited) are dropped.
    """
    imap = client._imap
    tag = imap._command(
        "UID",
        "FETCH",
        ",".join(str(uid) for uid in uids),
        f"({' '.join(item.upper() for item in items)})",
        f"({' '.join(m.upper() for m in modifiers)})" if modifiers else None,
    )
    typ, data = imap._command_complete("FETCH", tag)
    client._checkok("fetch", typ, data)
    typ, data = imap._untagged_response(typ, data, "FETCH")
    answer = parse_fetch(data, client.normalise_times, True)
    return {uid: answer[uid] for uid in uids if uid in answer}


def parse_fetch(data: list[Any], normalise_times: bool, uid_is_key: bool) -> dict[int, Any]:
    """Exactly ``parse_fetch_response(data, normalise_times, uid_is_key)``, faster.

    The atoms come from :func:`~tui_mail.backend.imap.fetch_atoms.read_atoms`;
    what it does not read, and any answer not shaped as ``number (name value
    ...)`` pairs, goes to imapclient's parser whole (same result, same error).
    The values are converted by imapclient's own functions.
    """
    try:
        atoms = read_atoms(data)
    except Unread:
        return dict(parse_fetch_response(data, normalise_times, uid_is_key))
    if len(atoms) % 2 or not all(
        type(atoms[i]) is int and type(atoms[i + 1]) is tuple and not len(atoms[i + 1]) % 2
        for i in range(0, len(atoms), 2)
    ):
        return dict(parse_fetch_response(data, normalise_times, uid_is_key))
    if not all(
        isinstance(name, bytes) and (name.upper() != b"UID" or type(value) is int)
        for i in range(1, len(atoms), 2)
        for name, value in zip(atoms[i][::2], atoms[i][1::2], strict=True)
    ):
        return dict(parse_fetch_response(data, normalise_times, uid_is_key))
    return _assemble(atoms, normalise_times, uid_is_key)


def _assemble(atoms: list[Any], normalise_times: bool, uid_is_key: bool) -> dict[int, Any]:
    """The dict ``parse_fetch_response`` builds from well-shaped atoms (its loop)."""
    parsed: dict[int, dict[bytes, Any]] = {}
    for i in range(0, len(atoms), 2):
        msg_id = seq = atoms[i]
        items = atoms[i + 1]
        msg_data: dict[bytes, Any] = {b"SEQ": seq}
        for name, value in zip(items[::2], items[1::2], strict=True):
            word = name.upper()
            if word == b"UID":
                if uid_is_key:
                    msg_id = value
                else:
                    msg_data[word] = value
            elif word == b"INTERNALDATE":
                msg_data[word] = response_parser._convert_INTERNALDATE(value, normalise_times)
            elif word == b"ENVELOPE":
                msg_data[word] = response_parser._convert_ENVELOPE(value, normalise_times)
            elif word in (b"BODY", b"BODYSTRUCTURE"):
                msg_data[word] = BodyData.create(value)
            else:
                msg_data[word] = value
        parsed.setdefault(msg_id, {}).update(msg_data)
    return parsed


def read_response(client: IMAPClient) -> Any:
    """Read one whole response line (blocking, with the socket's timeout), parsed.

    For IDLE: imapclient's ``idle_check`` reads a non-blocking socket, so a line
    split across TCP segments fails as "unterminated line" and EOF looks like
    silence. imaplib's ``_get_line`` raises ``abort`` at EOF instead.
    """
    line = client._imap._get_line()
    return imapclient_module._parse_untagged_response(line)
