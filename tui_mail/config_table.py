"""Reading one TOML table of the config: typed getters whose errors name the key path.

Split from ``config.py`` so the schema there reads on its own (and stays under
the module size limit); ``oauth2_config.py`` reads through a Protocol of it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui_mail.errors import ConfigError


class ConfigTable:
    """A TOML table being read: typed getters that name the key path on error."""

    def __init__(self, file: str, path: str, data: Any) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(file, path, "must be a table")
        self.file, self.path, self.data = file, path, data
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        """The dotted path of ``name`` in this table, as errors show it."""
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        """The value of ``name`` if it is a ``kind`` (else ConfigError); unset: ``default``."""
        self.used.add(name)
        if name not in self.data:
            return default
        value = self.data[name]
        # bool is an int in Python; a port of `true` is still wrong.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise ConfigError(
                self.file, self.key(name), f"expected {_kind_name(kind)}, got a boolean"
            )
        if not isinstance(value, kind):
            raise ConfigError(
                self.file,
                self.key(name),
                f"expected {_kind_name(kind)}, got {type(value).__name__}",
            )
        return value

    def table(self, name: str) -> ConfigTable | None:
        """The sub-table ``name``, or None when it is not there."""
        self.used.add(name)
        if name not in self.data:
            return None
        return ConfigTable(self.file, self.key(name), self.data[name])

    def fail(self, name: str, message: str) -> ConfigError:
        """An error naming the key ``name`` (for the caller to raise)."""
        return ConfigError(self.file, self.key(name), message)

    def expect(self, *names: str) -> ConfigTable:
        """Reject unknown keys up front, so a typo is named before what it hides."""
        for name in self.data:
            if name not in names:
                raise ConfigError(self.file, self.key(name), "unknown key")
        return self

    def done(self) -> None:
        """Reject keys nobody read: typos must not pass silently."""
        self.expect(*self.used)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "an integer", bool: "true or false", float: "a number"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def optional_path(table: ConfigTable, name: str, base: Path | None = None) -> Path | None:
    """A path key (``~`` expanded); unset: ``base``; an empty string: none."""
    raw = table.get(name, str)
    if raw is None:
        return base
    if not raw:
        return None
    return Path(raw).expanduser()


def string_list(table: ConfigTable, key: str, default: list[str]) -> tuple[str, ...]:
    """A list of strings (e.g. folder names); each one checked."""
    values = table.get(key, list, default)
    if not all(isinstance(value, str) and value for value in values):
        raise table.fail(key, "must be a list of non-empty strings")
    return tuple(values)


def command_words(table: ConfigTable, key: str) -> tuple[str, ...]:
    """A command as an argv list, or a string split as a shell would (never run by one)."""
    value = table.get(key, (str, list), [])
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError as exc:
            raise table.fail(key, f"cannot be split into words: {exc}") from None
    return string_list(table, key, [])


#: ``cert_fingerprint``'s form: what setup writes (``backend.auth.tls.fingerprint_of``).
_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{64}")


def cert_fingerprint(table: ConfigTable, security: str) -> str:
    """``cert_fingerprint`` as ``sha256:`` + 64 lowercase hex ("" when unset).

    Upper case and the colons ``openssl x509 -fingerprint -sha256`` prints are
    accepted, so a fingerprint copied from there works as it is.
    """
    raw = table.get("cert_fingerprint", str, "")
    if not raw:
        return ""
    kind, sep, digest = raw.strip().partition(":")
    pin = "sha256:" + digest.replace(":", "").lower()
    if not sep or kind.lower() != "sha256" or not _FINGERPRINT.fullmatch(pin):
        raise table.fail(
            "cert_fingerprint", f'must be "sha256:" and 64 hex digits (as setup writes it), not {raw[:80]!r}'
        )
    if security == "none":
        raise table.fail(
            "cert_fingerprint", 'pins a TLS certificate: it needs security = "tls" or "starttls"'
        )
    return pin
