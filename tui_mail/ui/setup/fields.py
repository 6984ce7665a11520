"""The setup screen's editable server rows: protocol, host, port, security, user name.

One :class:`ServerFields` per server (incoming, SMTP). :meth:`ServerFields.load`
fills it from a discovery proposal (every string sanitised: a proposal may come
from the domain's autoconfig file or DNS), :meth:`ServerFields.read` turns what
the user left there into a :class:`~tui_mail.config_writer.ServerEntry`, or
says which field is wrong.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, Static

from tui_mail.backend import ServerProposal
from tui_mail.config_writer import ServerEntry
from tui_mail.mail.sanitize import clean_line

SECURITY = (("TLS", "tls"), ("STARTTLS", "starttls"), ("none (plain text)", "none"))
DEFAULT_PORTS = {
    "imap": {"tls": 993, "starttls": 143, "none": 143},
    "pop3": {"tls": 995, "starttls": 110, "none": 110},
    "smtp": {"tls": 465, "starttls": 587, "none": 25},
}
NOT_VERIFIED = "found, not verified"


class FieldError(ValueError):
    """A field the user must fix; ``field_id`` is the widget to focus."""

    def __init__(self, field_id: str, message: str) -> None:
        super().__init__(message)
        self.field_id = field_id


class FieldHeadings(Horizontal):
    """The column names above the server rows (the same widths as :class:`ServerFields`)."""

    DEFAULT_CSS = """
    FieldHeadings { height: 1; color: $text-muted; }
    FieldHeadings Label { padding: 0 0 0 2; }
    FieldHeadings .setup-protocol { width: 12; }
    FieldHeadings .setup-host { width: 1fr; min-width: 20; }
    FieldHeadings .setup-port { width: 12; }
    FieldHeadings .setup-security { width: 24; }
    FieldHeadings .setup-user { width: 1fr; min-width: 16; }
    FieldHeadings .setup-found { width: 21; }
    """

    def compose(self) -> ComposeResult:
        for name, css in (
            ("protocol", "setup-protocol"),
            ("host", "setup-host"),
            ("port", "setup-port"),
            ("security", "setup-security"),
            ("user name", "setup-user"),
            ("", "setup-found"),
        ):
            yield Label(name, classes=css)


class ServerFields(Horizontal):
    """One server's row; ``kind`` is ``"incoming"`` (IMAP or POP3) or ``"smtp"``."""

    DEFAULT_CSS = """
    ServerFields { height: 3; }
    ServerFields Label { padding: 1 1 0 1; }
    ServerFields .setup-protocol { width: 12; }
    ServerFields .setup-host { width: 1fr; min-width: 20; }
    ServerFields .setup-port { width: 12; }  /* 5 digits and the cursor: 10993, 1143 */
    ServerFields .setup-security { width: 24; }
    ServerFields .setup-user { width: 1fr; min-width: 16; }
    ServerFields .setup-found { width: 21; padding: 1 0 0 1; color: $warning; }
    """

    def __init__(self, kind: str) -> None:
        super().__init__(id=kind)
        self.kind = kind

    def compose(self) -> ComposeResult:
        kind = self.kind
        if kind == "incoming":
            yield Select(
                (("IMAP", "imap"), ("POP3", "pop3")),
                value="imap",
                allow_blank=False,
                id=f"{kind}-protocol",
                classes="setup-protocol",
            )
        else:
            yield Label("SMTP", classes="setup-protocol")
        yield Input(placeholder="host", id=f"{kind}-host", classes="setup-host")
        yield Input(placeholder="port", id=f"{kind}-port", classes="setup-port", type="integer")
        yield Select(
            SECURITY,
            value="tls",
            allow_blank=False,
            id=f"{kind}-security",
            classes="setup-security",
        )
        yield Input(placeholder="user name", id=f"{kind}-user", classes="setup-user")
        yield Static("", id=f"{kind}-found", classes="setup-found")

    @property
    def protocol(self) -> str:
        """``imap``, ``pop3`` or ``smtp``."""
        if self.kind == "smtp":
            return "smtp"
        return str(self.query_one(f"#{self.kind}-protocol", Select).value)

    def load(self, proposal: ServerProposal) -> None:
        """Show ``proposal`` in the fields, marking it when nothing verified it."""
        if self.kind == "incoming":
            self.query_one(f"#{self.kind}-protocol", Select).value = proposal.protocol
        self._input("host").value = clean_line(proposal.host, 253)
        self._input("port").value = str(proposal.port)
        security = proposal.security if proposal.security in DEFAULT_PORTS["imap"] else "tls"
        self.query_one(f"#{self.kind}-security", Select).value = security
        self._input("user").value = clean_line(proposal.username, 320)
        found = self.query_one(f"#{self.kind}-found", Static)
        found.update(Text("" if proposal.verified else NOT_VERIFIED))

    def read(self, *, auth: str, password_command: str = "", pin: str = "") -> ServerEntry:
        """The entry to write; FieldError names the first field that is empty or wrong."""
        host = self._input("host").value.strip()
        if not host or any(ch.isspace() for ch in host):
            raise FieldError(f"{self.kind}-host", f"{self.protocol.upper()} host: type a host name")
        security = str(self.query_one(f"#{self.kind}-security", Select).value)
        port_text = self._input("port").value.strip()
        if not port_text:
            port = DEFAULT_PORTS[self.protocol][security]
        elif port_text.isdigit() and 0 < int(port_text) < 65536:
            port = int(port_text)
        else:
            raise FieldError(f"{self.kind}-port", f"{self.protocol.upper()} port: 1 to 65535")
        return ServerEntry(
            protocol=self.protocol,
            host=host,
            port=port,
            security=security,
            username=self._input("user").value.strip(),
            auth=auth,
            password_command=password_command,
            cert_fingerprint=pin,
        )

    def _input(self, name: str) -> Input:
        return self.query_one(f"#{self.kind}-{name}", Input)
