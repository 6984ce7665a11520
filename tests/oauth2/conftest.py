"""Fixtures of the OAuth2 test bed (``tests/servers/oauth_bed.py``), all on 127.0.0.1.

``oauth_dovecot`` (session): a private Dovecot serving IMAP and POP3 whose only
passdb is ``oauth2``, validating JWTs with the session's key. ``oauth_bed`` (per
test): a fresh authorization server (same key, fresh grants and switches) and an aiosmtpd
taking XOAUTH2/OAUTHBEARER; the state dir, log dir and keyring are the test's own
(no keyring backend: refresh tokens go to the 0600 file). ``pop3_oauth_bed`` is
the same for a POP3 account: a fresh user per test, with sample mail.
"""

from __future__ import annotations

import base64
import logging
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import keyring
import pytest

from tests.servers.dovecot import DovecotServer
from tests.servers.oauth_bed import OAuthBed, OAuthSmtpServer, Pop3OAuthBed
from tests.servers.oauth_server import OAuthServer, write_key
from tests.servers.pop3_account import Pop3Account

USER = "oauser1"


@pytest.fixture(scope="session")
def oauth_keys() -> Iterator[tuple[Path, bytes]]:
    """A folder Dovecot's auth process can read (mkdtemp is 0700) and the session's HS256 key."""
    root = Path(tempfile.mkdtemp(prefix="tui-mail-oauth-keys-"))
    root.chmod(0o755)
    yield root / "keys", secrets.token_bytes(32)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def oauth_dovecot(oauth_keys: tuple[Path, bytes]) -> Iterator[DovecotServer]:
    keys, key = oauth_keys
    write_key(keys, key)  # before Dovecot starts
    server = DovecotServer(oauth2_keys=keys, pop3=True)  # POP3 too, for pop3_oauth_bed
    server.add_user(USER, "no-password-logins")
    try:
        server.start()
        yield server
    finally:
        server.close(background=True)


@pytest.fixture
def oauth_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The test's own state/log dirs and no keyring (also for CLI subprocesses)."""
    from keyring.backends.null import Keyring

    env = {
        "TUI_MAIL_STATE_DIR": str(tmp_path / "state"),
        "TUI_MAIL_CACHE_DIR": str(tmp_path / "cache"),
        "TUI_MAIL_LOG_DIR": str(tmp_path / "logs"),
        "TUI_MAIL_LOG_LEVEL": "DEBUG",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(Keyring())
    yield env
    keyring.set_keyring(previous)


@pytest.fixture
def transcript() -> list[str]:
    """What the user saw (CLI stdout/stderr, dialog lines): greped for secrets after the test."""
    return []


@pytest.fixture
def oauth_servers(
    request: pytest.FixtureRequest,
    oauth_keys: tuple[Path, bytes],
    oauth_env: dict[str, str],
    transcript: list[str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> Iterator[Callable[[str], tuple[OAuthServer, OAuthSmtpServer]]]:
    """Starts the authorization and SMTP servers for a user; afterwards every log,
    captured output and transcript is greped for the tokens and codes they handed out."""
    caplog.set_level(logging.DEBUG)
    marker = request.node.get_closest_marker("access_lifetime")
    lifetime = int(marker.args[0]) if marker else 3600
    keys, key = oauth_keys
    started: list[OAuthServer] = []
    with ExitStack() as stack:

        def start(user: str) -> tuple[OAuthServer, OAuthSmtpServer]:
            auth = stack.enter_context(
                OAuthServer(user, keys, key=key, access_lifetime=lifetime)
            )
            started.append(auth)
            return auth, stack.enter_context(OAuthSmtpServer(auth))

        yield start
    out, err = capfd.readouterr()
    logs = [p.read_text(errors="replace") for p in Path(oauth_env["TUI_MAIL_LOG_DIR"]).glob("*")]
    for auth in started:
        assert_no_secrets(auth.issued, [caplog.text, out, err, *logs, *transcript])


@pytest.fixture
def oauth_bed(oauth_dovecot: DovecotServer, oauth_servers) -> OAuthBed:
    """The bed for the IMAP account of ``USER`` (greped for secrets afterwards)."""
    auth, smtp = oauth_servers(USER)
    return OAuthBed(auth, oauth_dovecot, smtp, USER)


@pytest.fixture
def pop3_oauth_bed(
    request: pytest.FixtureRequest, oauth_dovecot: DovecotServer, oauth_servers
) -> Pop3OAuthBed:
    """A POP3 mailbox of a new user holding ``pop3_mail(n)`` messages (3), signed in to
    with OAuth2 only; greped for secrets afterwards like ``oauth_bed``."""
    marker = request.node.get_closest_marker("pop3_mail")
    user = "po" + uuid.uuid4().hex[:10]
    maildir = oauth_dovecot.add_user(user, "no-password-logins")
    mailbox = Pop3Account(oauth_dovecot, user, "", maildir, lambda _name, _value: None)
    for _ in range(int(marker.args[0]) if marker else 3):
        mailbox.deliver()
    auth, smtp = oauth_servers(user)
    return Pop3OAuthBed(auth, oauth_dovecot, smtp, user, mailbox)


def assert_no_secrets(secrets_: list[str], texts: list[str]) -> None:
    """No token, code or device code (nor its base64) appears in any of ``texts``."""
    for secret in secrets_:
        forms = {secret, base64.b64encode(secret.encode()).decode()}
        for text in texts:
            for form in forms:
                assert form not in text, "a token or code leaked into a log or output"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "access_lifetime(seconds): the test server's token lifetime")
    config.addinivalue_line("markers", "pop3_mail(n): how many messages `pop3_oauth_bed` holds")
