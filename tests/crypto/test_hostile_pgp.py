"""Hostile PGP mail (issue 19 item 4): no crash, no escape byte out, under 2 s each.

Through ``tui-mail show`` with the real gpg: a signature part of garbage, a
signed message of 10,000 parts (and one whose multipart/signed has 10,000
children), a signed part that lies about its charset, a signer whose user id
carries escapes and markup, and encrypted messages that decrypt to escapes,
markup and bidi tricks, or to encryption nested 100 deep.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.crypto.gpg_bed import (
    ALICE,
    GpgWorld,
    crlf,
    encrypted_message,
    headers,
    new_key,
    signed_mime,
    text_entity,
)
from tui_mail.__main__ import main
from tui_mail.mail.crypto.reader import MAX_GPG_CALLS

#: Bytes a terminal would act on: ESC, BEL, the C1 controls in UTF-8, bidi overrides.
_ACTIVE = re.compile(
    rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)
HOSTILE_TEXT = (
    "Hello \x1b[31mred\x1b[0m \x1b]52;c;ZXZpbA==\x07 \x1b]8;;https://evil.example\x07link\x1b]8;;\x07"
    " \u202eevil\u202c [@click=app.quit]click[/] [bold red]loud[/] \x9b31m c1\n"
)
SIGNED_TYPE = (
    'multipart/signed; micalg=pgp-sha512; protocol="application/pgp-signature"; boundary="{b}"'
)


def show(tmp_path: Path, raw: bytes, capsysbinary: pytest.CaptureFixture[bytes]) -> str:
    """``tui-mail show`` on ``raw``: asserts < 2 s and no active byte; the output as text."""
    path = tmp_path / "hostile.eml"
    path.write_bytes(raw)
    started = time.monotonic()
    assert main(["show", "--width", "200", str(path)]) == 0
    elapsed = time.monotonic() - started
    out = capsysbinary.readouterr().out
    assert elapsed < 2.0, f"show took {elapsed:.2f} s"
    assert _ACTIVE.search(out) is None, _ACTIVE.search(out)
    return out.decode("utf-8")


def status_line(output: str) -> str:
    return output.split("\n\n")[1].strip("\n")


def test_a_signature_part_of_garbage(
    my_gnupghome: GpgWorld, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    body = (
        crlf("--b\n")
        + text_entity("Looks signed.")
        + crlf(
            "\n--b\nContent-Type: application/pgp-signature\n\n"
            "-----BEGIN PGP SIGNATURE-----\n\x1b[2J\x00garbage%%%\n-----END PGP SIGNATURE-----\n--b--\n"
        )
    )
    out = show(
        tmp_path, crlf(headers(ALICE, "Garbage", SIGNED_TYPE.format(b="b"))) + body, capsysbinary
    )
    assert status_line(out).startswith("BAD signature")
    assert "Looks signed." in out


def test_a_signed_message_of_ten_thousand_parts(
    my_gnupghome: GpgWorld, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    world = my_gnupghome
    parts = "".join(f"--m\nContent-Type: text/plain\n\npart {n}\n" for n in range(10_000))
    entity = crlf('Content-Type: multipart/mixed; boundary="m"\n\n' + parts + "--m--\n")
    raw = crlf(headers(ALICE, "Many", SIGNED_TYPE.format(b="s"))) + signed_mime(
        world.me, world.alice, entity, "s"
    )
    out = show(tmp_path, raw, capsysbinary)
    assert status_line(out).startswith(f"Good signature from {ALICE}")
    assert "part 0" in out and "part 9999" not in out  # the part limit holds
    assert "more than 500 parts" in out


def test_a_multipart_signed_with_ten_thousand_children(
    my_gnupghome: GpgWorld, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    world = my_gnupghome
    good = signed_mime(world.me, world.alice, text_entity("First part."), "s")
    extra = "".join("Content-Type: application/pgp-signature\n\nx\n--s\n" for _ in range(10_000))
    raw = crlf(headers(ALICE, "Children", SIGNED_TYPE.format(b="s"))) + good.replace(
        b"\r\n--s--\r\n", crlf("\n--s\n" + extra).removesuffix(b"\r\n--s\r\n") + b"\r\n--s--\r\n"
    )
    out = show(tmp_path, raw, capsysbinary)
    assert status_line(out).startswith(f"Good signature from {ALICE}")


def test_a_signed_part_that_lies_about_its_charset(
    my_gnupghome: GpgWorld, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    world = my_gnupghome
    for charset in ("us-ascii", "utf-16", "x-no-such-charset", "utf-7"):
        entity = (
            crlf(f"Content-Type: text/plain; charset={charset}\n\n")
            + b"caf\xe9 \xff\xfe\x1b[31m \xe2\x80\xae na\xc3\xafve\r\n"
        )
        raw = crlf(headers(ALICE, "Charset", SIGNED_TYPE.format(b="s"))) + signed_mime(
            world.me, world.alice, entity, "s"
        )
        out = show(tmp_path, raw, capsysbinary)
        assert status_line(out).startswith(f"Good signature from {ALICE}"), charset


def test_a_signer_whose_user_id_carries_escapes_and_markup(
    my_gnupghome: GpgWorld, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    world = my_gnupghome
    evil = "Evil \x1b]52;c;ZXZpbA==\x07\x1b[31m [bold]x[/] \u202eredli <evil@example.org>"
    fingerprint = new_key(world.me, evil)
    raw = crlf(headers("evil@example.org", "Evil", SIGNED_TYPE.format(b="s"))) + signed_mime(
        world.me, fingerprint, text_entity("hi"), "s"
    )
    out = show(tmp_path, raw, capsysbinary)
    assert status_line(out) == (
        f"Good signature from Evil [bold]x[/] redli <evil@example.org> (key {fingerprint}, ultimate trust)"
    )


def test_decrypts_to_escapes_markup_and_bidi(
    my_gnupghome: GpgWorld, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    world = my_gnupghome
    inner = crlf(
        "Content-Type: text/plain; charset=utf-8\nSubject: \x1b]0;pwned\x07\n\n"
    ) + HOSTILE_TEXT.encode("utf-8")
    out = show(tmp_path, encrypted_message(world.other, [world.alice], inner), capsysbinary)
    assert status_line(out) == "Encrypted to you"
    assert "[@click=app.quit]click[/] [bold red]loud[/]" in out  # literal, never markup
    assert "red" in out and "evil" in out and "pwned" not in out


def test_encryption_nested_a_hundred_deep(
    my_gnupghome: GpgWorld, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    world = my_gnupghome
    entity = text_entity("The innermost secret.")
    for _ in range(100):  # each layer a real PGP/MIME encryption of the one inside
        message = encrypted_message(world.other, [world.alice], entity)
        entity = message[message.index(b"Content-Type: multipart/encrypted") :]
    started = time.monotonic()
    out = show(tmp_path, message, capsysbinary)
    assert time.monotonic() - started < 2.0
    assert status_line(out) == (
        f"Encrypted to you (×{MAX_GPG_CALLS}) · Not checked: too many signed or encrypted parts"
    )
    assert "The innermost secret." not in out
