"""Small generic modals: a question with several answers, and an error report.

Every string shown is cleaned with ``mail.sanitize`` and put on screen as
``rich.text.Text`` (never markup), because messages and details often quote
the server or a file name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Collapsible, Input, Static

from tui_mail.mail.sanitize import clean_line, clean_text

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 70; max-width: 95%; height: auto; max-height: 90%;
    border: thick $accent; background: $surface; padding: 1 2;
}}
{name} .dialog-title {{ text-style: bold; margin-bottom: 1; }}
{name} .dialog-buttons {{ height: auto; margin-top: 1; align-horizontal: right; }}
{name} .dialog-buttons Button {{ margin-left: 1; }}
"""


def dialog_css(name: str) -> str:
    """The shared look of a centred dialog box, for the screen class ``name``."""
    return DIALOG_CSS.format(name=name)


ResultT = TypeVar("ResultT")


class FormDialog(ModalScreen[ResultT]):
    """A dialog around a form: Enter in an input or the ``dialog-ok`` button submits,
    Escape or any other button dismisses with ``None``.

    Subclasses set ``FIRST_FOCUS`` (a selector) and implement :meth:`submit`.
    """

    FIRST_FOCUS = "Input"

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def on_mount(self) -> None:
        self.query(self.FIRST_FOCUS).first().focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.has_class("dialog-ok"):
            self.submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        """Escape: dismiss with ``None``."""
        self.dismiss(None)

    def submit(self) -> None:
        """Check the form and dismiss with its result (or say what is missing)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Choice:
    """One answer of a :class:`ConfirmScreen`.

    ``value`` is what the screen dismisses with; ``label`` is the button text;
    ``key`` is an optional single key that picks it (e.g. ``"s"``);
    ``variant`` is a Textual button variant (``default``, ``primary``,
    ``success``, ``warning``, ``error``).
    """

    value: str
    label: str
    key: str = ""
    variant: str = "default"


YES_NO: tuple[Choice, ...] = (
    Choice("yes", "Yes", "y", "primary"),
    Choice("no", "No", "n"),
)

SAVE_DISCARD_KEEP: tuple[Choice, ...] = (
    Choice("save", "Save draft", "s", "primary"),
    Choice("discard", "Discard", "d", "error"),
    Choice("keep", "Keep editing", "k"),
)


class ConfirmScreen(ModalScreen[str | None]):
    """Ask a question with any number of answers (buttons).

    ``ConfirmScreen(message, choices=YES_NO, *, title="", escape_value=None)``
    dismisses with the chosen :attr:`Choice.value`; Escape dismisses with
    ``escape_value``. The first choice has focus, so Enter picks it; a choice's
    ``key`` picks it directly.
    """

    DEFAULT_CSS = dialog_css("ConfirmScreen")

    BINDINGS = [
        Binding("escape", "choose_escape", "Cancel", show=False),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]

    def __init__(
        self,
        message: str,
        choices: Sequence[Choice] = YES_NO,
        *,
        title: str = "",
        escape_value: str | None = None,
    ) -> None:
        super().__init__()
        if not choices:
            raise ValueError("a ConfirmScreen needs at least one choice")
        self.message = message
        self.choices = tuple(choices)
        self.title_text = title
        self.escape_value = escape_value

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.title_text:
                yield Static(Text(clean_line(self.title_text)), classes="dialog-title")
            yield Static(Text(clean_text(self.message)), id="confirm-message")
            with Horizontal(classes="dialog-buttons"):
                for index, choice in enumerate(self.choices):
                    label = clean_line(choice.label)
                    if choice.key:
                        label = f"{label} ({choice.key})"
                    yield Button(
                        Text(label),
                        id=f"choice-{index}",
                        variant=choice.variant,  # type: ignore[arg-type]
                    )

    def on_mount(self) -> None:
        self.query_one("#choice-0", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        index = int((event.button.id or "choice-0").removeprefix("choice-"))
        self.dismiss(self.choices[index].value)

    def on_key(self, event: events.Key) -> None:
        for choice in self.choices:
            if choice.key and event.key == choice.key:
                event.stop()
                self.dismiss(choice.value)
                return

    def action_choose_escape(self) -> None:
        """Escape: dismiss with ``escape_value``."""
        self.dismiss(self.escape_value)


class ErrorScreen(ModalScreen[None]):
    """Report an unexpected failure: a summary, with details folded away.

    ``ErrorScreen(summary, details="", *, title="Something went wrong")``.
    Details (e.g. a traceback for a bug report) stay collapsed until asked
    for. Escape, Enter or the button closes it; it dismisses with ``None``.
    """

    DEFAULT_CSS = (
        dialog_css("ErrorScreen")
        + """
    ErrorScreen > Vertical { border: thick $error; }
    ErrorScreen #error-details { max-height: 20; }
    """
    )

    BINDINGS = [Binding("escape", "close", "Close", show=False)]

    def __init__(
        self, summary: str, details: str = "", *, title: str = "Something went wrong"
    ) -> None:
        super().__init__()
        self.summary = summary
        self.details = details
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(clean_line(self.title_text)), classes="dialog-title")
            yield Static(Text(clean_text(self.summary)), id="error-summary")
            if self.details:
                with Collapsible(title="Details", collapsed=True):
                    with VerticalScroll(id="error-details"):
                        yield Static(Text(clean_text(self.details)), markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="error-close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#error-close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        """Close the dialog."""
        self.dismiss(None)
