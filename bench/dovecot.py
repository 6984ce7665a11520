"""A private Dovecot on 127.0.0.1 serving one benchmark corpus.

It reuses the test bed's :class:`tests.servers.dovecot.DovecotServer` (own
config and ``base_dir`` in a temp dir, never ``/etc/dovecot``, stopped by its
pid), writes the corpus straight into the user's Maildir and then primes
Dovecot's index and cache with one SELECT + FETCH of everything a client asks
for, so no client pays for the server's first indexing.

Run ``python -m bench.dovecot --size 1000`` to serve one by hand (Ctrl-C stops it).
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # tests/ is not installed; import it from the checkout
    sys.path.insert(0, str(REPO_ROOT))

from bench.corpus import write_corpus  # noqa: E402
from tests.servers.dovecot import DovecotServer  # noqa: E402

USER = "bench"
PASSWORD = "bench-password"  # a throw-away account on loopback only
#: What the primer fetches: the union of what tui-mail, neomutt and aerc ask for.
_PRIME_ITEMS = (
    b"(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE "
    b"BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES "
    b"CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL)])"
)


@dataclass
class BenchServer:
    """Dovecot serving ``size`` INBOX messages for user :data:`USER`."""

    size: int
    seed: int = 8
    server: DovecotServer = field(init=False)
    seconds_to_write: float = 0.0
    seconds_to_prime: float = 0.0

    def start(self) -> BenchServer:
        """Write the corpus, start Dovecot and prime its index."""
        self.server = DovecotServer()
        maildir = self.server.add_user(USER, PASSWORD)
        started = time.monotonic()
        owner = (self.server._mail_uid, self.server._mail_gid)
        write_corpus(maildir, self.size, self.seed, owner=owner)
        self.server.chown_maildir(USER)
        self.seconds_to_write = time.monotonic() - started
        self.server.start()
        started = time.monotonic()
        prime(self.server.host, self.server.imap_port)
        self.seconds_to_prime = time.monotonic() - started
        return self

    @property
    def host(self) -> str:
        """The loopback address."""
        return self.server.host

    @property
    def port(self) -> int:
        """The plain IMAP port (no TLS: loopback only)."""
        return self.server.imap_port

    def close(self) -> None:
        """Stop Dovecot (by its pid) and delete its temp dir with the corpus."""
        self.server.close()

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _read_until(sock: socket.socket, tag: bytes) -> bytes:
    """Read responses until the tagged one; keep only a tail (100,000 envelopes are big)."""
    tail = b""
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError("Dovecot closed the connection while priming")
        tail = (tail + chunk)[-4096:]
        for line in tail.split(b"\r\n"):
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError(f"priming failed: {line!r}")
                return line


def prime(host: str, port: int) -> None:
    """SELECT INBOX and FETCH every header once, discarding the answer."""
    with socket.create_connection((host, port), timeout=300) as sock:
        sock.recv(4096)
        for number, command in enumerate(
            (
                f"LOGIN {USER} {PASSWORD}".encode(),
                b"SELECT INBOX",
                b"FETCH 1:* " + _PRIME_ITEMS,
                b"LOGOUT",
            )
        ):
            tag = b"p%d" % number
            sock.sendall(tag + b" " + command + b"\r\n")
            _read_until(sock, tag)


def main() -> None:
    """Serve one corpus until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="INBOX messages")
    args = parser.parse_args()
    with BenchServer(args.size) as bench:
        print(
            f"wrote the corpus in {bench.seconds_to_write:.1f} s, primed in "
            f"{bench.seconds_to_prime:.1f} s"
        )
        print(f"IMAP on {bench.host}:{bench.port} user {USER} password {PASSWORD} (no TLS)")
        print(f"Dovecot root: {bench.server.root}; Ctrl-C stops it")
        try:
            while bench.server.running:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
