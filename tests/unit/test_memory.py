"""The allocator tuning (tui_mail/memory.py) changes what glibc does with big blocks."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap

import pytest

#: In a fresh interpreter: free a 1 MB block (glibc then raises its mmap threshold to
#: 1 MB unless it is fixed), then allocate 200 KB and report whether that went to mmap
#: (a block the system gets back on free) by the growth of mallinfo2().hblkhd.
PROBE = textwrap.dedent(
    """
    import ctypes, sys
    from tui_mail.memory import limit_allocator_retention

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
            "fsmblks", "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2
    if sys.argv[1] == "tuned":
        assert limit_allocator_retention()
    big = bytearray(1 << 20)
    del big
    before = libc.mallinfo2().hblkhd
    block = bytearray(200 * 1024)
    print(libc.mallinfo2().hblkhd - before >= 200 * 1024)
    """
)


def _mapped(mode: str) -> bool:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip() == "True"


@pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the tuning is for glibc's malloc only"
)
def test_big_blocks_stay_mapped_after_a_bigger_one_is_freed() -> None:
    assert _mapped("tuned")
    assert not _mapped("default"), "glibc no longer raises its threshold: tuning not needed"
