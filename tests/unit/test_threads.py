"""JWZ threading and its flattening into glyph rows (tui_mail.mail.threads)."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from tui_mail.mail.threads import (
    ThreadRecord,
    base_subject,
    flatten_threads,
    records_from_summaries,
    subject_key,
    thread_messages,
)
from tui_mail.models import MessageSummary


def rec(
    uid: int,
    msg_id: str = "",
    refs: tuple[str, ...] = (),
    subject: str = "s",
    date: float | None = None,
    irt: str = "",
) -> ThreadRecord:
    return ThreadRecord(uid, msg_id, irt, refs, subject, float(uid) if date is None else date)


def layout(records: list[ThreadRecord], descending: bool = True, collapsed=frozenset()):
    flat = flatten_threads(thread_messages(records), descending, collapsed)
    return [
        (prefix, uid, depth)
        for uid, depth, prefix in zip(flat.uids, flat.depths, flat.prefixes, strict=True)
    ], flat


def test_known_tree_draws_expected_glyphs() -> None:
    records = [
        rec(1, "<a>", subject="Plan"),
        rec(2, "<b>", ("<a>",), "Re: Plan"),
        rec(3, "<c>", ("<a>", "<b>"), "Re: Plan"),
        rec(4, "<d>", ("<a>", "<b>", "<c>"), "Re: Plan"),
        rec(5, "<e>", ("<a>",), "Re: Plan"),
        rec(6, "<f>", ("<a>", "<b>"), "Re: Plan"),
        rec(7, "<g>", subject="Other", date=0.5),
    ]
    rows, _ = layout(records)
    assert rows == [
        ("", 1, 0),
        ("├─", 2, 1),
        ("│ ├─", 3, 2),
        ("│ │ └─", 4, 3),
        ("│ └─", 6, 2),
        ("└─", 5, 1),
        ("", 7, 0),
    ]


def test_threads_order_by_newest_message_children_oldest_first() -> None:
    records = [
        rec(1, "<a>", date=10),
        rec(2, "<b>", ("<a>",), date=50),  # makes thread <a> the newest
        rec(3, "<c>", ("<a>",), date=20),
        rec(4, "<d>", date=40),
    ]
    rows, _ = layout(records, descending=True)
    assert [uid for _, uid, _ in rows] == [1, 3, 2, 4]
    rows, _ = layout(records, descending=False)
    assert [uid for _, uid, _ in rows] == [4, 1, 3, 2]


def test_collapsed_root_hides_replies_and_counts_them() -> None:
    records = [rec(1, "<a>"), rec(2, "<b>", ("<a>",)), rec(3, "<c>", ("<a>", "<b>")), rec(4, "<d>")]
    rows, flat = layout(records, collapsed=frozenset({1}))
    assert [uid for _, uid, _ in rows] == [4, 1]
    assert flat.hidden == {1: 2}


def test_in_reply_to_alone_links_the_parent() -> None:
    rows, _ = layout([rec(1, "<a>"), rec(2, "<b>", irt="<a>")])
    assert rows == [("", 1, 0), ("└─", 2, 1)]


def test_reference_loop_keeps_every_message_once() -> None:
    records = [
        rec(1, "<a>", ("<b>",)),
        rec(2, "<b>", ("<a>",)),
        rec(3, "<c>", ("<c>",)),  # references itself
        rec(4, "<d>", ("<e>", "<d>", "<e>")),
    ]
    rows, _ = layout(records)
    assert sorted(uid for _, uid, _ in rows) == [1, 2, 3, 4]


def test_duplicate_and_missing_message_ids_keep_every_message() -> None:
    records = [
        rec(1, "<same>"),
        rec(2, "<same>"),
        rec(3, ""),
        rec(4, ""),
        rec(5, "<r>", ("<same>",)),
    ]
    rows, _ = layout(records)
    assert sorted(uid for _, uid, _ in rows) == [1, 2, 3, 4, 5]
    # The reply threads under the first holder of the ID.
    assert ("└─", 5, 1) in rows and rows[rows.index(("└─", 5, 1)) - 1][1] == 1


def test_replies_to_a_missing_parent_are_kept_together_under_the_oldest() -> None:
    records = [
        rec(1, "<x>", ("<gone>",), "Re: lost", date=5),
        rec(2, "<y>", ("<gone>",), "Re: lost", date=3),
        rec(3, "<z>", ("<gone>", "<x>"), "Re: lost", date=9),
    ]
    rows, _ = layout(records)
    assert rows == [("", 2, 0), ("└─", 1, 1), ("  └─", 3, 2)]


def test_subject_grouping_only_joins_replies() -> None:
    records = [
        rec(1, "<a>", subject="Lunch?"),
        rec(2, "<b>", subject="Re: lunch?"),  # no references, but a reply: joins
        rec(3, "<c>", subject="Lunch?"),  # same subject, not a reply: its own thread
        rec(4, "<d>", subject="AW: [team] LUNCH?"),
    ]
    rows, _ = layout(records, descending=False)
    assert rows == [("", 3, 0), ("", 1, 0), ("├─", 2, 1), ("└─", 4, 1)]


def test_deep_chain_does_not_recurse() -> None:
    depth = 5000
    records = [rec(1, "<m1>")]
    for uid in range(2, depth + 1):
        records.append(rec(uid, f"<m{uid}>", irt=f"<m{uid - 1}>"))
    rows, _ = layout(records)
    assert [uid for _, uid, _ in rows] == list(range(1, depth + 1))
    assert rows[-1][2] == depth - 1


def test_base_subject_strips_prefixes_and_tags() -> None:
    assert base_subject("Re: Fwd: AW: WG: Hallo") == ("Hallo", True)
    assert base_subject("Fwd: Hallo") == ("Hallo", False)
    assert base_subject("[python-dev] Re[2]:  Hallo   Welt (fwd)") == ("Hallo Welt", True)
    assert base_subject("SV: Re(3): x") == ("x", True)
    assert base_subject("Regarding: x") == ("Regarding: x", False)
    assert base_subject("[only a tag]") == ("[only a tag]", False)
    assert subject_key("RE: Straße") == "strasse"
    assert subject_key("Fwd: Ĉu vi ŝatas?") == "cu vi satas?"
    assert base_subject("Re: " * 100 + "x")[0].startswith("Re:")  # bounded work


def test_records_from_summaries_uses_timestamps() -> None:
    summary = MessageSummary(
        "acct", "INBOX", 7, date=datetime(2024, 1, 1, tzinfo=UTC), message_id="<a>"
    )
    (record,) = records_from_summaries([summary, MessageSummary("acct", "INBOX", 8)])[:1]
    assert record == ThreadRecord(7, "<a>", "", (), "", 1704067200.0)
    assert records_from_summaries([MessageSummary("acct", "INBOX", 8)])[0].date is None


ids = st.sampled_from([f"<{n}>" for n in range(8)] + [""])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(ids, st.lists(ids, max_size=4), ids, st.sampled_from(["a", "Re: a", "b"])),
        max_size=20,
    )
)
def test_any_input_yields_each_message_exactly_once(raw) -> None:
    records = [
        ThreadRecord(uid, mid, irt, tuple(refs), subj, float(uid % 3))
        for uid, (mid, refs, irt, subj) in enumerate(raw, 1)
    ]
    rows, flat = layout(records)
    assert sorted(uid for _, uid, _ in rows) == list(range(1, len(records) + 1))
    for (prefix, _, depth), (_, _, prev_depth) in zip(rows[1:], rows, strict=False):
        assert depth <= prev_depth + 1
        assert (depth == 0) == (prefix == "")


def make_mailing_list(count: int, seed: int = 7) -> list[ThreadRecord]:
    """A list-like folder: thread starters and replies with full References chains."""
    rng = random.Random(seed)
    records: list[ThreadRecord] = []
    chains: list[tuple[str, ...]] = []
    for uid in range(1, count + 1):
        msg_id = f"<{uid}@example.org>"
        if chains and rng.random() < 0.75:
            parent = rng.choice(chains[-2000:])
            refs = (*parent[-20:],)
            starter = int(parent[0][1:].split("@")[0])
            subject = f"Re: topic {starter % 5000}"
        else:
            refs = ()
            subject = f"topic {uid % 5000}"
        records.append(ThreadRecord(uid, msg_id, refs[-1] if refs else "", refs, subject, uid))
        chains.append((*refs, msg_id))
    return records


def test_threading_100k_messages_is_fast() -> None:
    records = make_mailing_list(100_000)
    started = time.perf_counter()
    roots = thread_messages(records)
    flat = flatten_threads(roots)
    elapsed = time.perf_counter() - started
    print(f"\nthread+flatten 100k: {elapsed * 1000:.0f} ms, {len(roots)} threads")
    assert len(flat.uids) == 100_000
    assert elapsed < 1.5 * 3  # target 1.5 s; 3x slack for a busy 2-core CI
