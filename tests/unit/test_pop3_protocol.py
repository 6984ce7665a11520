"""POP3 line reading and command writing, on a FAKE connection (no sockets).

The fake stands in for poplib's socket and reader to give answers no real
server gives: an answer cut off at EOF, a line longer than any limit, an
answer past its byte limit, a status line that is neither +OK nor -ERR.
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest

from tui_mail.backend.pop3 import protocol
from tui_mail.backend.pop3.protocol import Refused, TooBig
from tui_mail.errors import ConnectionLost, MailError, ServerError


class FakeSocket:
    def __init__(self) -> None:
        self.sent = b""

    def sendall(self, data: bytes) -> None:
        self.sent += data


def fake(answer: bytes) -> Any:
    return SimpleNamespace(file=io.BufferedReader(io.BytesIO(answer)), sock=FakeSocket())


def test_multiline_is_dot_unstuffed_and_ends_at_the_lone_dot() -> None:
    client = fake(b"line one\r\n..starts with a dot\r\n.\r\nNEXT\r\n")
    assert protocol.read_multiline(client, 1000) == [b"line one", b".starts with a dot"]
    assert client.file.read() == b"NEXT\r\n"  # nothing of the next answer was eaten


def test_a_long_line_in_a_message_is_kept() -> None:
    long = b"x" * (3 * protocol.LINE_CHUNK + 5)
    assert protocol.read_multiline(fake(long + b"\r\n.\r\n"), 10**6) == [long]


def test_eof_in_the_middle_of_an_answer_is_a_lost_connection() -> None:
    with pytest.raises(ConnectionLost, match="middle of an answer"):
        protocol.read_multiline(fake(b"half a mess"), 1000)


def test_past_the_byte_limit_stops_reading() -> None:
    with pytest.raises(TooBig):
        protocol.read_multiline(fake(b"y" * 5000 + b"\r\n.\r\n"), 1000)


def test_listing_line_limit() -> None:
    with pytest.raises(TooBig, match="line longer"):
        protocol.read_multiline(fake(b"1 " + b"z" * 100 + b"\r\n.\r\n"), 10**6, line_limit=50)


def test_status_lines() -> None:
    assert protocol.read_status(fake(b"+OK 2 320\r\n")) == b"2 320"
    with pytest.raises(Refused) as refused:
        protocol.read_status(fake(b"-ERR [AUTH] no\r\n"))
    assert refused.value.text == "[AUTH] no"
    with pytest.raises(ConnectionLost, match="unreadable"):
        protocol.read_status(fake(b"* OK IMAP here\r\n"))
    with pytest.raises(TooBig):
        protocol.read_status(fake(b"+OK " + b"w" * (protocol.MAX_STATUS_LINE + 10) + b"\r\n"))


def test_arguments_with_line_breaks_are_refused_before_sending() -> None:
    client = fake(b"")
    with pytest.raises(MailError, match="line break"):
        protocol.check_argument("user\r\nDELE 1", "username")
    with pytest.raises(MailError):
        protocol.send_command(client, b"USER", b"a\nb")
    assert client.sock.sent == b""


def test_refusals_become_server_errors_with_sanitised_words() -> None:
    with pytest.raises(ServerError) as info, protocol.translate_errors("pop.example:995"):
        raise Refused("no such message \x1b[2J\x9b31m")
    assert "\x1b" not in str(info.value) and "\x9b" not in str(info.value)
