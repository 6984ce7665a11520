"""Where tui-mail keeps its files: the only module that knows (DESIGN.md section 2).

Config: ``--config PATH``, else ``$TUI_MAIL_CONFIG``, else
``$XDG_CONFIG_HOME/tui-mail/config.toml``, else ``~/.config/tui-mail/config.toml``.
Cache, state and log directories come from platformdirs (XDG variables honoured);
``$TUI_MAIL_CACHE_DIR`` and ``$TUI_MAIL_STATE_DIR`` override them (the demo and
tests use these to stay out of the user's real files).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "tui-mail"


def config_candidates(explicit: str | os.PathLike[str] | None = None) -> list[Path]:
    """The config paths in the order they are looked for (first match wins)."""
    if explicit:
        return [Path(explicit).expanduser()]
    env_path = os.environ.get("TUI_MAIL_CONFIG")
    if env_path:
        return [Path(env_path).expanduser()]
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path.home() / ".config"
    return [base / APP_NAME / "config.toml"]


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file to use (it may not exist)."""
    return config_candidates(explicit)[0]


def _dir_from(env_var: str, default: str) -> Path:
    override = os.environ.get(env_var)
    path = Path(override).expanduser() if override else Path(default)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def cache_dir() -> Path:
    """Per-user cache directory (SQLite caches); created 0700 if missing."""
    return _dir_from("TUI_MAIL_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME))


def state_dir() -> Path:
    """Per-user state directory (outbox, local drafts, remembered choices)."""
    return _dir_from("TUI_MAIL_STATE_DIR", platformdirs.user_state_dir(APP_NAME))


def log_dir() -> Path:
    """Per-user log directory."""
    return _dir_from("TUI_MAIL_LOG_DIR", platformdirs.user_log_dir(APP_NAME))


def outbox_dir() -> Path:
    """Messages waiting to be sent (never lost: see DESIGN.md section 7)."""
    path = state_dir() / "outbox"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def drafts_dir() -> Path:
    """Local autosaved drafts, offered again after a crash."""
    path = state_dir() / "drafts"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def oauth2_token_file(account: str) -> Path:
    """Where an account's OAuth2 refresh token is kept when there is no keyring (mode 0600)."""
    path = state_dir() / "oauth2"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in account) or "account"
    return path / f"{safe}.json"


def ui_state_file() -> Path:
    """Remembered screen choices (pane sizes): small JSON, lost at no cost."""
    return state_dir() / "ui.json"


def account_cache_file(account: str, directory: Path | None = None) -> Path:
    """The SQLite cache file of one account (in ``directory``, default ``cache_dir()``)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in account) or "account"
    return (directory or cache_dir()) / f"{safe}.sqlite3"


def write_private_file(path: Path, data: str | bytes) -> None:
    """Write a file atomically with mode 0600 (config files, secrets-adjacent data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
