"""Safe attachment file names: a name from a message never chooses where a file goes.

:func:`safe_filename` turns whatever a sender wrote in ``filename=`` into one
plain file name that is safe to join to a download folder and to show on a
terminal. Saving itself (and finding a unique name) is I/O and lives in the
backend/UI; this module only produces the name.
"""

from __future__ import annotations

import re

from tui_mail.mail.sanitize import clean_line

#: Device names Windows reserves with any extension ("nul.txt" is still NUL).
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)

#: Characters that are path separators or forbidden in names on some system.
_FORBIDDEN = re.compile(r'[<>:"|?*]')
_DOT_RUN = re.compile(r"\.{2,}")
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,12})$")

#: Most file systems cap a name at 255 bytes; stay well below.
_MAX_NAME_BYTES = 240


def safe_filename(name: str, *, fallback: str = "attachment", max_len: int = 120) -> str:
    """Return ``name`` as a safe single file name, or ``fallback`` if nothing is left.

    The result has no path separators or ``..``, no leading dot, no control,
    bidi or zero-width characters, no Windows-forbidden characters or reserved
    device name, no trailing dots or spaces, and at most ``max_len`` characters
    (and 240 UTF-8 bytes) with the real extension kept at the end. Only the
    last path component of ``name`` is used (``../../x.sh`` -> ``x.sh``,
    ``C:\\\\Temp\\\\a.exe`` -> ``a.exe``).
    """
    cleaned = clean_line(name, max_len=0).replace("\\", "/")
    leaf = cleaned.rsplit("/", 1)[-1]
    leaf = _FORBIDDEN.sub("_", leaf)
    leaf = _DOT_RUN.sub(".", leaf)
    leaf = leaf.strip(" .")
    if not leaf:
        return fallback
    if leaf.split(".", 1)[0].strip().upper() in _WINDOWS_RESERVED:
        leaf = "_" + leaf
    return _shorten(leaf, max_len) or fallback


def _shorten(name: str, max_len: int) -> str:
    """Cut ``name`` to ``max_len`` characters and the byte cap, keeping its extension."""
    match = _EXTENSION.search(name)
    suffix = match.group(0) if match else ""
    stem = name[: len(name) - len(suffix)]
    room = max(1, max_len - len(suffix))
    if len(name) > max_len:
        stem = stem[:room]
    while stem and len((stem + suffix).encode("utf-8", "replace")) > _MAX_NAME_BYTES:
        stem = stem[: len(stem) - max(1, len(stem) // 10)]
    return (stem.rstrip(" .") + suffix).strip(" .")
