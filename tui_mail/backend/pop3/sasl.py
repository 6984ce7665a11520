"""The POP3 AUTH exchange (RFC 5034), for SASL PLAIN and the OAuth2 mechanisms.

What goes in the exchange (the PLAIN blob, or XOAUTH2/OAUTHBEARER's bearer
line and its answer to an error challenge) is the caller's; this module only
speaks the protocol: the initial response on the AUTH line when the line fits
in POP3's 255 octets, else after the server's first empty challenge (RFC 5034
section 4: a bearer token never fits), base64 both ways, a bounded number of
challenges, and ``*`` (cancel) past that.
"""

from __future__ import annotations

import base64
import binascii
import poplib
from collections.abc import Callable

from tui_mail.backend.pop3.protocol import Refused, read_line, send_command, status_of

#: RFC 2449 section 4: a command line is at most 255 octets, CRLF included.
MAX_COMMAND_LINE = 255
#: More challenges than this is a server out of step (OAuth2 needs one, PLAIN none).
MAX_CHALLENGES = 3

Answer = Callable[[bytes], bytes]
"""Gets a decoded server challenge, returns the raw response (b"": the empty response)."""


def sasl_auth(client: poplib.POP3, mechanism: bytes, initial: bytes, answer: Answer) -> None:
    """``AUTH mechanism`` with the raw ``initial`` response; returns on ``+OK``.

    ``Refused`` on ``-ERR`` (the caller says what a refusal means); ConnectionLost
    on an answer that is neither. Nothing here is logged: responses hold secrets.
    """
    encoded = base64.b64encode(initial) or b"="  # "=": an empty initial response
    inline = len(b"AUTH " + mechanism + b" " + encoded) + 2 <= MAX_COMMAND_LINE
    if inline:
        send_command(client, b"AUTH", mechanism, encoded)
    else:
        send_command(client, b"AUTH", mechanism)
    owed = not inline  # the initial response answers the first (empty) challenge
    challenges = 0
    while True:
        line = read_line(client)
        if line != b"+" and not line.startswith(b"+ "):
            status_of(line)
            return
        if owed:
            owed = False
            send_command(client, base64.b64encode(initial))
            continue
        challenges += 1
        if challenges > MAX_CHALLENGES:
            send_command(client, b"*")  # cancel (RFC 5034): the server answers -ERR
            read_line(client)
            raise Refused(f"more than {MAX_CHALLENGES} SASL challenges")
        send_command(client, base64.b64encode(answer(_decode(line[2:]))))


def _decode(data: bytes) -> bytes:
    """A challenge's bytes; a server that sent no valid base64 gets its text passed on as is."""
    try:
        return base64.b64decode(data.strip(), validate=True)
    except binascii.Error:
        return data
