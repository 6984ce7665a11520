"""Search never indexes encrypted mail: the indexer's text has neither ciphertext nor clear text."""

from __future__ import annotations

from tests.crypto.gpg_bed import ALICE, GpgWorld, crlf, encrypted_message, gpg, headers, text_entity
from tui_mail.mail.body_text import body_text


def test_pgp_mime_and_inline_encrypted_bodies_index_nothing_secret(gpg_world: GpgWorld) -> None:
    pgp_mime = encrypted_message(gpg_world.other, [gpg_world.alice], text_entity("secret words"))
    assert body_text(pgp_mime) == ""
    armored = gpg(
        gpg_world.other,
        "--encrypt",
        "--armor",
        "--recipient",
        gpg_world.alice,
        data=b"secret words\n",
    ).decode()
    inline = crlf(
        headers(ALICE, "Inline", "text/plain; charset=utf-8")
        + "Hi, see below.\n"
        + armored
        + "Bye.\n"
    )
    text = body_text(inline)
    assert "Hi, see below." in text and "Bye." in text
    assert "PGP MESSAGE" not in text and "secret" not in text
