"""POP3 lines on a ``poplib.POP3`` connection: commands, bounded reads, error translation.

poplib reads a multi-line answer (RETR, UIDL, CAPA) into memory with no limit
on its size or number of lines, and sends arguments without refusing CR/LF, so
only its connection (socket, greeting, TLS wrapping) is used; every command
goes through :func:`send_command`, :func:`read_status` and
:func:`read_multiline` here, which bound what a server may make us read. They
use poplib's public attributes only (``sock``, ``file``, ``welcome``).
``translate_errors`` is the one place where poplib/socket/ssl exceptions become
``tui_mail.errors``.
"""

from __future__ import annotations

import contextlib
import poplib
import socket
import ssl
from collections.abc import Iterator

from tui_mail.errors import ConnectionLost, MailError, ServerError, TLSError
from tui_mail.mail.sanitize import clean_line

#: Longest status or listing line (RFC 1939 says 512 octets; RFC 2449 allows
#: longer CAPA lines; no honest server comes near this).
MAX_STATUS_LINE = 8192
#: Read size of one piece of a message line: longer lines are read piecewise, so
#: a line over RFC 5322's 998 octets is kept, not refused; only the total counts.
LINE_CHUNK = 64 * 1024
#: The largest message we download (a bigger one keeps its headers and stays on
#: the server). The issue's hostile case is 100 MB: refused by default.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
#: The most lines a listing (UIDL, LIST, CAPA) may have.
MAX_LISTING_LINES = 2_000_000
#: How much of a server's words goes into an error (after sanitising).
MAX_ERROR_TEXT = 300


class Refused(Exception):
    """The server answered ``-ERR``; ``text`` is its words (not yet sanitised)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class TooBig(Exception):
    """A multi-line answer went past its byte limit; the connection is out of step."""


def server_words(raw: bytes | str) -> str:
    """A server's text made safe for a screen or a log: decoded, sanitised, capped."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return clean_line(text, MAX_ERROR_TEXT)


def check_argument(value: str, what: str) -> bytes:
    """``value`` as bytes for a command line; refuses what would end the line early."""
    if any(ch in value for ch in "\r\n\0"):
        raise MailError(f"the {what} holds a line break or NUL", "refusing to send it")
    return value.encode("utf-8")


def send_command(client: poplib.POP3, *parts: bytes) -> None:
    """Send one command line (the parts joined by spaces)."""
    line = b" ".join(parts)
    if b"\r" in line or b"\n" in line:
        raise MailError("a POP3 command holds a line break", "refusing to send it")
    if client.sock is None:
        raise ConnectionLost("the POP3 connection is closed")
    client.sock.sendall(line + b"\r\n")


def read_line(client: poplib.POP3, limit: int = MAX_STATUS_LINE) -> bytes:
    """One line without its CRLF; ConnectionLost at EOF, TooBig past ``limit``."""
    if client.file is None:
        raise ConnectionLost("the POP3 connection is closed")
    line = client.file.readline(limit + 1)
    if not line:
        raise ConnectionLost("the server closed the connection")
    if len(line) > limit and not line.endswith(b"\n"):
        raise TooBig(f"a line longer than {limit} bytes")
    return line.rstrip(b"\r\n")


def read_status(client: poplib.POP3) -> bytes:
    """The status line after ``+OK`` (``Refused`` on ``-ERR``; anything else: out of step)."""
    return status_of(read_line(client))


def status_of(line: bytes) -> bytes:
    """The text after ``+OK`` of a status line; ``Refused`` on ``-ERR``, else ConnectionLost."""
    if line.startswith(b"+OK"):
        return line[3:].strip()
    if line.startswith(b"-ERR"):
        raise Refused(line[4:].strip().decode("utf-8", "replace"))
    raise ConnectionLost("unreadable POP3 answer", server_words(line[:80]))


def command(client: poplib.POP3, *parts: bytes) -> bytes:
    """Send a command and read its status line (the text after ``+OK``)."""
    send_command(client, *parts)
    return read_status(client)


def read_multiline(
    client: poplib.POP3,
    max_bytes: int,
    *,
    max_lines: int = MAX_LISTING_LINES,
    line_limit: int = 0,
) -> list[bytes]:
    """The lines of a multi-line answer up to the lone ``.``, dot-unstuffed, without CRLF.

    ``line_limit`` (0: none) refuses a longer line; lines are otherwise read in
    pieces of :data:`LINE_CHUNK`, so only ``max_bytes`` in all bounds memory.
    Past a limit :class:`TooBig` is raised at once: the rest is not read, and
    the connection must be dropped.
    """
    if client.file is None:
        raise ConnectionLost("the POP3 connection is closed")
    lines: list[bytes] = []
    total = 0
    piece_size = min(line_limit, LINE_CHUNK) if line_limit else LINE_CHUNK
    pieces: list[bytes] = []
    length = 0
    while True:
        piece = client.file.readline(piece_size)
        if not piece:
            raise ConnectionLost("the server closed the connection in the middle of an answer")
        total += len(piece)
        if total > max_bytes:
            raise TooBig(f"an answer over {max_bytes} bytes")
        length += len(piece)
        if line_limit and length > line_limit + 2:
            raise TooBig(f"a line longer than {line_limit} bytes")
        pieces.append(piece)
        if not piece.endswith(b"\n"):
            continue
        line = b"".join(pieces).rstrip(b"\r\n")
        pieces, length = [], 0
        if line == b".":
            return lines
        lines.append(line[1:] if line.startswith(b"..") else line)
        if len(lines) > max_lines:
            raise TooBig(f"an answer of more than {max_lines} lines")


def join_message(lines: list[bytes]) -> bytes:
    """The lines of RETR/TOP as one message with CRLF line ends (as IMAP's BODY[] has)."""
    return b"".join(line + b"\r\n" for line in lines)


@contextlib.contextmanager
def translate_errors(where: str) -> Iterator[None]:
    """Turn poplib/socket/ssl failures into ``tui_mail.errors`` (words sanitised)."""
    try:
        yield
    except MailError:
        raise
    except Refused as exc:
        raise ServerError("the POP3 server refused the command", server_words(exc.text)) from exc
    except TooBig as exc:
        raise ConnectionLost(f"{where} sent too much", str(exc)) from exc
    except ssl.SSLCertVerificationError as exc:
        raise TLSError(
            f"certificate of {where} did not verify", exc.verify_message or str(exc)
        ) from exc
    except ssl.SSLError as exc:
        raise TLSError(f"TLS failed with {where}", server_words(str(exc))) from exc
    except TimeoutError as exc:
        raise ConnectionLost(f"{where} timed out", str(exc)) from exc
    except poplib.error_proto as exc:
        # Only the greeting is read by poplib: a -ERR greeting or a garbled one.
        raise ConnectionLost(
            f"{where} did not greet as a POP3 server", server_words(str(exc))
        ) from exc
    except OSError as exc:  # refused, reset, unreachable, EOF
        raise ConnectionLost(f"cannot reach {where}", server_words(str(exc))) from exc
    except (ValueError, UnicodeError) as exc:
        raise ConnectionLost(f"unreadable answer from {where}", server_words(str(exc))) from exc


def hard_close(client: poplib.POP3) -> None:
    """Break the connection off (any thread); never raises."""
    sock = client.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()
