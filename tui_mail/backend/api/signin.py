"""OAuth2 sign-in as the UI sees it: the result, and the event carrying what to show the user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tui_mail.backend.api.events import BackendEvent


@dataclass(frozen=True)
class SignedIn:
    """The outcome of a sign-in: the flow run, where the refresh token went, the token's expiry."""

    flow: str
    source: Literal["keyring", "file"]
    expires_at: float
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class SignInPrompted(BackendEvent):
    """A sign-in in progress has something to show: the address to open, or the device code.

    Never a token or a code that is a secret (the device code and authorization
    code are not shown; the user code is meant to be).
    """

    text: str
