"""The whole setup path against the test Dovecot (self-signed TLS) and aiosmtpd (STARTTLS).

The user types an address; the servers come from discovery, through the SRV
records of a real DNS server on 127.0.0.1 (tests/discovery/dns_server.py),
and the user only types the login name Dovecot knows; both certificates are
shown and trusted (pinned), the password goes into a file keyring in
tmp_path, the live test runs, the config is written 0600, and the mailbox
opens with its mail; a restart (``tui-mail`` again) opens the mailbox, not
setup. Also: an existing config keeps every comment, a wrong password saves
nothing, and Escape after the password leaves no config and no keyring entry.
"""

from __future__ import annotations

import hashlib
import ssl
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from textual.widgets import Input, Log, Select, Static

from tests.discovery.dns_server import LocalDNS
from tests.integration.backend_helpers import FAST
from tests.servers.account import ImapAccount, dovecot_account
from tests.servers.dovecot import DovecotServer
from tests.servers.tls import CertPair
from tests.ui.helpers import wait_until
from tests.ui.setup_helpers import offline_discover
from tui_mail import __main__ as cli
from tui_mail.app import TuiMailApp
from tui_mail.backend import MailServiceImpl
from tui_mail.config import load_config
from tui_mail.demo.corpus import generate_mailbox
from tui_mail.demo.smtp_server import SmtpServer
from tui_mail.ui.screens.setup import SetupScreen
from tui_mail.ui.setup.app import SetupApp
from tui_mail.ui.setup.dialogs import SetupPasswordScreen, TrustCertificateScreen
from tui_mail.ui.setup.fields import NOT_VERIFIED

pytestmark = pytest.mark.integration

COMMENTED = """\
# my hand-written config: keep this line
[general]
theme = "nord"  # the dark one

# the old account, first
[accounts.old]
email = "old@example.net"

[accounts.old.imap]
host = "imap.example.net"  # not reachable: setup must not care
"""


@pytest.fixture
def file_keyring(tmp_path: Path) -> Iterator[PlaintextKeyring]:
    """A real keyring backend writing to tmp_path (never the user's own store)."""
    ring = PlaintextKeyring()
    ring.file_path = str(tmp_path / "keyring.cfg")  # type: ignore[misc]
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def mailbox(dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> ImapAccount:
    """A fresh Dovecot user with the sample INBOX."""
    return dovecot_account(dovecot, monkeypatch.setenv, generate_mailbox(inbox_size=12))


@pytest.fixture
def submission(mailbox: ImapAccount, test_cert: CertPair) -> Iterator[SmtpServer]:
    """aiosmtpd with STARTTLS (its own self-signed certificate) and the mailbox's login."""
    context = test_cert.server_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with SmtpServer(
        mailbox.username, mailbox.password, tls_context=context, ca_file=test_cert.ca_file
    ) as server:
        yield server


def fingerprint(pem_file: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert(pem_file.read_text())
    return "sha256:" + hashlib.sha256(der).hexdigest()


async def type_into(pilot: Any, selector: str, text: str) -> None:
    await pilot.click(selector)
    widget = pilot.app.screen.query_one(selector, Input)
    widget.value = ""
    await pilot.press(*text)


@pytest.fixture
def discover(mailbox: ImapAccount, submission: SmtpServer) -> Iterator[Any]:
    """Discovery whose DNS is a local server with example.org's SRV records (RFC 6186/8314)."""
    zone = (
        f"_imaps._tcp.example.org. 60 IN SRV 0 1 {mailbox.tls_port} 127.0.0.1.\n"
        f"_submission._tcp.example.org. 60 IN SRV 0 1 {submission.port} 127.0.0.1.\n"
    )
    with LocalDNS(zone) as dns:
        yield offline_discover(dns.resolver())


async def discover_and_fill(pilot: Any, mailbox: ImapAccount, smtp: SmtpServer) -> None:
    """The address, then what SRV proposed, checked; the user types only the login name."""
    await pilot.press(*mailbox.email, "enter")
    app = pilot.app
    screen = app.screen
    await wait_until(pilot, lambda: screen.query_one("#setup-proposal").has_class("shown"), 8)

    def value(selector: str) -> str:
        return str(screen.query_one(selector).value)  # type: ignore[attr-defined]

    assert (value("#incoming-protocol"), value("#incoming-host")) == ("imap", "127.0.0.1")
    assert (value("#incoming-port"), value("#incoming-security")) == (str(mailbox.tls_port), "tls")
    assert (value("#smtp-host"), value("#smtp-port")) == ("127.0.0.1", str(smtp.port))
    assert value("#smtp-security") == "starttls"
    assert value("#incoming-user") == mailbox.email  # SRV says nothing of the user name
    for row in ("incoming", "smtp"):  # unsigned DNS: "found, not verified"
        assert NOT_VERIFIED in str(screen.query_one(f"#{row}-found", Static).render())
    assert "DNS SRV" in str(screen.query_one("#setup-status", Static).render())
    assert screen.query_one("#signin", Select).value == "password"
    await type_into(pilot, "#incoming-user", mailbox.username)
    await type_into(pilot, "#smtp-user", mailbox.username)
    await type_into(pilot, "#display-name", "Jo Tester")


async def trust_and_sign_in(
    pilot: Any, dovecot: DovecotServer, smtp: SmtpServer, password: str, then: str = "enter"
) -> list[str]:
    """Trust both certificates (checking what is shown), type the password, then ``then``."""
    app = pilot.app
    shown: list[str] = []
    for expected in (fingerprint(dovecot.ca_file), fingerprint(Path(smtp.ca_file))):
        await wait_until(pilot, lambda: isinstance(app.screen, TrustCertificateScreen), 15)
        dialog = app.screen
        details = str(dialog.query_one("#cert-details").render())
        assert expected.removeprefix("sha256:") in details and "Issuer" in details
        assert dialog.info.fingerprint == expected
        shown.append(expected)
        await pilot.press("enter")  # the focused "Trust this certificate"
        await wait_until(pilot, lambda d=dialog: app.screen is not d, 5)
    await wait_until(pilot, lambda: isinstance(app.screen, SetupPasswordScreen), 10)
    await pilot.press(*password, then)
    return shown


@pytest.mark.parametrize("existing", [None, COMMENTED], ids=["new-file", "commented-file"])
async def test_the_whole_path_to_a_mailbox_with_its_mail(
    tmp_path: Path,
    dovecot: DovecotServer,
    mailbox: ImapAccount,
    submission: SmtpServer,
    file_keyring: PlaintextKeyring,
    discover: Any,
    monkeypatch: pytest.MonkeyPatch,
    existing: str | None,
) -> None:
    monkeypatch.delenv("TUI_MAIL_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "xdg" / "tui-mail" / "config.toml"
    assert cli.paths.config_path() == path  # where a plain `tui-mail` looks
    if existing is not None:
        path.parent.mkdir(parents=True)
        path.write_text(existing)
    app = SetupApp(path, discover=discover)
    async with app.run_test(size=(160, 45)) as pilot:
        await discover_and_fill(pilot, mailbox, submission)
        await pilot.press("enter")
        pins = await trust_and_sign_in(pilot, dovecot, submission, mailbox.password)
        await wait_until(pilot, lambda: not isinstance(app.screen, SetupScreen), 60)
    assert app.return_value == path
    text = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    if existing is not None:
        assert text.startswith(existing.rstrip("\n"))  # every comment, in its place
    for pin in pins:
        assert f'cert_fingerprint = "{pin}"' in text
    assert mailbox.password not in text
    config = load_config(path)
    name = list(config.accounts)[-1]
    assert file_keyring.get_password("tui-mail", f"{name}/imap") == mailbox.password
    assert config.account(name).imap_server.cert_fingerprint == pins[0]

    # The restart: `tui-mail` now finds the config and opens the mailbox, not setup.
    opened: list[str] = []
    monkeypatch.setattr(cli, "run_app", lambda config, account: opened.append("app") or 0)
    monkeypatch.setattr(cli, "run_setup_screen", lambda arg: opened.append("setup") or 0)
    assert cli.dispatch(cli.build_parser().parse_args([])) == 0
    assert opened == ["app"]

    mail_app = TuiMailApp(
        config,
        lambda listener: MailServiceImpl(
            config, listener, cache_dir=tmp_path / "cache", options=FAST
        ),
        account=name,
    )
    async with mail_app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: mail_app.main_screen is not None, 10)
        screen = mail_app.main_screen
        await wait_until(
            pilot, lambda: len(screen.message_list.rows) == mailbox.seeded["INBOX"], 30
        )


async def test_the_live_test_shows_each_step_and_a_wrong_password_saves_nothing(
    tmp_path: Path,
    dovecot: DovecotServer,
    mailbox: ImapAccount,
    submission: SmtpServer,
    file_keyring: PlaintextKeyring,
    discover: Any,
) -> None:
    path = tmp_path / "config.toml"
    app = SetupApp(path, discover=discover)
    async with app.run_test(size=(160, 45)) as pilot:
        await discover_and_fill(pilot, mailbox, submission)
        await pilot.press("enter")
        await trust_and_sign_in(pilot, dovecot, submission, "wrong-" + uuid.uuid4().hex[:6])
        status = app.screen.query_one("#setup-status")
        await wait_until(pilot, lambda: "problem" in str(status.render()), 30)
        lines = app.screen.query_one("#setup-log", Log).lines
        assert any("connected with TLS" in line for line in lines), lines
        assert any("FAIL" in line and "login" in line for line in lines), lines
        assert isinstance(app.screen, SetupScreen)  # still there, to fix and test again
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_value is None
    assert not path.exists()
    assert file_keyring.get_password("tui-mail", "example/imap") is None


async def test_escape_at_the_password_leaves_nothing_behind(
    tmp_path: Path,
    dovecot: DovecotServer,
    mailbox: ImapAccount,
    submission: SmtpServer,
    file_keyring: PlaintextKeyring,
    discover: Any,
) -> None:
    path = tmp_path / "config.toml"
    app = SetupApp(path, discover=discover)
    async with app.run_test(size=(160, 45)) as pilot:
        await discover_and_fill(pilot, mailbox, submission)
        await pilot.press("enter")
        # The password typed, then the user changes their mind.
        await trust_and_sign_in(pilot, dovecot, submission, mailbox.password, then="escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SetupScreen), 5)
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_value is None
    assert not path.exists() and not list(tmp_path.glob(".config.toml*"))
    assert (
        not Path(file_keyring.file_path).exists()
        or "example" not in Path(file_keyring.file_path).read_text()
    )
