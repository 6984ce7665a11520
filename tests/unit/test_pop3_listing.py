"""LIST/UIDL answers from a server that cannot be trusted (pure: no sockets)."""

from __future__ import annotations

from tui_mail.backend.pop3.listing import digest_key, header_digest, parse_listing


def test_numbers_sizes_and_uidls() -> None:
    listed, problems = parse_listing(2, [b"1 120", b"2 300"], [b"1 abc", b"2 def"])
    assert [(m.number, m.size, m.key) for m in listed] == [(1, 120, "u:abc"), (2, 300, "u:def")]
    assert problems == []


def test_garbage_lines_are_skipped_and_named() -> None:
    listed, problems = parse_listing(
        3,
        [b"1 10", b"hello world", b"9 10", b"2 -5", b"3 30", b"3 31"],
        [b"1 a", b"2 b", b"3 \x1b[31m", b"x"],
    )
    assert [m.number for m in listed] == [1, 3]  # 2 had no valid size; 9 is past STAT's count
    assert listed[1].uidl is None  # an escape is not a UIDL character
    assert len(problems) >= 4 and all("\x1b" not in p for p in problems)


def test_a_uidl_given_twice_is_trusted_for_neither() -> None:
    listed, problems = parse_listing(3, [b"1 1", b"2 1", b"3 1"], [b"1 same", b"2 same", b"3 c"])
    assert [m.key for m in listed] == [None, None, "u:c"]
    assert any("more than one message" in p for p in problems)


def test_no_uidl_at_all() -> None:
    listed, _ = parse_listing(1, [b"1 5"], None)
    assert listed[0].key is None


def test_uidl_longer_than_70_is_refused() -> None:
    listed, problems = parse_listing(1, [b"1 5"], [b"1 " + b"x" * 71])
    assert listed[0].uidl is None and problems


def test_header_digest_ignores_line_ends() -> None:
    assert header_digest(b"A: 1\r\nB: 2\r\n\r\n") == header_digest(b"A: 1\nB: 2\n")
    assert digest_key(b"A: 1\r\n").startswith("h:")
