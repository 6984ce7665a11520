"""save_attachment never writes outside the chosen folder and never overwrites silently."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tui_mail.save import numbered_name, save_attachment


def _entries(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


def test_plain_name_is_written_with_private_mode(tmp_path: Path) -> None:
    path = save_attachment(tmp_path, "report.pdf", b"%PDF")
    assert path == tmp_path.resolve() / "report.pdf"
    assert path.read_bytes() == b"%PDF"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "hostile",
    ["../../evil.sh", "/etc/passwd", "..\\..\\win.exe", "C:\\Temp\\a.exe", "sub/dir/x.txt"],
)
def test_path_tricks_stay_inside_the_directory(tmp_path: Path, hostile: str) -> None:
    target = tmp_path / "downloads"
    path = save_attachment(target, hostile, b"x")
    assert path.parent == target.resolve()
    assert _entries(target) == {path.name}
    # nothing was written next to the download folder
    assert _entries(tmp_path) == {"downloads"}


def test_dotdot_and_empty_names_get_a_fallback(tmp_path: Path) -> None:
    first = save_attachment(tmp_path, "..", b"1")
    second = save_attachment(tmp_path, "", b"2")
    assert first.parent == second.parent == tmp_path.resolve()
    assert first.name == "attachment"
    assert second.name == "attachment (1)"


def test_clash_gets_the_next_free_numbered_name(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"old")
    one = save_attachment(tmp_path, "a.txt", b"new1")
    two = save_attachment(tmp_path, "a.txt", b"new2")
    assert (one.name, two.name) == ("a (1).txt", "a (2).txt")
    assert (tmp_path / "a.txt").read_bytes() == b"old"
    assert two.read_bytes() == b"new2"


def test_planted_symlink_is_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    downloads = tmp_path / "dl"
    downloads.mkdir()
    (downloads / "invoice.pdf").symlink_to(outside)
    (downloads / "dangling.pdf").symlink_to(tmp_path / "does-not-exist")

    saved = save_attachment(downloads, "invoice.pdf", b"attack")
    dangling = save_attachment(downloads, "dangling.pdf", b"attack")

    assert outside.read_bytes() == b"precious"
    assert not (tmp_path / "does-not-exist").exists()
    assert saved.name == "invoice (1).pdf" and not saved.is_symlink()
    assert dangling.name == "dangling (1).pdf"


def test_overwrite_replaces_the_symlink_not_its_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    downloads = tmp_path / "dl"
    downloads.mkdir()
    (downloads / "x.txt").symlink_to(outside)

    path = save_attachment(downloads, "x.txt", b"fresh", overwrite=True)

    assert outside.read_bytes() == b"precious"
    assert not path.is_symlink() and path.read_bytes() == b"fresh"
    assert _entries(downloads) == {"x.txt"}


def test_missing_directory_is_created_and_tilde_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = save_attachment(Path("~/Downloads/mail"), "n.txt", b"ok")
    assert path == (tmp_path / "Downloads" / "mail" / "n.txt").resolve()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_directory_raises_and_leaves_nothing(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(PermissionError):
        save_attachment(locked, "a.txt", b"x")


def test_numbered_name_keeps_the_extension() -> None:
    assert numbered_name("a.tar.gz", 2) == "a.tar (2).gz"
    assert numbered_name("README", 1) == "README (1)"
