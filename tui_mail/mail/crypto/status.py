"""gpg's ``--status-fd`` lines -> the status line shown above a message body.

Only the machine interface is read (``doc/DETAILS`` of GnuPG: ``GOODSIG``,
``VALIDSIG``, ``BADSIG``, ``ERRSIG``, ``TRUST_*``, ``DECRYPTION_OKAY``,
``NO_SECKEY``, ``NEED_PASSPHRASE``...). User ids arrive percent- or C-escaped
and are unescaped here but *not* sanitised: ``mail.render`` cleans every status
text before the screen, as it does every string from a message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from tui_mail.mail.crypto import GpgResult, KeyInfo
from tui_mail.models import SecurityStatus

KeyLookup = Callable[[str], KeyInfo | None]

_TRUST = {
    "TRUST_ULTIMATE": "ultimate trust",
    "TRUST_FULLY": "full trust",
    "TRUST_MARGINAL": "marginal trust",
    "TRUST_UNDEFINED": "unknown trust",
    "TRUST_NEVER": "never trusted",
}
_GOOD_BUT = {
    "EXPSIG": "the signature has expired",
    "EXPKEYSIG": "the key has expired",
    "REVKEYSIG": "the key is revoked",
}
_EMAIL = re.compile(r"<([^<>\s]+@[^<>\s]+)>\s*$|^([^<>\s]+@[^<>\s]+)$")
_C_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")
#: ERRSIG's return code for "no public key".
_NO_PUBKEY_RC = "9"


def fields(result: GpgResult) -> dict[str, list[str]]:
    """The first status line of each keyword, split into its arguments."""
    found: dict[str, list[str]] = {}
    for line in result.status:
        keyword, _, rest = line.partition(" ")
        found.setdefault(keyword, rest.split(" ") if rest else [])
    return found


def has_signature(result: GpgResult) -> bool:
    """True when the run saw a signature (good, bad or uncheckable)."""
    keywords = fields(result)
    return any(k in keywords for k in ("NEWSIG", "GOODSIG", "BADSIG", "ERRSIG", *_GOOD_BUT))


def signature_status(result: GpgResult, senders: frozenset[str], keys: KeyLookup) -> SecurityStatus:
    """What a verification says: good (and by whom), BAD, an unknown key, or not checkable.

    ``senders`` are the From addresses (lower case); a good signature whose key
    holds none of them says so.
    """
    seen = fields(result)
    if "BADSIG" in seen:
        who = status_user_id(" ".join(seen["BADSIG"][1:]))
        return SecurityStatus("bad", f"BAD signature from {who} (key {_arg(seen['BADSIG'], 0)})")
    if "ERRSIG" in seen:
        args = seen["ERRSIG"]
        key = _arg(args, 6) or _arg(args, 0)
        if _arg(args, 5) == _NO_PUBKEY_RC or "NO_PUBKEY" in seen:
            return SecurityStatus("warning", f"Signed by an unknown key {key}")
        return SecurityStatus("bad", f"BAD signature: it could not be checked (key {key})")
    good = next((k for k in ("GOODSIG", *_GOOD_BUT) if k in seen), None)
    if good is None:
        reason = result.problem or "the signature part holds no OpenPGP signature"
        return SecurityStatus("bad", f"BAD signature: {reason}")
    valid = seen.get("VALIDSIG", [])
    fingerprint = _arg(valid, 9) or _arg(valid, 0) or _arg(seen[good], 0)
    who = status_user_id(" ".join(seen[good][1:]))
    trust = next((_TRUST[k] for k in _TRUST if k in seen), "unknown trust")
    described = f"{who} (key {fingerprint}, {trust})"
    if good in _GOOD_BUT:
        return SecurityStatus("warning", f"Good signature from {described}, but {_GOOD_BUT[good]}")
    if senders and not senders & _key_emails(keys(fingerprint), who):
        return SecurityStatus(
            "warning", f"Signed, but not by the sender's address: good signature from {described}"
        )
    level = "warning" if "TRUST_NEVER" in seen else "good"
    return SecurityStatus(level, f"Good signature from {described}")


def decryption_status(result: GpgResult, keys: KeyLookup) -> SecurityStatus:
    """ "Encrypted to you", or why the part could not be decrypted."""
    seen = fields(result)
    if "DECRYPTION_OKAY" in seen:
        return SecurityStatus("good", "Encrypted to you")
    if "BAD_PASSPHRASE" in seen:
        return SecurityStatus(
            "bad",
            f"Cannot decrypt: wrong passphrase for {_named(_arg(seen['BAD_PASSPHRASE'], 0), keys)}",
        )
    if "NEED_PASSPHRASE" in seen:
        key = _named(_arg(seen["NEED_PASSPHRASE"], 0), keys)
        return SecurityStatus(
            "warning", f"Cannot decrypt: the secret key {key} needs its passphrase"
        )
    missing = [line.split(" ")[1] for line in result.status if line.startswith("NO_SECKEY ")]
    if missing:
        names = ", ".join(dict.fromkeys(_named(key, keys) for key in missing[:5]))
        return SecurityStatus("bad", f"Cannot decrypt: no secret key for {names}")
    reason = result.problem or "gpg could not read the encrypted part"
    return SecurityStatus("bad", f"Cannot decrypt: {reason}")


def status_user_id(value: str) -> str:
    """A user id from a status line (UTF-8, ``%XX``-escaped), unescaped; not yet sanitised."""
    return unquote_to_bytes(value[:2000]).decode("utf-8", "replace")


def colon_field(value: str) -> str:
    """A ``--with-colons`` field (C-style ``\\xNN`` escapes), unescaped; not yet sanitised."""
    raw = value[:4000].encode("utf-8", "surrogateescape")
    return _C_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("utf-8", "replace")


def _key_emails(key: KeyInfo | None, primary: str) -> set[str]:
    """The lower-case addresses of a key's user ids (the status line's one when not listed)."""
    user_ids = key.user_ids if key is not None and key.user_ids else (primary,)
    found: set[str] = set()
    for user_id in user_ids:
        match = _EMAIL.search(user_id.strip())
        if match:
            found.add((match.group(1) or match.group(2)).lower())
    return found


def _named(key_id: str, keys: KeyLookup) -> str:
    """The key's primary fingerprint when the keyring knows the key id, else the id itself."""
    known = keys(key_id) if key_id else None
    return known.fingerprint if known is not None else (key_id or "an unknown key")


def _arg(args: list[str], index: int) -> str:
    return args[index] if 0 <= index < len(args) else ""
