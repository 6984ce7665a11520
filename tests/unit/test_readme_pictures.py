"""The README's pictures: each is a current snapshot baseline whose spaces every renderer keeps."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tui_mail.ui.screenshot import preserve_spaces

ROOT = Path(__file__).resolve().parents[2]
PICTURES = re.findall(r"!\[[^\]]*\]\((screenshots/[^)]+\.svg)\)", (ROOT / "README.md").read_text())


def test_the_readme_shows_snapshot_baselines() -> None:
    assert len(PICTURES) >= 4
    for picture in PICTURES:
        path = ROOT / picture
        assert path.is_file(), picture
        test_name = path.stem
        module = ROOT / "tests" / "ui" / f"{path.parent.name}.py"
        assert f"def {test_name}(" in module.read_text(), f"{picture}: no test makes it"


@pytest.mark.parametrize("picture", PICTURES)
def test_each_picture_keeps_its_spaces(picture: str) -> None:
    svg = (ROOT / picture).read_text()
    assert re.match(r'\s*<svg xml:space="preserve" ', svg), picture


def test_preserve_spaces_marks_the_root_once() -> None:
    svg = '<svg class="rich-terminal" viewBox="0 0 10 10"><text x="5">&#160;7</text></svg>'
    marked = preserve_spaces(svg)
    assert marked.startswith('<svg xml:space="preserve" class="rich-terminal"')
    assert preserve_spaces(marked) == marked


def leftmost_ink(png: bytes) -> int:
    """The first pixel column with any ink in an 8-bit RGBA PNG (rsvg-convert's output)."""
    width, height = struct.unpack(">II", png[16:24])
    assert png[24:26] == bytes([8, 6]), "8-bit RGBA"
    data, offset = b"", 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        if png[offset + 4 : offset + 8] == b"IDAT":
            data += png[offset + 8 : offset + 8 + length]
        offset += 12 + length
    raw, stride, previous, first = zlib.decompress(data), width * 4, bytearray(width * 4), width
    for row in range(height):
        kind, line = (
            raw[row * (stride + 1)],
            bytearray(raw[row * (stride + 1) + 1 : (row + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - 4] if i >= 4 else 0
            up, corner = previous[i], previous[i - 4] if i >= 4 else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                near = min(
                    (abs(guess - left), 0, left),
                    (abs(guess - up), 1, up),
                    (abs(guess - corner), 2, corner),
                )
                line[i] = (line[i] + near[2]) & 255
        first = min([first] + [i // 4 for i in range(3, stride, 4) if line[i]])
        previous = line
    return first


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="needs librsvg2-bin")
def test_rsvg_draws_a_leading_space_only_when_preserved(tmp_path: Path) -> None:
    """Why the attribute: librsvg drops the leading U+00A0s of a ``<text>`` without it."""

    def ink_starts(svg: str) -> int:
        (tmp_path / "t.svg").write_text(svg)
        png = subprocess.run(
            ["rsvg-convert", "--format", "png", str(tmp_path / "t.svg")],
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
        return leftmost_ink(png)

    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="30" font-size="20"'
        ' font-family="monospace"><text x="0" y="20">&#160;&#160;&#160;&#160;7</text></svg>'
    )
    assert ink_starts(svg) < 12, "this librsvg keeps leading spaces: the attribute may go"
    assert ink_starts(preserve_spaces(svg)) >= 40, "four cells of 12 px before the 7"
