"""What crosses the line between the UI and the backend (DESIGN.md section 1).

The UI *asks* with a :class:`Command` given to :meth:`MailService.submit`, and
gets a ``concurrent.futures.Future`` of the result type the command names
(``FetchBody`` is a ``Command[bytes]``). The backend *tells* with a
:class:`BackendEvent` passed to the listener the service was built with (the
UI's listener calls the thread-safe ``App.post_message``). Nothing else crosses.
All data classes here are plain, frozen dataclasses; this package imports no
other module of the backend.

- ``commands.py``: ``Command[R]`` and every command, ``AnyCommand``, ``Submit``
- ``events.py``: ``BackendEvent`` and every event, ``AccountState``
- ``views.py``: ``ViewOrder``, ``ListRow``/``SearchRow``, the ``MessageView`` protocol
- ``sending.py``: ``OutboxEntry``, ``SendOutcome``, the ``OutboxQueue`` protocol
- ``signin.py``: ``SignedIn`` and ``SignInPrompted`` (OAuth2 sign-in from the app)
- ``protocol.py``: the ``MailService`` protocol
- ``setup.py``: ``ServerProposal``, ``AccountProposal``, ``CertificateInfo`` (first-run setup)
"""

from tui_mail.backend.api.commands import (
    AnyCommand,
    AppendMessage,
    Command,
    CopyMessages,
    CreateFolder,
    DeleteFolder,
    DeleteMessages,
    DeleteResult,
    ExpungeMessages,
    FetchBody,
    FolderUids,
    ListFolders,
    MoveMessages,
    RenameFolder,
    SearchMessages,
    ServerSearch,
    SetFlags,
    Submit,
    SubscribeFolder,
    SyncAll,
    SyncFolder,
)
from tui_mail.backend.api.events import (
    AccountState,
    AccountStateChanged,
    BackendEvent,
    EventListener,
    FlagsChanged,
    FolderCountsChanged,
    FoldersChanged,
    IndexProgress,
    MessagesAdded,
    MessagesRemoved,
    NewMailArrived,
    OutboxChanged,
    QueuedActionFailed,
    QueuedActionsChanged,
    SyncProgress,
)
from tui_mail.backend.api.protocol import (
    MailService,
)
from tui_mail.backend.api.sending import (
    OutboxEntry,
    OutboxQueue,
    SendOutcome,
)
from tui_mail.backend.api.setup import AccountProposal, CertificateInfo, ServerProposal
from tui_mail.backend.api.signin import SignedIn, SignInPrompted
from tui_mail.backend.api.views import (
    ListRow,
    MessageView,
    SearchResults,
    SearchRow,
    SortKey,
    ViewOrder,
)

__all__ = [
    "AccountProposal",
    "AccountState",
    "AccountStateChanged",
    "AnyCommand",
    "AppendMessage",
    "BackendEvent",
    "CertificateInfo",
    "Command",
    "CopyMessages",
    "CreateFolder",
    "DeleteFolder",
    "DeleteMessages",
    "DeleteResult",
    "EventListener",
    "ExpungeMessages",
    "FetchBody",
    "FlagsChanged",
    "FolderCountsChanged",
    "FolderUids",
    "FoldersChanged",
    "IndexProgress",
    "ListFolders",
    "ListRow",
    "MailService",
    "MessageView",
    "SearchResults",
    "MessagesAdded",
    "MessagesRemoved",
    "MoveMessages",
    "NewMailArrived",
    "OutboxChanged",
    "QueuedActionFailed",
    "QueuedActionsChanged",
    "OutboxEntry",
    "OutboxQueue",
    "RenameFolder",
    "SearchMessages",
    "SearchRow",
    "SendOutcome",
    "ServerProposal",
    "ServerSearch",
    "SetFlags",
    "SignedIn",
    "SignInPrompted",
    "SortKey",
    "SubscribeFolder",
    "Submit",
    "SyncAll",
    "SyncFolder",
    "SyncProgress",
    "ViewOrder",
]
