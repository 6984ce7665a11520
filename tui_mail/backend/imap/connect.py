"""Opening the TCP connection: TLS or STARTTLS as the account says, before any login.

STARTTLS follows the CVE-2020-14954 precautions (no PREAUTH before TLS, nothing
said in plain text believed afterwards). Login lives on
:class:`~tui_mail.backend.imap.session.ImapSession`; this module only brings
the connection to the point where a password may be sent.
"""

from __future__ import annotations

import contextlib
import socket

from imapclient import IMAPClient, SocketTimeout

from tui_mail.backend.auth.tls import make_ssl_context
from tui_mail.backend.imap import transport
from tui_mail.backend.imap.protocol import hard_close, translate_errors
from tui_mail.config import ServerConfig
from tui_mail.errors import TLSError

CONNECT_TIMEOUT = 20.0
READ_TIMEOUT = 60.0


def open_client(server: ServerConfig, timeout: float = READ_TIMEOUT) -> IMAPClient:
    """An IMAPClient connected (and encrypted, unless ``security = "none"``), not logged in.

    Reads are bounded (:func:`transport.harden`); any failure closes the socket
    and leaves as a ``tui_mail.errors`` error.
    """
    where = f"{server.host}:{server.port}"
    timeouts = SocketTimeout(min(CONNECT_TIMEOUT, timeout), timeout)
    with translate_errors(where):
        if server.security == "tls":
            client = IMAPClient(
                server.host,
                server.port,
                ssl=True,
                ssl_context=make_ssl_context(server.ca_file, server.cert_fingerprint),
                timeout=timeouts,
            )
        else:
            client = IMAPClient(server.host, server.port, ssl=False, timeout=timeouts)
        try:
            prepare(client)
            if server.security == "starttls":
                start_tls(client, server, where)
        except BaseException:
            hard_close(client)
            raise
    return client


def prepare(client: IMAPClient) -> None:
    """Settings every connection gets, however it was opened."""
    client.normalise_times = False  # keep time zones on dates
    transport.harden(client)
    with contextlib.suppress(OSError):
        # Commands go out in several small writes (literals): don't let Nagle wait.
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def start_tls(client: IMAPClient, server: ServerConfig, where: str) -> None:
    """STARTTLS with the CVE-2020-14954 precautions; raises TLSError on any doubt."""
    if transport.protocol_state(client) != "NONAUTH":
        # PREAUTH before TLS means the whole session would run in plain text.
        raise TLSError(f"{where} sent PREAUTH before STARTTLS", "refusing an unencrypted session")
    if b"STARTTLS" not in client.capabilities():
        raise TLSError(f"{where} does not offer STARTTLS", "refusing to continue without TLS")
    client.starttls(make_ssl_context(server.ca_file, server.cert_fingerprint))
    # Nothing said before the handshake may count: drop it and ask again over TLS.
    transport.reset_after_starttls(client)
