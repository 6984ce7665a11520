"""A whole sign-in: pick the flow, run it, keep the refresh token (``tui-mail login``, the dialog).

``auto`` picks the device flow when the browser would be on another machine
(``SSH_CONNECTION`` is set) or there is no display, where the provider offers
it; Google refuses the mail scope on the device flow, so there ``auto`` means
paste without a display and loopback otherwise. Everything here blocks
(HTTP, keyring, waiting for the user): run it on a thread, never the UI loop.
"""

from __future__ import annotations

import os
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping

from tui_mail.backend.api.signin import SignedIn
from tui_mail.backend.auth.device import device_flow
from tui_mail.backend.auth.flows import OpenBrowser, loopback_flow, paste_flow
from tui_mail.backend.auth.http import OAuth2Error
from tui_mail.backend.auth.tokens import TokenManager, forget_tokens, tokens_for
from tui_mail.config import AccountConfig, Config
from tui_mail.oauth2_config import FLOWS, OAuth2Config


def has_display(environ: Mapping[str, str]) -> bool:
    """True when a local browser can be opened (a desktop session)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def choose_flow(
    config: OAuth2Config, wanted: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The flow to run: ``wanted`` (or the config's), ``auto`` resolved as the docstring says."""
    env = os.environ if environ is None else environ
    flow = wanted or config.flow
    if flow not in FLOWS:
        raise OAuth2Error("unsupported_flow", f"no flow named {flow!r} ({', '.join(FLOWS)})")
    device_ok = config.device_allowed and bool(config.device_authorization_endpoint)
    if flow == "device" and not device_ok:
        raise OAuth2Error(
            "unsupported_flow",
            f"{config.provider}: no device flow for mail; use --flow loopback or paste",
        )
    if flow != "auto":
        return flow
    remote = bool(env.get("SSH_CONNECTION")) or not has_display(env)
    if not remote:
        return "loopback"
    return "device" if device_ok else "paste"


def sign_in(
    account: AccountConfig,
    show: Callable[[str], None],
    ask: Callable[[str], str] | None = None,
    *,
    flow: str | None = None,
    open_browser: OpenBrowser = webbrowser.open,
    cancel: threading.Event | None = None,
    tokens: TokenManager | None = None,
) -> SignedIn:
    """Run the flow for ``account`` and store its refresh token; OAuth2Error on failure.

    ``show`` gets the lines for the user (the URL, the device code); ``ask`` reads
    the pasted address (paste flow only). The old refresh token stays stored
    until this succeeds.
    """
    manager = tokens or tokens_for(account)
    config = manager.endpoints
    chosen = choose_flow(config, flow)
    if chosen == "device":
        answer = device_flow(config, show, cancel=cancel)
    elif chosen == "paste":
        if ask is None:
            raise OAuth2Error("unsupported_flow", "the paste flow needs a terminal to paste into")
        answer = paste_flow(config, show, ask)
    else:
        answer = loopback_flow(config, show, open_browser, cancel=cancel)
    source = manager.signed_in(answer, config.scopes)
    token = manager.token()
    return SignedIn(chosen, source, token.expires_at, token.scopes)


def sign_in_new_account(
    config: Config,
    account: str,
    show: Callable[[str], None],
    ask: Callable[[str], str] | None = None,
    *,
    cancel: threading.Event | None = None,
) -> SignedIn:
    """Setup's sign-in of ``account`` of ``config`` (not yet written): as :func:`sign_in`.

    The refresh token goes where the app looks for it (the keyring, else the
    0600 file); when the flow fails or is cancelled, whatever was stored for
    the account is removed again, so a given-up setup leaves no token behind.
    """
    try:
        return sign_in(config.account(account), show, ask, cancel=cancel)
    except BaseException:
        forget_tokens(account)
        raise


def forget_new_account(account: str) -> None:
    """Setup gave ``account`` up after signing it in (a failed live test, Escape)."""
    forget_tokens(account)
