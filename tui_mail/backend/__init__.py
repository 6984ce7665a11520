"""The backend's public surface: the UI imports only this package (DESIGN.md section 2).

Everything in ``api`` (commands, events, the ``MailService`` protocol, view and
outbox types), plus :class:`MailServiceImpl` (the implementation), the two
local-file helpers compose needs: :class:`DraftStore` and ``load_attachments``,
``tui-mail check``'s ``run_check`` with its ``CheckReport`` (setup's live test),
setup's ``discover_account``, ``inspect_certificate`` and its OAuth2 sign-in
(``sign_in_new_account``, ``forget_new_account``), the one request made to a
URL from a message: ``one_click_unsubscribe`` (RFC 8058, on the user's yes), and
:class:`GnuPG`, the user's gpg for reading signed and encrypted mail (off the loop).
"""

from tui_mail.backend import api
from tui_mail.backend.api import *  # noqa: F403  (the boundary's names, listed in api.__all__)
from tui_mail.backend.auth.login import forget_new_account, sign_in_new_account  # setup
from tui_mail.backend.check import Report as CheckReport  # setup's live test
from tui_mail.backend.check import run_check
from tui_mail.backend.discovery import discover_account, inspect_certificate  # setup
from tui_mail.backend.gpg import GnuPG  # verify and decrypt, in the preview's render thread
from tui_mail.backend.send.drafts import DraftStore  # the UI's draft autosave files
from tui_mail.backend.send.outbox import load_attachments  # an outbox entry's files, to edit it
from tui_mail.backend.service import MailServiceImpl, ServiceOptions
from tui_mail.backend.unsubscribe import UnsubscribeOutcome, one_click_unsubscribe

__all__ = [
    *api.__all__,
    "CheckReport",
    "DraftStore",
    "GnuPG",
    "MailServiceImpl",
    "ServiceOptions",
    "UnsubscribeOutcome",
    "discover_account",
    "forget_new_account",
    "inspect_certificate",
    "load_attachments",
    "one_click_unsubscribe",
    "run_check",
    "sign_in_new_account",
]
