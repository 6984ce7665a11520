"""Write a tui-mail config file (TOML) for a local account: the demo's and the tests'.

Only plain keys of ``config.example.toml`` are used; passwords are never written,
only the name of the environment variable that holds them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit


def write_config(
    path: Path,
    account: str,
    *,
    email: str,
    display_name: str,
    imap: Mapping[str, Any],
    smtp: Mapping[str, Any] | None = None,
    general: Mapping[str, Any] | None = None,
    account_extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``[general]`` and ``[accounts.<account>]`` (with ``.imap``/``.smtp``) to ``path``.

    ``Path`` values become strings. The file is created with mode 0600, like the
    app's own. Returns ``path``.
    """
    document = tomlkit.document()
    document["general"] = _table({"default_account": account, **(general or {})})
    entry = _table({"email": email, "display_name": display_name, **(account_extra or {})})
    entry["imap"] = _table(imap)
    if smtp is not None:
        entry["smtp"] = _table(smtp)
    accounts = tomlkit.table(is_super_table=True)
    accounts[account] = entry
    document["accounts"] = accounts
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(tomlkit.dumps(document))
    return path


def _table(values: Mapping[str, Any]) -> Any:
    table = tomlkit.table()
    for key, value in values.items():
        if value is None:
            continue
        table[key] = str(value) if isinstance(value, Path) else value
    return table
