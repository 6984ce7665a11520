"""Unsubscribe (``U`` and the palette) from the list the shown message came from.

RFC 8058 one-click first: when List-Unsubscribe has an ``https://`` URI and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` is there, the user is
asked (the question names the list and the exact address), and only on yes
the backend's ``one_click_unsubscribe`` POSTs from a thread, never the loop;
the answer is a toast. Else a ``mailto:`` opens the compose screen prefilled
(nothing is sent until the user sends it). Else an ``https://`` page without
one-click is only offered to the browser. ``L`` (reply to the list) is a kind
of compose (``compose_flow.py``); the list headers are read by ``mail/lists.py``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

from textual.app import App

from tui_mail.backend import one_click_unsubscribe
from tui_mail.errors import MailError
from tui_mail.mail.lists import ListHeaders, list_headers
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import MessageBody
from tui_mail.ui.attachments import Opener
from tui_mail.ui.screens.dialogs import ConfirmScreen


class ListUnsubscriber:
    """The ``U`` key: unsubscribe the way the shown message's list offers.

    ``compose_unsubscribe()`` opens the compose screen for the mailto: way (the
    main screen's "unsubscribe" compose kind). ``ssl_context`` is the trust used
    for the one-click POST (None: the system's CAs; tests give their own CA).
    """

    def __init__(
        self,
        app: App[Any],
        compose_unsubscribe: Callable[[], None],
        opener: Opener | None = None,
    ) -> None:
        self.app = app
        self.compose_unsubscribe = compose_unsubscribe
        self.opener = opener or Opener()
        self.ssl_context: ssl.SSLContext | None = None

    def ask(self, body: MessageBody | None) -> None:
        """Offer the best way out of the list (a toast when the message names none)."""
        if body is None:
            self.app.notify("Show a message first", severity="warning")
            return
        info = list_headers(body)
        if info.one_click:
            self._confirm_one_click(info)
        elif info.unsubscribe_mailto is not None:
            self.compose_unsubscribe()
        elif info.unsubscribe_https:
            self._offer_browser(info)
        else:
            self.app.notify(
                "This message has no List-Unsubscribe header", severity="warning", timeout=5
            )

    def _confirm_one_click(self, info: ListHeaders) -> None:
        name = info.name or "this list"
        question = (
            f"Unsubscribe from {name}?\n\ntui-mail will send one request "
            f"(an RFC 8058 one-click POST) to:\n{info.unsubscribe_https}"
        )
        url = info.unsubscribe_https

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self.app.run_worker(self._post(url), group="unsubscribe", exit_on_error=False)

        self.app.push_screen(ConfirmScreen(question, title="Unsubscribe"), answered)

    async def _post(self, url: str) -> None:
        self.app.notify("Unsubscribing…", timeout=3)
        try:
            outcome = await asyncio.to_thread(one_click_unsubscribe, url, context=self.ssl_context)
        except MailError as error:
            self.app.notify(
                f"Not unsubscribed: {clean_line(str(error), 300)}",
                severity="error",
                timeout=10,
                markup=False,
            )
            return
        self.app.notify(
            f"Unsubscribe request sent: {clean_line(outcome.describe(), 300)}",
            timeout=8,
            markup=False,
        )

    def _offer_browser(self, info: ListHeaders) -> None:
        url = info.unsubscribe_https
        question = (
            "This list offers no one-click unsubscribe, only a web page:\n"
            f"{url}\n\nOpen it in the browser?"
        )

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self.app.run_worker(
                    asyncio.to_thread(self.opener.open_url, url),
                    group="unsubscribe",
                    exit_on_error=False,
                )

        self.app.push_screen(ConfirmScreen(question, title="Unsubscribe"), answered)
