"""Writing mail from the main screen: open the compose screen, then send, save or discard.

``c``/``r``/``R``/``f`` post ``MainScreen.ComposeRequested``; the app hands it to
:class:`ComposeFlow`, which builds the draft (``mail.quoting``), shows
:class:`ComposeScreen`, autosaves to the local :class:`DraftStore` (off the loop,
so a draft survives a crash), and on close sends through ``MailService.send``
(the outbox keeps a failed message), saves a copy to the server's Drafts, or
forgets the draft. At start it offers the drafts a crash left behind.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import uuid
from typing import TYPE_CHECKING, Any

from tui_mail.backend import (
    AppendMessage,
    DeleteMessages,
    DraftStore,
    FetchBody,
    MailService,
    OutboxEntry,
    load_attachments,
)
from tui_mail.config import AccountConfig, Config
from tui_mail.errors import MailError, SendError
from tui_mail.mail.compose import build_message, message_bytes
from tui_mail.mail.lists import list_reply_draft, unsubscribe_draft, without_list_copies
from tui_mail.mail.parse import parse_message
from tui_mail.mail.quoting import (
    forward_as_attachment,
    forward_attachments,
    forward_draft,
    own_addresses,
    reply_draft,
    resumed_draft,
)
from tui_mail.mail.sanitize import clean_line
from tui_mail.models import DRAFT, SEEN, Address, Draft, FolderRole, MessageBody, MessageSummary
from tui_mail.paths import drafts_dir
from tui_mail.save import save_attachment
from tui_mail.ui.editor import ExternalEditor
from tui_mail.ui.screens.compose import ComposeResult, ComposeScreen
from tui_mail.ui.screens.dialogs import Choice, ConfirmScreen
from tui_mail.ui.widgets.address_input import SuggestionLookup, format_address

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger(__name__)

NOT_A_LIST = {
    "list_reply": "Not a list message: it has no List-Post or Mail-Followup-To header",
    "unsubscribe": "This message names no mailto: address to unsubscribe",
}
"""The toast when ``L`` (or a mailto: unsubscribe) finds no list address to write to."""

RESUME_CHOICES = (
    Choice("resume", "Resume", "r", "primary"),
    Choice("later", "Later", "l"),
    Choice("discard", "Discard", "d", "error"),
)


class ComposeFlow:
    """Drives one compose screen at a time for the app (see the module docstring)."""

    def __init__(self, app: App[Any], service: MailService, config: Config) -> None:
        self.app = app
        self.service = service
        self.config = config
        self.store = DraftStore(drafts_dir())

    # ------------------------------------------------------------------ entry points

    async def start(
        self,
        kind: str,
        account_name: str,
        summary: MessageSummary | None,
        body: MessageBody | None,
        raw: bytes | None,
    ) -> None:
        """Build the draft for ``kind`` and open it.

        Kinds: "new", "reply", "reply_all" (one copy each: ``lists.without_list_copies``),
        "list_reply" (``L``: to the list), "unsubscribe" (the List-Unsubscribe mailto:),
        "forward" (inline, with the original's attachments) and "forward_attachment"
        (the original whole, as message/rfc822).
        """
        account = self.config.account(account_name)
        original = (summary.folder, summary.uid) if summary else None
        if kind in ("reply", "reply_all") and body is not None:
            draft = reply_draft(
                body, account=account, reply_all=kind == "reply_all", original_ref=original
            )
            if kind == "reply_all":
                draft = without_list_copies(draft, body, account=account)
        elif kind in ("list_reply", "unsubscribe") and body is not None:
            if kind == "list_reply":
                made = list_reply_draft(body, account=account, original_ref=original)
            else:
                made = unsubscribe_draft(body, account=account)
            if made is None:
                self.app.notify(NOT_A_LIST[kind], severity="warning", timeout=5)
                return
            draft = made
        elif kind == "forward" and body is not None:
            draft = forward_draft(body, account=account, original_ref=original)
            draft.draft_id = draft.draft_id or _new_id()
            draft.attachments = await asyncio.to_thread(self._keep_attachments, draft, body, raw)
        elif kind == "forward_attachment" and body is not None and raw is not None:
            draft, original_file = forward_as_attachment(
                body, raw, account=account, original_ref=original
            )
            draft.draft_id = _new_id()
            draft.attachments = await asyncio.to_thread(_files_beside, draft, [original_file])
        else:
            draft = Draft(account=account.name, from_=own_addresses(account)[0])
        self.open(draft)

    def is_drafts_folder(self, account: str, folder: str) -> bool:
        """True for the account's Drafts folder (where Enter resumes a message)."""
        return account in self.config.accounts and folder == self._role_folder(
            account, FolderRole.DRAFTS
        )

    async def resume(self, summary: MessageSummary) -> None:
        """Enter on a message in Drafts: open it in the compose screen again.

        The local copy of that server draft is preferred (it knows what was
        replied to); otherwise the message is fetched and parsed back.
        """
        where = (summary.folder, summary.uid)
        saved = await asyncio.to_thread(self.store.load_all)
        local = [d for d in saved if d.account == summary.account and d.server_draft == where]
        if local:
            self.open(local[-1])
            return
        try:
            raw = await asyncio.wrap_future(
                self.service.submit(FetchBody(summary.account, summary.folder, summary.uid))
            )
        except MailError as error:
            self.app.notify(
                f"Cannot open the draft: {clean_line(str(error))}", severity="error", markup=False
            )
            return
        account = self.config.account(summary.account)
        body = await asyncio.to_thread(parse_message, raw)
        draft = resumed_draft(body, account=account, server_draft=where)
        draft.draft_id = _new_id()
        draft.attachments = await asyncio.to_thread(self._keep_attachments, draft, body, raw)
        self.open(draft)

    async def edit_outbox_entry(self, entry: OutboxEntry, raw: bytes) -> None:
        """Take an unsent message out of the outbox into the compose screen.

        It is saved as a local draft before it leaves the outbox, so a crash or a
        failed removal never loses it.
        """
        account = self.config.account(entry.account)
        body = await asyncio.to_thread(parse_message, raw)
        draft = resumed_draft(body, account=account)
        draft.draft_id = _new_id()
        draft.reply_kind, draft.original = entry.reply_kind, entry.original
        draft.attachments = await asyncio.to_thread(self._keep_attachments, draft, body, raw)
        try:
            await asyncio.to_thread(self.store.save, draft)
            await asyncio.to_thread(self.service.send_queue().remove, entry.id)
        except (MailError, OSError) as error:
            self.app.notify(
                f"Cannot edit it now: {clean_line(str(error))}", severity="error", markup=False
            )
            return
        self.open(draft)

    def open(self, draft: Draft) -> None:
        """Show the compose screen for ``draft``; its result is handled here."""
        account = self.config.account(draft.account)
        # One id for the whole session: every autosave replaces the same file.
        draft.draft_id = draft.draft_id or _new_id()
        editor = ExternalEditor(shlex.split(self.config.general.editor) or None)
        screen = ComposeScreen(
            draft,
            identities=_identities(account),
            on_autosave=self._autosave,
            address_suggestions=self._suggestions_for(draft.account),
            editor=editor,
        )
        self.app.push_screen(screen, self._finished)

    async def offer_saved_drafts(self) -> None:
        """After a crash: offer the drafts that were never sent or discarded."""
        drafts = await asyncio.to_thread(self.store.load_all)
        drafts = [d for d in drafts if d.account in self.config.accounts]
        if not drafts:
            return
        newest = drafts[-1]
        subject = clean_line(newest.subject) or "(no subject)"
        more = f" and {len(drafts) - 1} more" if len(drafts) > 1 else ""
        message = f"An unsent draft was saved: {subject!r}{more}. Resume writing it?"

        def chosen(choice: str | None) -> None:
            if choice == "resume":
                self.open(newest)
            elif choice == "discard":
                self.app.run_worker(asyncio.to_thread(self.store.remove, newest.draft_id))

        self.app.push_screen(ConfirmScreen(message, RESUME_CHOICES, escape_value="later"), chosen)

    # ------------------------------------------------------------------ results

    def save_now(self, draft: Draft) -> None:
        """Save a draft locally at once (the app is quitting: no time for a worker)."""
        try:
            self.store.save(draft)
        except OSError as error:
            log.error("draft not saved on quit: %s", error)

    def _autosave(self, draft: Draft) -> None:
        draft.draft_id = draft.draft_id or _new_id()
        self.app.run_worker(
            asyncio.to_thread(self.store.save, draft), group="autosave", exit_on_error=False
        )

    def _finished(self, result: ComposeResult | None) -> None:
        if result is None:
            return
        jobs = {"send": self._send, "save": self._save_to_server, "discard": self._discard}
        self.app.run_worker(jobs[result.action](result.draft), group="compose", exit_on_error=False)

    async def _send(self, draft: Draft) -> None:
        self.app.notify("Sending…", timeout=2)
        try:
            outcome = await asyncio.wrap_future(self.service.send(draft))
        except MailError as error:
            if isinstance(error, SendError) and error.step == "compose":
                # Refused before the outbox (no key for a recipient, an unusable address):
                # nothing was queued, so the draft must live on; back to it to fix it.
                self.app.notify(f"Not sent: {clean_line(str(error))}", title="Send failed",
                                severity="error", timeout=12, markup=False)
                self.open(draft)
                return
            self.app.notify(
                f"Not sent, kept in the outbox: {clean_line(str(error))}",
                title="Send failed",
                severity="error",
                timeout=12,
                markup=False,
            )
            await asyncio.to_thread(self.store.remove, draft.draft_id)
            return
        await asyncio.to_thread(self.store.remove, draft.draft_id)
        if draft.server_draft is not None:
            await self._drop_server_copy(draft)
        problems = "; ".join(outcome.problems)
        if problems:
            self.app.notify(f"Sent, but: {clean_line(problems)}", severity="warning", markup=False)
        else:
            self.app.notify("Sent", timeout=3)

    async def _save_to_server(self, draft: Draft) -> None:
        await asyncio.to_thread(self.store.save, draft)
        folder = self._role_folder(draft.account, FolderRole.DRAFTS)
        if folder is None:
            self.app.notify("Draft saved on this computer (the account has no Drafts folder)")
            return
        try:
            data = await asyncio.to_thread(_draft_bytes, draft)
            command = AppendMessage(draft.account, folder, data, (DRAFT, SEEN))
            uid = await asyncio.wrap_future(self.service.submit(command))
        except MailError as error:
            self.app.notify(
                f"Draft kept on this computer; saving to {folder} failed: {clean_line(str(error))}",
                severity="warning",
                markup=False,
            )
            return
        await self._drop_server_copy(draft)
        draft.server_draft = (folder, uid) if isinstance(uid, int) else None
        await asyncio.to_thread(self.store.save, draft)
        self.app.notify(f"Draft saved to {clean_line(folder)}", markup=False)

    async def _discard(self, draft: Draft) -> None:
        if draft.draft_id:
            await asyncio.to_thread(self.store.remove, draft.draft_id)

    async def _drop_server_copy(self, draft: Draft) -> None:
        """Remove the previous server copy of a draft (replaced or sent)."""
        if draft.server_draft is None:
            return
        folder, uid = draft.server_draft
        try:
            await asyncio.wrap_future(
                self.service.submit(DeleteMessages(draft.account, folder, (uid,)))
            )
        except MailError as error:
            log.warning("old draft copy not removed: %s", error)

    # ------------------------------------------------------------------ helpers

    def _suggestions_for(self, account: str) -> SuggestionLookup:
        """Completion for the address fields (runs in the suggester's thread)."""

        def lookup(typed: str) -> list[str]:
            found = self.service.address_suggestions(account, typed)
            return [format_address(address) for address in found]

        return lookup

    def _role_folder(self, account: str, role: FolderRole) -> str | None:
        overrides = self.config.account(account).folders.by_role()
        if role.value in overrides:
            return overrides[role.value]
        for folder in self.service.cached_folders(account):
            if folder.role is role:
                return folder.name
        return None

    def _keep_attachments(self, draft: Draft, body: MessageBody, raw: bytes | None) -> list[str]:
        """Write a message's attachments beside the draft, as files (inline forward, resume)."""
        if raw is None or not body.attachments:
            return list(draft.attachments)
        parts, problems = forward_attachments(body, raw)
        for problem in problems:
            log.warning("attachment not kept: %s", problem)
        return _files_beside(draft, parts)


def _identities(account: AccountConfig) -> list[Address]:
    seen: dict[str, Address] = {}
    for address in own_addresses(account):
        seen.setdefault(address.email.lower(), address)
    return list(seen.values())


def _files_beside(draft: Draft, parts: list[tuple[str, bytes, str]]) -> list[str]:
    """Write attachments as files in the draft's own folder (a Draft holds paths)."""
    target = drafts_dir() / f"{draft.draft_id}-files"
    return [str(save_attachment(target, name, data)) for name, data, _type in parts]


def _draft_bytes(draft: Draft) -> bytes:
    attachments = load_attachments(draft.attachments)
    return message_bytes(build_message(draft, attachments=attachments))


def _new_id() -> str:
    return uuid.uuid4().hex
