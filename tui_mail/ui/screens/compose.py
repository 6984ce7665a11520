"""The compose screen: write a new message, a reply or a forward (issue #5).

Built from a :class:`~tui_mail.models.Draft` and dismissed with a
:class:`ComposeResult`; the app sends, saves or discards. The screen never
does I/O of its own beyond a ``stat`` of a file being attached: saving goes
through the ``on_autosave`` callback, editing through a ``BodyEditor``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual import app as textual_app
from textual import work
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static, TextArea

from tui_mail.mail.compose import presend_warnings
from tui_mail.mail.sanitize import clean_line, clean_text
from tui_mail.models import Address, Draft
from tui_mail.ui import keymap
from tui_mail.ui.editor import BodyEditor, EditorError, ExternalEditor
from tui_mail.ui.screens.dialogs import SAVE_DISCARD_KEEP, Choice, ConfirmScreen
from tui_mail.ui.widgets.address_input import (
    AddressSuggester,
    SuggestionLookup,
    format_address,
    format_addresses,
    invalid_addresses,
    parse_addresses,
)
from tui_mail.ui.widgets.attachment_panel import AttachmentPanel
from tui_mail.ui.widgets.key_bar import KeyBar

#: Seconds between autosaves (only when something changed).
AUTOSAVE_SECONDS = 5.0

#: The ctrl+g menu: OpenPGP protection of the message (``Draft.pgp``).
PGP_CHOICES: tuple[Choice, ...] = (
    Choice("sign", "Sign", "s"),
    Choice("encrypt", "Encrypt", "e"),
    Choice("sign+encrypt", "Both", "b", "primary"),
    Choice("", "Neither", "n"),
)
PGP_LABELS = {"sign": "signed", "encrypt": "encrypted", "sign+encrypt": "signed and encrypted"}


class PgpMenu(ConfirmScreen):
    """The ctrl+g menu: a confirm dialog wide enough for its four buttons."""

    DEFAULT_CSS = "PgpMenu > Vertical { width: 84; }"

SEND_ANYWAY: tuple[Choice, ...] = (
    Choice("send", "Send anyway", "y", "primary"),
    Choice("edit", "Keep editing", "n"),
)


@dataclass(frozen=True)
class ComposeResult:
    """How the compose screen ended: ``action`` is "send", "save" or "discard"."""

    action: Literal["send", "save", "discard"]
    draft: Draft


class ComposeScreen(Screen[ComposeResult]):
    """Write a message.

    ``ComposeScreen(draft, *, identities=(), on_autosave=None,
    address_suggestions=None, editor=None, autosave_seconds=5.0)``

    - ``draft``: what to start from (new, reply, forward or a saved draft).
      A reply (``reply_kind == "reply"``) opens with the cursor in the body
      above the quote; anything else opens in To.
    - ``identities``: the From addresses offered (a Select when more than one).
    - ``on_autosave(draft)``: called on the event loop every
      ``autosave_seconds`` when the draft changed, and once more on close with
      "save" or "send"; it must not block (the app hands the write to a thread).
    - ``address_suggestions(typed) -> list[str]``: candidate ``Name <a@b>``
      strings, called in a thread; None for no completion.
    - ``editor``: a ``BodyEditor`` (default ``ExternalEditor()``), for ``ctrl+e``.

    Keys: ``ctrl+s`` send (after pre-send warnings), ``ctrl+o`` attach a file,
    ``ctrl+e`` edit the body in ``$VISUAL``/``$EDITOR``, ``ctrl+b`` show/hide
    Bcc, Escape asks save draft / discard / keep editing. Tab order: To, Cc,
    (Bcc), Subject, body. Dismisses with :class:`ComposeResult`.
    """

    DEFAULT_CSS = """
    ComposeScreen #compose-headers { height: auto; padding: 0 1; }
    ComposeScreen .compose-field { height: auto; }
    ComposeScreen .compose-field > Label { width: 9; text-style: bold; }
    ComposeScreen .compose-field > Input, ComposeScreen .compose-field > Select { width: 1fr; }
    ComposeScreen #compose-from-fixed { padding: 0 1; }
    ComposeScreen #bcc-row { display: none; }
    ComposeScreen.-show-bcc #bcc-row { display: block; }
    ComposeScreen #address-hints { color: $text-muted; padding: 0 1 0 10; height: auto; display: none; }
    ComposeScreen #address-hints.-shown { display: block; }
    ComposeScreen #compose-body { height: 1fr; }
    """

    BINDINGS = keymap.binding_types_for("compose")

    def __init__(
        self,
        draft: Draft,
        *,
        identities: Sequence[Address] = (),
        on_autosave: Callable[[Draft], None] | None = None,
        address_suggestions: SuggestionLookup | None = None,
        editor: BodyEditor | None = None,
        autosave_seconds: float = AUTOSAVE_SECONDS,
    ) -> None:
        super().__init__()
        self.draft = draft
        self.identities = list(identities) or [draft.from_]
        if draft.from_ not in self.identities:
            self.identities.insert(0, draft.from_)
        self.on_autosave = on_autosave
        self.address_suggestions = address_suggestions
        self.editor: BodyEditor = editor or ExternalEditor()
        self.autosave_seconds = autosave_seconds
        self.pgp = draft.pgp
        """OpenPGP protection chosen with ctrl+g ("", "sign", "encrypt", "sign+encrypt")."""
        self._last_saved = self.current_draft_from(draft)
        """What ``on_autosave`` last received (reset on mount to what the fields hold)."""
        self._ended = False

    # ------------------------------------------------------------------ layout

    def compose(self) -> textual_app.ComposeResult:
        draft = self.draft
        with Vertical(id="compose-headers"):
            with Horizontal(classes="compose-field"):
                yield Label("From")
                if len(self.identities) > 1:
                    yield Select(
                        [
                            (Text(clean_line(format_address(a))), i)
                            for i, a in enumerate(self.identities)
                        ],
                        value=self.identities.index(draft.from_),
                        allow_blank=False,
                        compact=True,
                        id="compose-from",
                    )
                else:
                    yield Static(
                        Text(clean_line(format_address(draft.from_))), id="compose-from-fixed"
                    )
            yield from self._address_row("To", "compose-to", draft.to)
            yield from self._address_row("Cc", "compose-cc", draft.cc)
            yield from self._address_row("Bcc", "compose-bcc", draft.bcc, row_id="bcc-row")
            yield Static(Text(""), id="address-hints")
            with Horizontal(classes="compose-field"):
                yield Label("Subject")
                yield Input(clean_line(draft.subject, 2000), compact=True, id="compose-subject")
            yield Static(Text(""), id="compose-pgp")
        yield TextArea(
            clean_text(draft.body),  # quoted originals may carry escapes; TextArea shows text as is
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            id="compose-body",
        )
        yield AttachmentPanel(draft.attachments, id="compose-attachments")
        yield KeyBar()

    def _address_row(
        self, label: str, input_id: str, addresses: list[Address], row_id: str | None = None
    ) -> textual_app.ComposeResult:
        suggester = None
        if self.address_suggestions is not None:
            suggester = AddressSuggester(self.address_suggestions, self._show_hints)
        with Horizontal(classes="compose-field", id=row_id):
            yield Label(label)
            yield Input(
                clean_line(format_addresses(addresses), 0),
                placeholder="name@example.org, …",
                suggester=suggester,
                compact=True,
                id=input_id,
            )

    def on_mount(self) -> None:
        self._show_pgp()
        self._last_saved = self.current_draft()
        if self.draft.bcc:
            self.add_class("-show-bcc")
        if self.draft.reply_kind == "reply":
            body = self.query_one("#compose-body", TextArea)
            body.move_cursor((0, 0))
            body.focus()
        else:
            self.query_one("#compose-to", Input).focus()
        if self.on_autosave is not None and self.autosave_seconds > 0:
            self.set_interval(self.autosave_seconds, self.autosave)

    # ------------------------------------------------------------------ the draft

    def current_draft(self) -> Draft:
        """The draft as the fields hold it now (addresses parsed, malformed ones kept)."""
        from_ = self.draft.from_
        if len(self.identities) > 1:
            index = self.query_one("#compose-from", Select).value
            if isinstance(index, int):
                from_ = self.identities[index]
        return dataclasses.replace(
            self.draft,
            from_=from_,
            to=parse_addresses(self.query_one("#compose-to", Input).value),
            cc=parse_addresses(self.query_one("#compose-cc", Input).value),
            bcc=parse_addresses(self.query_one("#compose-bcc", Input).value),
            subject=self.query_one("#compose-subject", Input).value,
            body=self.query_one("#compose-body", TextArea).text,
            attachments=list(self.query_one(AttachmentPanel).paths),
            pgp=self.pgp,
        )

    @staticmethod
    def current_draft_from(draft: Draft) -> Draft:
        """A copy of ``draft`` whose lists are not shared (to compare later saves with)."""
        return dataclasses.replace(
            draft,
            to=list(draft.to),
            cc=list(draft.cc),
            bcc=list(draft.bcc),
            attachments=list(draft.attachments),
            references=list(draft.references),
        )

    def autosave(self) -> bool:
        """Hand the draft to ``on_autosave`` when it changed since the last save; True if saved."""
        if self.on_autosave is None or self._ended:
            return False
        draft = self.current_draft()
        if draft == self._last_saved:
            return False
        self._save(draft)
        return True

    def _save(self, draft: Draft) -> None:
        if self.on_autosave is None:
            return
        try:
            self.on_autosave(draft)
        except Exception as exc:  # a failing save must not lose the screen (and the text)
            self.notify(f"Could not save the draft: {exc}", severity="error")
            return
        self._last_saved = self.current_draft_from(draft)

    def _finish(self, action: Literal["send", "save", "discard"]) -> None:
        draft = self.current_draft()
        if action != "discard":
            self._save(draft)
        self._ended = True
        self.dismiss(ComposeResult(action, draft))

    # ------------------------------------------------------------------ actions

    def action_send(self) -> None:
        """ctrl+s: check the draft, ask about warnings, then dismiss with "send"."""
        draft = self.current_draft()
        recipients = [*draft.to, *draft.cc, *draft.bcc]
        if not recipients:
            self.notify("Add a recipient first.", severity="error")
            self.query_one("#compose-to", Input).focus()
            return
        bad = invalid_addresses(recipients)
        if bad:
            self.notify(
                f"Not an email address: {clean_line(', '.join(bad), 200)}", severity="error"
            )
            return
        warnings = presend_warnings(draft, len(draft.attachments))
        if not warnings:
            self._finish("send")
            return

        def answered(choice: str | None) -> None:
            if choice == "send":
                self._finish("send")

        message = "\n".join(warnings) + "\n\nSend it anyway?"
        self.app.push_screen(
            ConfirmScreen(message, SEND_ANYWAY, title="Before sending", escape_value="edit"),
            answered,
        )

    def action_close(self) -> None:
        """Escape: close the attach field when open, else ask save / discard / keep."""
        panel = self.query_one(AttachmentPanel)
        if panel.path_input_open:
            panel.close_path_input()
            return

        def answered(choice: str | None) -> None:
            if choice in ("save", "discard"):
                self._finish(choice)  # type: ignore[arg-type]

        self.app.push_screen(
            ConfirmScreen("Close this message?", SAVE_DISCARD_KEEP, escape_value="keep"),
            answered,
        )

    def action_toggle_bcc(self) -> None:
        """ctrl+b: show or hide the Bcc field (it stays in the tab order only when shown)."""
        self.toggle_class("-show-bcc")
        bcc = self.query_one("#compose-bcc", Input)
        if self.has_class("-show-bcc"):
            bcc.focus()
        elif bcc.has_focus:
            self.query_one("#compose-cc", Input).focus()

    def action_pgp_menu(self) -> None:
        """ctrl+g: choose to sign, encrypt, both or neither (gpg does it when the message is sent)."""

        def answered(choice: str | None) -> None:
            if choice is not None and choice != "keep":
                self.pgp = choice
                self._show_pgp()

        now = PGP_LABELS.get(self.pgp, "neither signed nor encrypted")
        self.app.push_screen(
            PgpMenu(f"This message will be {now}.", PGP_CHOICES, title="OpenPGP",
                    escape_value="keep"),
            answered,
        )

    def _show_pgp(self) -> None:
        line = self.query_one("#compose-pgp", Static)
        line.update(Text(f"OpenPGP: {PGP_LABELS[self.pgp]}" if self.pgp in PGP_LABELS else ""))
        line.display = self.pgp in PGP_LABELS

    def action_attach(self) -> None:
        """ctrl+o: open the path field (with completion) to add an attachment."""
        self.query_one(AttachmentPanel).open_path_input()

    @work(exclusive=True, group="compose-editor")
    async def action_external_editor(self) -> None:
        """ctrl+e: edit the body in the external editor."""
        body = self.query_one("#compose-body", TextArea)
        try:
            edited = await self.editor.edit(self.app, body.text)
        except EditorError as exc:
            self.notify(str(exc), severity="error")
            return
        if edited is not None:
            edited = clean_text(edited)
            if edited != body.text:
                body.load_text(edited)
        body.focus()

    def _show_hints(self, candidates: list[str]) -> None:
        """List address candidates under the fields (they are already sanitised)."""
        hints = self.query_one("#address-hints", Static)
        hints.update(Text("  ·  ".join(candidates)))
        hints.set_class(bool(candidates), "-shown")
