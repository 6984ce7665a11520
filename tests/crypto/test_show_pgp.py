"""``tui-mail show`` on PGP mail made by gpg itself: the status line above the body (issue 19).

Every message here is signed or encrypted by the real ``gpg`` in a throw-away
``$GNUPGHOME``; ``show`` is run as the user runs it, with ``$GNUPGHOME`` set.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crypto.gpg_bed import (
    ALICE,
    BOB,
    DAVE,
    GpgWorld,
    clearsigned_message,
    crlf,
    encrypted_message,
    gpg,
    headers,
    signed_message,
    text_entity,
)
from tui_mail.__main__ import main
from tui_mail.mail.structure import UNSIGNED_MARK


def show(tmp_path: Path, raw: bytes, capsys: pytest.CaptureFixture[str]) -> str:
    """``tui-mail show FILE`` (in-process), its stdout."""
    path = tmp_path / "message.eml"
    path.write_bytes(raw)
    assert main(["show", "--width", "300", str(path)]) == 0
    return capsys.readouterr().out


def status_line(output: str) -> str:
    """The line between the headers and the body."""
    blocks = output.split("\n\n")
    return blocks[1].strip("\n")


def test_a_good_signature_names_the_signer_key_and_trust(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = my_gnupghome
    out = show(tmp_path, signed_message(world.me, world.alice, ALICE, "Meet at noon."), capsys)
    assert status_line(out) == f"Good signature from {ALICE} (key {world.alice}, ultimate trust)"
    assert "Meet at noon." in out
    assert "signature.asc" not in out  # the signature is not an attachment any more


def test_one_byte_changed_is_a_bad_signature(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = my_gnupghome
    raw = signed_message(world.me, world.alice, ALICE, "Pay 100 EUR to Bob.")
    tampered = raw.replace(b"100 EUR", b"900 EUR")
    assert len(tampered) == len(raw) and tampered != raw
    out = show(tmp_path, tampered, capsys)
    assert status_line(out).startswith("BAD signature from Alice Example <alice@example.org>")
    assert "Good signature" not in out


def test_only_a_line_ending_change_still_verifies(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A message stored with LF line ends (a .eml on disk) is checked CRLF-canonical."""
    world = my_gnupghome
    raw = signed_message(world.me, world.alice, ALICE, "Stored with LF.").replace(b"\r\n", b"\n")
    assert status_line(show(tmp_path, raw, capsys)).startswith("Good signature from")


def test_a_key_not_in_the_keyring_is_an_unknown_key(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = my_gnupghome
    out = show(tmp_path, signed_message(world.other, world.bob, BOB, "Hi from Bob."), capsys)
    assert status_line(out) == f"Signed by an unknown key {world.bob}"
    assert "Hi from Bob." in out


def test_a_good_signature_by_another_address_says_so(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = my_gnupghome
    raw = signed_message(world.me, world.alice, "Mallory <mallory@example.org>", "Trust me.")
    line = status_line(show(tmp_path, raw, capsys))
    assert line.startswith("Signed, but not by the sender's address: good signature from Alice")


def test_an_encrypted_message_is_decrypted(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = my_gnupghome
    raw = encrypted_message(world.other, [world.alice], text_entity("The vault code is 4711."))
    assert b"4711" not in raw
    out = show(tmp_path, raw, capsys)
    assert status_line(out) == "Encrypted to you"
    assert "The vault code is 4711." in out
    assert "encrypted.asc" not in out


def test_a_signed_and_encrypted_message(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = my_gnupghome
    raw = encrypted_message(world.me, [world.alice], text_entity("Both."), sign_with=world.alice)
    out = show(tmp_path, raw, capsys)
    assert status_line(out) == (
        f"Encrypted to you · Good signature from {ALICE} (key {world.alice}, ultimate trust)"
    )
    assert "Both." in out


def test_encrypted_and_then_signed_inside_pgp_mime(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RFC 3156 §6.1: a multipart/signed inside the encrypted part."""
    world = my_gnupghome
    inner = signed_message(world.me, world.alice, ALICE, "Signed, then sealed.")
    entity = inner.split(b"\r\n", 3)[3]  # drop From, To, Subject: keep the MIME headers
    raw = encrypted_message(world.me, [world.alice], entity)
    out = show(tmp_path, raw, capsys)
    assert status_line(out).startswith("Encrypted to you · Good signature from Alice")
    assert "Signed, then sealed." in out


def test_encrypted_to_a_key_whose_secret_is_absent(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = my_gnupghome
    raw = encrypted_message(world.other, [world.dave], text_entity("For Dave only."), sender=DAVE)
    out = show(tmp_path, raw, capsys)
    assert status_line(out) == f"Cannot decrypt: no secret key for {world.dave}"
    assert "For Dave only." not in out


def test_a_key_with_a_passphrase_says_so_at_once(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No pinentry may wait on the terminal: loopback in batch mode answers NEED_PASSPHRASE."""
    world = my_gnupghome
    raw = encrypted_message(world.me, [world.carol], text_entity("Careful."))
    out = show(tmp_path, raw, capsys)
    assert status_line(out) == f"Cannot decrypt: the secret key {world.carol} needs its passphrase"


def test_inline_clearsigned_marks_the_text_around_it_unsigned(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = my_gnupghome
    raw = clearsigned_message(
        world.me,
        world.alice,
        ALICE,
        "Signed words.\n",
        before="Added by a list.\n",
        after="Footer added later.\n",
    )
    out = show(tmp_path, raw, capsys)
    assert status_line(out) == f"Good signature from {ALICE} (key {world.alice}, ultimate trust)"
    body = out.split("\n\n", 2)[2]
    assert body.index(UNSIGNED_MARK) < body.index("Added by a list.") < body.index("Signed words.")
    assert body.count(UNSIGNED_MARK) == 2
    assert "-----BEGIN PGP" not in body
    assert "Signed words." in body.split(UNSIGNED_MARK)[1]  # not under a mark of its own


def test_inline_pgp_message_is_decrypted(
    my_gnupghome: GpgWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = my_gnupghome
    armored = gpg(
        world.other, "--encrypt", "--armor", "--recipient", world.alice, data=b"Inline secret.\n"
    ).decode()
    raw = crlf(headers(BOB, "Inline", "text/plain; charset=utf-8") + armored)
    out = show(tmp_path, raw, capsys)
    assert status_line(out) == "Encrypted to you"
    assert "Inline secret." in out and "BEGIN PGP MESSAGE" not in out


def test_the_real_command_honours_gnupghome(gpg_world: GpgWorld, tmp_path: Path) -> None:
    """The installed entry point, in a child process, with $GNUPGHOME as the only hint."""
    path = tmp_path / "signed.eml"
    path.write_bytes(signed_message(gpg_world.me, gpg_world.alice, ALICE, "Hello."))
    env_home = {"GNUPGHOME": str(gpg_world.me)}
    done = subprocess.run(
        [sys.executable, "-m", "tui_mail", "show", str(path)],
        capture_output=True,
        env={**os.environ, **env_home},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"Good signature from {ALICE}".encode() in done.stdout
    elsewhere = subprocess.run(
        [sys.executable, "-m", "tui_mail", "show", str(path)],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "GNUPGHOME": str(gpg_world.other)},
    )
    # The stranger's keyring holds Alice's key but has never certified it.
    assert f"(key {gpg_world.alice}, unknown trust)".encode() in elsewhere.stdout
