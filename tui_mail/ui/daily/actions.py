"""The main screen's daily-use actions (issue 18): lists, folders, junk.

A mixin of :class:`~tui_mail.ui.screens.main.MainScreen`, so the bindings of
``ui/keymap.py`` find their ``action_*`` methods on the screen while the code
lives apart from the pane wiring. Each method only picks what to act on (the
shown message, the tree's folder) and hands it to a helper that knows no
screen: :class:`~tui_mail.ui.daily.lists.ListUnsubscriber` and
:class:`~tui_mail.ui.daily.folders.FolderActions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_mail.ui.daily.lists import ListUnsubscriber

if TYPE_CHECKING:
    from tui_mail.ui.attachments import AttachmentOpener, AttachmentSaver
    from tui_mail.ui.bridge import ServiceBridge
    from tui_mail.ui.widgets.folder_tree import FolderTree
    from tui_mail.ui.widgets.preview import MessagePreview


class DailyActions:
    """``s``/``o`` (attachments, links), ``U`` (unsubscribe) and the folder keys."""

    bridge: ServiceBridge
    preview: MessagePreview
    folder_tree: FolderTree
    account: str
    folder: str
    saver: AttachmentSaver
    opener: AttachmentOpener
    unsubscriber: ListUnsubscriber

    def setup_daily_actions(self) -> None:
        """Build the helpers (called once by the screen's ``__init__``)."""
        self.unsubscriber = ListUnsubscriber(
            self.bridge.app, lambda: self.action_compose("unsubscribe")
        )

    if TYPE_CHECKING:

        def action_compose(self, kind: str) -> None: ...

    def action_save_attachments(self) -> None:
        """``s``: save attachments of the shown message."""
        self.saver.ask(self.preview.body, self.preview.raw)

    def action_open_attachment(self) -> None:
        """``o``: pick a link or attachment of the shown message and open it."""
        self.opener.ask(self.preview.body, self.preview.raw)

    def action_unsubscribe(self) -> None:
        """Leave the list the shown message came from (one-click, mailto: or the web page)."""
        self.unsubscriber.ask(self.preview.body)
