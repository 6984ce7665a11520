"""The errors tui-mail raises.

The backend raises only these (DESIGN.md section 8). Each carries a one-line
``summary`` fit for a toast or a CLI message, and optional ``details`` (the
server's words, a file path) for a dialog or a log.
"""

from __future__ import annotations


class MailError(Exception):
    """Base class: a failure with a user-facing one-line summary."""

    def __init__(self, summary: str, details: str = "") -> None:
        super().__init__(summary)
        self.summary = summary
        self.details = details

    def __str__(self) -> str:
        if self.details:
            return f"{self.summary}: {self.details}"
        return self.summary


class AuthError(MailError):
    """The server refused the credentials. Never retried without a new password."""


class ConnectionLost(MailError):
    """The connection failed or dropped; the worker reconnects with backoff."""


class TLSError(ConnectionLost):
    """The TLS handshake or certificate verification failed (not retried quickly)."""


class ServerError(MailError):
    """The server answered a command with NO/BAD or an unusable response."""


class NotFound(MailError):
    """A folder, message or file that was asked for does not exist."""


class SendError(MailError):
    """Sending failed at a named step; the message stays in the outbox."""

    def __init__(self, summary: str, details: str = "", step: str = "smtp") -> None:
        super().__init__(summary, details)
        self.step = step


class ConfigError(MailError):
    """The configuration is missing or wrong; names the file and the key path."""

    def __init__(self, path: str, key: str, message: str) -> None:
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.key = key
        self.message = message
