"""The pure parts of a sync that cannot wedge (issue 22): no sockets.

- UID lists are compared by a merge walk over packed arrays (never sets of every UID);
- a UID set sent to the server never covers a UID it was not given;
- our recent flag changes outrank a stale answer for a while, then the server's word wins;
- a refused read is tried once in its safer form, then fails with the server's words.
"""

from __future__ import annotations

from array import array

import pytest

from tui_mail.backend.account.local_changes import RecentLocalChanges
from tui_mail.backend.account.sync_reads import split_uids, uid_set, with_safer_form
from tui_mail.errors import ConnectionLost, NotFound, ServerError


def test_split_uids_finds_gone_kept_and_new_newest_first() -> None:
    gone, kept, new = split_uids(array("I", [1, 2, 4, 7, 9]), array("I", [2, 3, 4, 8, 9, 10]))
    assert (list(gone), list(kept), list(new)) == ([1, 7], [2, 4, 9], [10, 8, 3])
    assert all(a.typecode == "I" for a in (gone, kept, new))  # packed: 4 bytes a UID


@pytest.mark.parametrize(
    ("cached", "server"),
    [([], [1, 2]), ([1, 2], []), ([], []), ([5], [5]), ([1, 3], [2, 4])],
)
def test_split_uids_agrees_with_set_arithmetic(cached: list[int], server: list[int]) -> None:
    gone, kept, new = split_uids(cached, server)
    assert list(gone) == sorted(set(cached) - set(server))
    assert list(kept) == sorted(set(cached) & set(server))
    assert list(new) == sorted(set(server) - set(cached), reverse=True)


def test_a_uid_set_joins_only_consecutive_uids() -> None:
    assert uid_set([1, 2, 3, 5, 7, 8]) == "1:3,5,7:8"
    assert uid_set(array("I", [4])) == "4"
    assert uid_set([]) == ""
    assert uid_set([1, 3]) == "1,3"  # never "1:3": a gone UID 2 would be covered


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_stale_answer_within_the_window_keeps_ours_and_is_rechecked() -> None:
    clock = Clock()
    changes = RecentLocalChanges(window=120, clock=clock)
    changes.record("INBOX", [3, 1], ["\\Seen"], add=True)
    assert changes.keeps_ours("INBOX", 1, frozenset())  # the old flags: stale
    assert changes.to_recheck("INBOX") == [1]
    assert not changes.keeps_ours("INBOX", 1, {"\\seen", "\\Flagged"})  # ours, plus news
    assert changes.to_recheck("INBOX") == []
    assert not changes.keeps_ours("INBOX", 2, frozenset())  # not a message we changed
    assert not changes.keeps_ours("Other", 1, frozenset())  # nor in that folder
    clock.now += 121
    assert not changes.keeps_ours("INBOX", 3, frozenset())  # past the window: the server wins


def test_our_last_change_of_a_flag_is_the_one_expected() -> None:
    changes = RecentLocalChanges(clock=Clock())
    changes.record("INBOX", [1], ["\\Seen", "\\Flagged"], add=True)
    changes.record("INBOX", [1], ["\\Seen"], add=False)
    assert not changes.keeps_ours("INBOX", 1, {"\\Flagged"})
    assert changes.keeps_ours("INBOX", 1, {"\\Flagged", "\\Seen"})  # \\Seen removed by us
    changes.forget("INBOX", [1])
    assert changes.to_recheck("INBOX") == []


def test_the_record_of_changes_is_bounded() -> None:
    changes = RecentLocalChanges(clock=Clock(), max_records=3)
    for uid in range(1, 6):
        changes.record("INBOX", [uid], ["\\Seen"], add=True)
    assert [changes.keeps_ours("INBOX", uid, frozenset()) for uid in range(1, 6)] == [
        False, False, True, True, True,
    ]


def test_a_refused_read_is_tried_once_in_its_safer_form() -> None:
    calls: list[str] = []

    def refused(name: str, error: Exception) -> object:
        def call() -> object:
            calls.append(name)
            raise error

        return call

    assert with_safer_form("INBOX", "x", refused("normal", NotFound("no such")), lambda: 7) == 7
    with pytest.raises(ServerError) as failed:
        with_safer_form(
            "INBOX", "flag check",
            refused("normal", ServerError("refused", "BAD one")),
            refused("safer", ServerError("the server refused the command", "BAD two")),
        )
    assert failed.value.details == "BAD two" and "INBOX" in failed.value.summary
    with pytest.raises(ConnectionLost):  # the worker reconnects; no safer form for that
        with_safer_form("INBOX", "x", refused("lost", ConnectionLost("gone")), lambda: 7)
    assert calls == ["normal", "normal", "safer", "lost"]
