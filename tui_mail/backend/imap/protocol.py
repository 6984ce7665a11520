"""Helpers of the IMAP session: error translation, TLS contexts, response parsing.

Everything here is stateless. ``translate_errors`` is the one place where
imapclient/imaplib/socket/ssl exceptions become ``tui_mail.errors``.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import select
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient, imap_utf7
from imapclient.exceptions import CapabilityError, LoginError, ProtocolError

from tui_mail.errors import AuthError, ConnectionLost, MailError, NotFound, ServerError, TLSError

_COPYUID = re.compile(rb"\[COPYUID (\d+) ([\d:,]+) ([\d:,]+)\]", re.IGNORECASE)
_DESYNCHRONISED = re.compile(r"got more than \d+ bytes|unterminated line|unexpected response")
_NOT_FOUND = re.compile(
    r"NONEXISTENT|does ?n[o']t exist|not exist|no such|unknown mailbox|not found", re.IGNORECASE
)


@contextlib.contextmanager
def translate_errors(where: str) -> Iterator[None]:
    """Turn imapclient/imaplib/socket/ssl failures into ``tui_mail.errors``."""
    try:
        yield
    except MailError:
        raise
    except LoginError as exc:
        raise AuthError("the server refused the login", error_text(exc)) from exc
    except ssl.SSLCertVerificationError as exc:
        raise TLSError(
            f"certificate of {where} did not verify", exc.verify_message or error_text(exc)
        ) from exc
    except ssl.SSLError as exc:
        raise TLSError(f"TLS failed with {where}", error_text(exc)) from exc
    except TimeoutError as exc:
        raise ConnectionLost(f"{where} timed out", error_text(exc)) from exc
    except (imaplib.IMAP4.abort, ProtocolError) as exc:
        raise ConnectionLost(f"connection to {where} lost", error_text(exc)) from exc
    except CapabilityError as exc:
        raise ServerError("the server lacks a needed capability", error_text(exc)) from exc
    except imaplib.IMAP4.error as exc:
        text = error_text(exc)
        if _DESYNCHRONISED.search(text):
            # imaplib stopped mid-response: the stream can't be trusted any more.
            raise ConnectionLost(f"unreadable answer from {where}", text) from exc
        if _NOT_FOUND.search(text):
            raise NotFound("not found on the server", text) from exc
        raise ServerError("the server refused the command", text) from exc
    except MemoryError as exc:  # a response too big to hold: the session is unusable
        raise ConnectionLost(f"{where} sent more than fits in memory", error_text(exc)) from exc
    except OSError as exc:  # refused, reset, unreachable, EOF
        raise ConnectionLost(f"cannot reach {where}", error_text(exc)) from exc
    except (ValueError, IndexError, TypeError, UnicodeError) as exc:
        # imapclient's parser raises these on garbage; the session can't be trusted.
        raise ConnectionLost(f"unreadable answer from {where}", error_text(exc)) from exc


_BYTES_REPR = re.compile(r"""\bb(['"])(.*?)\1""")


def error_text(exc: BaseException) -> str:
    """The exception's words, without the ``b'...'`` wrapping imaplib leaves in them."""
    text = str(exc) or type(exc).__name__
    return _BYTES_REPR.sub(lambda m: m.group(2), text)[:500]


UINT32_MAX = 2**32 - 1
#: The most UIDs one server answer may list. A folder is far smaller in practice; the
#: cap is there so a hostile ``1:4294967295`` (20 bytes) fails instead of taking gigabytes.
MAX_UIDS = 10_000_000
_NZ_NUMBER = re.compile(rb"[1-9][0-9]{0,9}")


def bounded_number(value: Any, limit: int) -> int:
    """A protocol number (UID, UIDVALIDITY, mod-sequence); ValueError when not in 0..limit.

    Out-of-range numbers (a broken or hostile server) would fail later in SQLite.
    """
    number = int(value)
    if not 0 <= number <= limit:
        raise ValueError(f"the server sent {number}, outside 0..{limit}")
    return number


def sequence_ranges(text: bytes | str) -> list[tuple[int, int]]:
    """``1:3,7,10:9`` -> ``[(1, 3), (7, 7), (10, 9)]``: each range as written.

    Strict: ``*`` (it has no place in an answer), zero, empty pieces and numbers
    beyond 32 bits raise ``ServerError``.
    """
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    ranges: list[tuple[int, int]] = []
    for piece in raw.split(b","):
        ends = piece.split(b":")
        if len(ends) > 2 or not all(_NZ_NUMBER.fullmatch(end) for end in ends):
            raise ServerError("bad UID set in a server answer", repr(raw[:80]))
        numbers = [int(end) for end in ends]
        if any(number > UINT32_MAX for number in numbers):
            raise ServerError("UID beyond 32 bits in a server answer", repr(piece))
        ranges.append((numbers[0], numbers[-1]))
    return ranges


def check_range_total(ranges: Sequence[tuple[int, int]], limit: int = MAX_UIDS) -> None:
    """``ServerError`` when ``ranges`` hold more than ``limit`` numbers (counted, not built)."""
    total = sum(abs(last - first) + 1 for first, last in ranges)
    if total > limit:
        raise ServerError(
            "the server answered with too many messages",
            f"{total} UIDs (at most {limit} are accepted)",
        )


def expand_ranges(ranges: Sequence[tuple[int, int]], limit: int = MAX_UIDS) -> list[int]:
    """The numbers of ``ranges`` in the order written (a reversed range counts down).

    Counted before anything is built: past ``limit`` numbers it raises ``ServerError``,
    so a hostile range costs nothing.
    """
    check_range_total(ranges, limit)
    uids: list[int] = []
    for first, last in ranges:
        step = 1 if last >= first else -1
        uids.extend(range(first, last + step, step))
    return uids


def parse_uid_set(text: bytes | str) -> list[int]:
    """``1:3,7`` -> ``[1, 2, 3, 7]`` in the order given (COPYUID, VANISHED); strict and
    bounded as :func:`sequence_ranges` and :func:`expand_ranges` are."""
    return expand_ranges(sequence_ranges(text))


def copyuid_map(texts: Sequence[bytes]) -> dict[int, int]:
    """old UID -> new UID from the first ``[COPYUID v src dst]`` among ``texts``."""
    for text in texts:
        match = _COPYUID.search(text)
        if match:
            return dict(zip(parse_uid_set(match[2]), parse_uid_set(match[3]), strict=False))
    return {}


def as_bytes(item: Any) -> bytes:
    if isinstance(item, tuple):
        return b" ".join(as_bytes(i) for i in item)
    return item if isinstance(item, bytes) else str(item).encode()


def folder_name(raw: Any) -> str:
    if isinstance(raw, int):  # some servers list purely numeric names unquoted
        return str(raw)
    return imap_utf7.decode(raw) if isinstance(raw, bytes) else str(raw)


def group_untagged(items: Sequence[Any]) -> list[list[Any]]:
    """imaplib keeps a literal as ``(head, literal)`` followed by the rest of its line."""
    groups: list[list[Any]] = []
    continuation = False
    for item in items:
        if item is None:
            continue
        if isinstance(item, tuple):
            groups.append([item])
            continuation = True
        elif continuation:
            groups[-1].append(item)
            continuation = False
        else:
            groups.append([item])
    return groups


@dataclass(frozen=True, slots=True)
class TlsInfo:
    """The negotiated TLS session, for ``tui-mail check``."""

    version: str
    cipher: str
    subject: str
    issuer: str


def describe_tls(sock: object) -> TlsInfo | None:
    """The TLS session of a socket (IMAP or SMTP), or None for plain text."""
    if not isinstance(sock, ssl.SSLSocket):
        return None
    cert = sock.getpeercert() or {}

    def name(field: str) -> str:
        parts: Any = cert.get(field, ())
        return ", ".join(f"{k}={v}" for rdn in parts for k, v in rdn)

    cipher = sock.cipher()
    return TlsInfo(
        sock.version() or "?", cipher[0] if cipher else "?", name("subject"), name("issuer")
    )


def response_text(response: tuple[Any, ...]) -> str:
    return " ".join(as_bytes(part).decode("utf-8", "replace") for part in response)[:300]


def readable(sock: Any, timeout: float) -> bool:
    """True when a read would not block (TLS-buffered bytes count)."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
    return bool(poller.poll(max(0.0, timeout) * 1000))


def hard_close(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):
        client.socket().shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        client.socket().close()
