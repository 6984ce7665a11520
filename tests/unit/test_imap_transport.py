"""The IMAP transport: its pinned imapclient/imaplib private names still exist, nobody
else uses them, and its read bounds hold."""

from __future__ import annotations

import imaplib
import inspect
import io
import re
import tomllib
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import pytest

from tui_mail.backend.imap import transport

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tui_mail"


def _label(pinned: transport.Pinned) -> str:
    return f"{getattr(pinned.owner, '__name__', pinned.owner)}.{pinned.name}"


@pytest.mark.parametrize("pinned", transport.PINNED, ids=_label)
def test_each_pinned_private_name_exists_in_the_installed_library(
    pinned: transport.Pinned,
) -> None:
    if pinned.instance:
        # Set on objects, not classes: look for the assignment in the class's source.
        source = inspect.getsource(pinned.owner)
        assert re.search(rf"self\.{pinned.name}\s*=", source), (
            f"{_label(pinned)} is no longer set: rework tui_mail/backend/imap/transport.py"
        )
        return
    assert hasattr(pinned.owner, pinned.name), f"{_label(pinned)} is gone"
    if pinned.params:
        params = inspect.signature(getattr(pinned.owner, pinned.name)).parameters
        missing = [p for p in pinned.params if p not in params]
        assert not missing, f"{_label(pinned)} lost parameters {missing}"


def test_the_pin_in_pyproject_is_the_installed_imapclient() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = [d for d in pyproject["project"]["dependencies"] if d.lower().startswith("imapclient")]
    assert pins == [f"imapclient=={version('imapclient')}"]


def test_the_transport_pins_every_private_name_it_uses() -> None:
    source = (PACKAGE / "backend" / "imap" / "transport.py").read_text()
    used = set(re.findall(r"(?:\._imap|imapclient_module|imap|client)\.(_[a-z]\w*)", source))
    pinned = {p.name for p in transport.PINNED}
    assert used, "the pattern no longer finds the private names"
    assert used <= pinned, f"used but not in PINNED: {sorted(used - pinned)}"


def test_no_other_module_uses_imapclient_or_imaplib_private_names() -> None:
    names = {p.name for p in transport.PINNED if p.name.startswith("_")}
    names |= {"untagged_responses", "_MAXLINE"}
    pattern = re.compile(  # ``self._literal`` of our own classes is no match
        r"(?<!self)\.(?:" + "|".join(sorted(names)) + r")\b"
        r"|from imap(?:client|lib)[\w.]* import[^\n]*\b_\w"
        r"|\bimaplib\._"
    )
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "transport.py" and path.parent.name == "imap":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def _client(data: bytes) -> SimpleNamespace:
    """Just enough of IMAPClient for :func:`transport.harden`: ``_imap`` with a file."""
    stream = io.BytesIO(data)
    imap = SimpleNamespace(file=stream, read=stream.read, readline=stream.readline)
    return SimpleNamespace(_imap=imap)


def test_harden_refuses_an_over_long_line_but_reads_a_long_one() -> None:
    long_line = b"* 1 FETCH (" + b"x" * (2 * 1024 * 1024) + b")\r\n"
    client = _client(long_line + b"y" * (transport.MAX_LINE_BYTES + 10) + b"\r\n")
    transport.harden(client)  # type: ignore[arg-type]
    assert client._imap.readline() == long_line  # over imaplib's own 1 MB cap
    with pytest.raises(imaplib.IMAP4.abort, match="over"):
        client._imap.readline()


def test_harden_refuses_a_huge_literal_before_reading_it() -> None:
    client = _client(b"abc")
    transport.harden(client)  # type: ignore[arg-type]
    assert client._imap.read(3) == b"abc"
    with pytest.raises(imaplib.IMAP4.abort, match="literal"):
        client._imap.read(transport.MAX_LITERAL_BYTES + 1)


def test_literal_marks_bytes_for_sending_as_a_literal() -> None:
    marked = transport.literal(b"x\r\ny")
    assert marked == b"x\r\ny"
    assert transport.is_literal(marked)
    assert not transport.is_literal(b"x")
