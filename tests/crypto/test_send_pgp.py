"""Writing OpenPGP mail in the app (issue 19 item 2), sent to aiosmtpd, checked with plain gpg.

Pilot on Dovecot and pymap: ``c``, the fields, ``ctrl+g`` and a choice, ``ctrl+s``.
The captured PGP/MIME message is taken apart with the email package and its
parts handed to ``gpg --decrypt`` / ``gpg --verify`` in the *recipient's*
keyring: the signature must be good and the text must decrypt. A recipient
without a key stops the send before the outbox and brings the draft back.
"""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.crypto.gpg_bed import GpgWorld, gpg, new_key
from tests.ui.daily_helpers import toasts
from tests.ui.helpers import opened, real_app, settle, wait_until
from tui_mail.backend.send.outbox import Outbox
from tui_mail.mail.crypto.reader import signed_part_bytes
from tui_mail.ui.screens.compose import ComposeScreen

pytestmark = pytest.mark.integration

BODY = "Meet me at the usual place, café at 10."


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("TUI_MAIL_STATE_DIR", str(state))
    return state


@pytest.fixture
def sender_key(imap_server: Any, my_gnupghome: GpgWorld) -> str:
    """A key for the account's own address in the reader's keyring, known to Dave; Dave's key certified."""
    world = my_gnupghome
    listing = subprocess.run(
        ["gpg", "--with-colons", "--list-keys", imap_server.email],
        capture_output=True,
        env={**os.environ, "GNUPGHOME": str(world.me)},
        check=False,
    )
    if b"fpr:" in listing.stdout:
        fingerprint = next(
            line.split(":")[9]
            for line in listing.stdout.decode().splitlines()
            if line.startswith("fpr:")
        )
    else:
        fingerprint = new_key(world.me, f"Me <{imap_server.email}>")
    gpg(world.other, "--import", data=gpg(world.me, "--export", "--armor", fingerprint))
    # Dave's public key is in the reader's keyring already; certify it so gpg may
    # encrypt to it in batch mode. (Bob must stay unknown there: test_show_pgp.)
    try:
        gpg(world.me, "--quick-lsign-key", world.dave)
    except AssertionError:
        pass  # certified by an earlier test of this run
    return fingerprint


def plain_gpg(home: Path, *args: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["gpg", "--batch", "--status-fd", "2", *args],
        input=data,
        capture_output=True,
        env={**os.environ, "GNUPGHOME": str(home)},
        timeout=60,
        check=False,
    )


async def compose_and_send(pilot: Any, app: Any, to: str, choice_key: str) -> None:
    await pilot.press("c")
    await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
    await pilot.press(*to)
    await pilot.press("tab", "tab", *"Protected", "tab", *BODY)
    await pilot.press("ctrl+g")
    await wait_until(pilot, lambda: not isinstance(app.screen, ComposeScreen))
    await pilot.press(choice_key)
    await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
    await pilot.press("ctrl+s")


async def sent_message(
    imap_server: Any, smtp_server: Any, tmp_path: Path, choice_key: str
) -> bytes:
    """Write to Dave in the app with the ctrl+g choice ``choice_key``; the bytes aiosmtpd got."""
    app = real_app(imap_server, tmp_path, smtp=smtp_server)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot, app, imap_server)
        await compose_and_send(pilot, app, "dave@example.com", choice_key)
        await wait_until(pilot, lambda: len(smtp_server.messages) == 1, timeout=30)
        await settle(pilot, app)
    return bytes(smtp_server.messages[0].data)


async def test_signed_and_encrypted_round_trip_through_smtp(
    imap_server: Any, smtp_server: Any, tmp_path: Path, my_gnupghome: GpgWorld, sender_key: str
) -> None:
    world = my_gnupghome
    data = await sent_message(imap_server, smtp_server, tmp_path, "b")
    assert BODY.encode() not in data and b"caf" not in data
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message.get_content_type() == "multipart/encrypted"
    assert message.get_param("protocol") == "application/pgp-encrypted"
    version, payload = message.iter_parts()
    assert version.get_content().strip() == b"Version: 1"
    done = plain_gpg(world.other, "--decrypt", data=payload.get_content())
    assert done.returncode == 0, done.stderr
    assert b"DECRYPTION_OKAY" in done.stderr and f"VALIDSIG {sender_key}".encode() in done.stderr
    inner = email.message_from_bytes(done.stdout, policy=email.policy.default)
    assert inner.get_content_type() == "text/plain" and inner.get_content().strip() == BODY
    # The Sent copy is encrypted to the sender too: Alice's keyring decrypts it as well.
    assert plain_gpg(world.me, "--decrypt", data=payload.get_content()).returncode == 0


async def test_signed_only_verifies_over_the_transmitted_first_part(
    imap_server: Any, smtp_server: Any, tmp_path: Path, my_gnupghome: GpgWorld, sender_key: str
) -> None:
    world = my_gnupghome
    data = await sent_message(imap_server, smtp_server, tmp_path, "s")
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message.get_content_type() == "multipart/signed"
    signed = signed_part_bytes(data, message.get_boundary() or "")
    assert signed is not None
    signature = message.get_payload()[1].get_content()
    (tmp_path / "sig.asc").write_bytes(signature)
    done = plain_gpg(world.other, "--verify", str(tmp_path / "sig.asc"), "-", data=signed)
    assert done.returncode == 0, done.stderr
    assert f"VALIDSIG {sender_key}".encode() in done.stderr
    # micalg names the hash the signature really used (RFC 3156 §5).
    packets = plain_gpg(world.other, "--list-packets", data=signature).stdout.decode()
    algo = {"8": "pgp-sha256", "10": "pgp-sha512", "9": "pgp-sha384", "2": "pgp-sha1"}
    digest = packets.split("digest algo ", 1)[1].split(",", 1)[0].strip()
    assert message.get_param("micalg") == algo[digest]


async def test_a_recipient_without_a_key_stops_the_send_and_keeps_the_draft(
    imap_server: Any,
    smtp_server: Any,
    tmp_path: Path,
    private_state: Path,
    my_gnupghome: GpgWorld,
    sender_key: str,
) -> None:
    app = real_app(imap_server, tmp_path, smtp=smtp_server)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot, app, imap_server)
        await compose_and_send(pilot, app, "dave@example.com, nokey@example.com", "e")
        await wait_until(
            pilot,
            lambda: any("No usable OpenPGP key for: nokey@example.com" in t for t in toasts(app)),
            timeout=30,
        )
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        draft = app.screen.current_draft()
        assert draft.body == BODY and draft.pgp == "encrypt"
        assert Outbox(private_state / "outbox").list() == []
    assert smtp_server.messages == []
