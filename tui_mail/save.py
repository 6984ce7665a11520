"""Writing attachments to disk without letting a message choose where they go.

:func:`save_attachment` is the only place tui-mail writes an attachment. The
name a sender wrote is reduced to one safe file name
(:func:`tui_mail.mail.filenames.safe_filename`), the file is created *inside*
the chosen directory through a directory file descriptor, and it is opened
with ``O_CREAT | O_EXCL | O_NOFOLLOW``: a symlink or file already at that name
is never followed and never overwritten.

On a name clash the file gets the next free name, ``report (1).pdf``,
``report (2).pdf`` and so on (decided so: a save never asks a question
half-way through a batch and never loses the existing file). With
``overwrite=True`` the new file replaces the old *entry* atomically
(``os.replace`` of a fresh temporary file), which replaces a planted symlink
rather than writing through it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from tui_mail.mail.filenames import safe_filename

#: How many ``name (n).ext`` variants to try before giving up.
MAX_NUMBERED_VARIANTS = 999

_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def save_attachment(directory: Path, name: str, data: bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` as a file named after ``name`` inside ``directory``; return its path.

    ``directory`` is created when missing (with ``~`` expanded). ``name`` is
    made safe with ``safe_filename``, so ``../x``, ``/etc/passwd``, reserved
    device names and bidi tricks all land as plain names inside ``directory``.
    Without ``overwrite`` an existing name is never touched: the file gets the
    first free ``stem (n).ext``. The file is created with mode 0600 (it came
    from a stranger). Raises ``OSError`` (e.g. ``PermissionError``,
    ``FileExistsError`` after 999 variants) for the UI to show.
    """
    target_dir = Path(directory).expanduser()
    target_dir.mkdir(parents=True, exist_ok=True)
    leaf = _checked_leaf(safe_filename(name))
    dir_fd = os.open(target_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        if overwrite:
            final = _replace_entry(dir_fd, leaf, data)
        else:
            final = _create_unique(dir_fd, leaf, data)
    finally:
        os.close(dir_fd)
    return target_dir.resolve() / final


def numbered_name(leaf: str, n: int) -> str:
    """``report.pdf`` -> ``report (n).pdf``; a leading-dot-free name without a suffix gets `` (n)``."""
    stem, dot, ext = leaf.rpartition(".")
    if not dot or not stem:
        return f"{leaf} ({n})"
    return f"{stem} ({n}).{ext}"


def _checked_leaf(leaf: str) -> str:
    """Refuse anything that is not one plain name (a second line of defence)."""
    if not leaf or leaf in {".", ".."} or "/" in leaf or "\0" in leaf or os.sep in leaf:
        raise ValueError(f"unsafe file name: {leaf!r}")
    return leaf


def _create_unique(dir_fd: int, leaf: str, data: bytes) -> str:
    """Create ``leaf`` or its first free numbered variant; return the name used."""
    for n in range(MAX_NUMBERED_VARIANTS + 1):
        candidate = leaf if n == 0 else numbered_name(leaf, n)
        try:
            # POSIX: O_CREAT|O_EXCL fails with EEXIST on any existing entry, a symlink
            # (even a dangling one) included, so nothing planted there is followed.
            fd = os.open(candidate, _CREATE_FLAGS, 0o600, dir_fd=dir_fd)
        except FileExistsError:
            continue
        _write_all(fd, data, candidate, dir_fd)
        return candidate
    raise FileExistsError(f"no free name for {leaf!r} after {MAX_NUMBERED_VARIANTS} tries")


def _replace_entry(dir_fd: int, leaf: str, data: bytes) -> str:
    """Write a temporary file beside ``leaf`` and rename it over ``leaf``."""
    temp = f".{leaf}.{secrets.token_hex(6)}.part"
    fd = os.open(temp, _CREATE_FLAGS, 0o600, dir_fd=dir_fd)
    _write_all(fd, data, temp, dir_fd)
    os.replace(temp, leaf, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    return leaf


def _write_all(fd: int, data: bytes, name: str, dir_fd: int) -> None:
    """Write and close ``fd``; on failure remove the half-written file (never leave junk)."""
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=dir_fd)
        raise
