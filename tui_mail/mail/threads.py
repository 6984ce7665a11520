"""JWZ threading (https://www.jwz.org/doc/threading.html), pure and iterative.

Input: lightweight :class:`ThreadRecord` rows (what the cache holds per message).
Output: thread trees of :class:`ThreadNode` holding only real messages, and a
flattening into display rows with tree glyphs (:func:`flatten_threads`).

Robust to what real mail does: reference loops, duplicate or missing
Message-IDs, references to messages we do not have. Nothing recurses, so a
10,000-deep reply chain cannot hit the recursion limit.
"""

from __future__ import annotations

import gc
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from tui_mail.models import MessageSummary

# Reply/forward prefixes as mail clients in various languages write them:
# Re, Fwd, Fw, AW/WG (German), SV/VS (Nordic), Antw (Dutch), Rif (Italian),
# optionally counted ("Re[2]:", "Re(3):"), plus list tags like "[python-dev]".
_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)*(re|fwd?|aw|wg|sv|vs|antw|rif|tr)\s*(?:\[\d+\]|\(\d+\))?\s*:",
    re.IGNORECASE,
)
_LIST_TAG = re.compile(r"^\s*(?:\[[^\]]*\]\s*)+")
_TRAILER = re.compile(r"\s*\((?:fwd|fw)\)\s*$", re.IGNORECASE)
_REPLY_WORDS = frozenset({"re", "aw", "sv", "vs", "antw", "rif"})
_SPACES = re.compile(r"\s+")
# Combining marks (the accents NFKD splits off), in the blocks real names use.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def base_subject(subject: str) -> tuple[str, bool]:
    """The subject without reply/forward prefixes and list tags, and whether it was a reply.

    ``"[list] Re: AW: Fwd: Hello (fwd)"`` -> ``("Hello", True)``. Whitespace is
    collapsed; case is kept (callers fold it when they compare).
    """
    text = _TRAILER.sub("", subject)
    is_reply = False
    for _ in range(32):  # bounded: a hostile subject cannot spin us
        match = _PREFIX.match(text)
        if match is None:
            break
        if match.group(1).lower() in _REPLY_WORDS:
            is_reply = True
        text = text[match.end() :]
    stripped = _LIST_TAG.sub("", text)
    if stripped.strip():  # a subject that is only "[tag]" keeps its tag
        text = stripped
    return _SPACES.sub(" ", text).strip(), is_reply


def sort_fold(text: str) -> str:
    """A key that sorts text the way people expect: case-folded, accents dropped.

    ``"Çelik"`` -> ``"celik"``, so it sorts among the c's, not after z.
    """
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


def subject_key(subject: str) -> str:
    """The sort/grouping key of a subject: base subject, case- and accent-folded."""
    return sort_fold(base_subject(subject)[0])


class ThreadRecord(NamedTuple):
    """What threading needs to know about one message."""

    uid: int
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    subject: str
    date: float | None
    """UTC unix seconds; None when the message had no usable date."""


def records_from_summaries(summaries: Iterable[MessageSummary]) -> list[ThreadRecord]:
    """Adapt :class:`MessageSummary` objects to threading input."""
    return [
        ThreadRecord(
            s.uid,
            s.message_id,
            s.in_reply_to,
            s.references,
            s.subject,
            s.date.timestamp() if s.date is not None else None,
        )
        for s in summaries
    ]


class ThreadNode:
    """A message in a thread tree; children sorted oldest first.

    While threading runs, a node may be an empty placeholder (``record`` None)
    for a referenced message we do not have; none is left in the result.
    """

    __slots__ = ("children", "date", "newest", "parent", "record", "uid")

    def __init__(self, record: ThreadRecord | None = None) -> None:
        self.record = record
        self.uid = record.uid if record is not None else 0
        """The message's UID (0 for a placeholder)."""
        self.date = (record.date or 0.0) if record is not None else 0.0
        """The message's date as a timestamp; 0.0 when it has none."""
        self.parent: ThreadNode | None = None
        """Used while threading; None in the result (so trees hold no reference cycles)."""
        self.children: list[ThreadNode] = []
        self.newest: tuple[float, int] = (0.0, 0)
        """On a result root: (date, uid) of the newest message in its thread."""

    def fill(self, record: ThreadRecord) -> None:
        """Turn a placeholder into the node of the message that arrived."""
        self.record = record
        self.uid = record.uid
        self.date = record.date or 0.0

    def __repr__(self) -> str:
        return f"ThreadNode(uid={self.uid}, children={len(self.children)})"


def _is_ancestor(candidate: ThreadNode, node: ThreadNode) -> bool:
    """True when ``candidate`` is ``node`` or one of its ancestors."""
    walker: ThreadNode | None = node
    while walker is not None:
        if walker is candidate:
            return True
        walker = walker.parent
    return False


def _link(parent: ThreadNode, child: ThreadNode) -> None:
    if child.parent is not None:
        child.parent.children.remove(child)
    child.parent = parent
    parent.children.append(child)


def _build_containers(records: Iterable[ThreadRecord]) -> list[ThreadNode]:
    """JWZ steps 1-2: link every message under its references; return the root set."""
    by_id: dict[str, ThreadNode] = {}
    every: list[ThreadNode] = []
    for record in records:
        msg_id = record.message_id.strip()
        container = by_id.get(msg_id) if msg_id else None
        if container is None or container.record is not None:
            # Missing or duplicate Message-ID: the message still gets its own node.
            container = ThreadNode(record)
            every.append(container)
            if msg_id and msg_id not in by_id:
                by_id[msg_id] = container
        else:
            container.fill(record)
        refs = list(record.references)
        irt = record.in_reply_to.strip()
        if irt and (not refs or refs[-1] != irt):
            refs.append(irt)
        previous: ThreadNode | None = None
        for ref in refs:
            ref = ref.strip()
            if not ref:
                continue
            ref_container = by_id.get(ref)
            if ref_container is None:
                ref_container = by_id[ref] = ThreadNode()
                every.append(ref_container)
            # Keep links other messages already made; never close a loop.
            if (
                previous is not None
                and ref_container.parent is None
                and not _is_ancestor(ref_container, previous)
            ):
                _link(previous, ref_container)
            previous = ref_container
        # The message's own last reference is its parent, overriding earlier guesses.
        # (Unlike JWZ, a message without references keeps a parent others gave it.)
        if (
            previous is not None
            and previous is not container.parent
            and not _is_ancestor(container, previous)
        ):
            _link(previous, container)
    return [container for container in every if container.parent is None]


def _prune(roots: list[ThreadNode]) -> list[ThreadNode]:
    """JWZ step 4: drop empty containers, promoting their children (iteratively)."""
    new_roots: list[ThreadNode] = []
    for root in roots:
        stack = [root]
        while stack:
            node = stack.pop()
            children = node.children
            if not children:
                continue
            for child in children:
                if child.record is None:
                    break
            else:
                stack.extend(children)  # the common case: nothing to promote
                continue
            kept: list[ThreadNode] = []
            pending = list(children)
            while pending:
                child = pending.pop()
                if child.record is None:
                    pending.extend(child.children)  # promote grandchildren
                else:
                    kept.append(child)
            node.children = kept
            for child in kept:
                child.parent = node
            stack.extend(kept)
        if root.record is None:
            # An empty root with one child is just that child; with several, the
            # children are kept together (they share a lost parent).
            if not root.children:
                continue
            if len(root.children) == 1:
                only = root.children[0]
                only.parent = None
                new_roots.append(only)
                continue
        new_roots.append(root)
    return new_roots


def _root_subject(container: ThreadNode) -> str:
    if container.record is not None:
        return container.record.subject
    return container.children[0].record.subject if container.children[0].record else ""


def _group_by_subject(roots: list[ThreadNode]) -> list[ThreadNode]:
    """JWZ step 5, restricted: only a root whose subject says "Re:" joins another root."""
    table: dict[str, tuple[ThreadNode, bool]] = {}
    keyed: list[tuple[ThreadNode, str, bool]] = []
    for root in roots:
        base, is_reply = base_subject(_root_subject(root))
        key = base.casefold()
        keyed.append((root, key, is_reply))
        if not key:
            continue
        held = table.get(key)
        # Prefer a non-reply root as the thread start, else the first seen.
        if held is None or (held[1] and not is_reply):
            table[key] = (root, is_reply)
    result: list[ThreadNode] = []
    for root, key, is_reply in keyed:
        held = table.get(key) if key and is_reply else None
        if held is not None and held[0] is not root:
            _link(held[0], root)
        else:
            result.append(root)
    return result


def _finish(root: ThreadNode) -> ThreadNode:
    """Sort children oldest first, dissolve placeholders, resolve an empty root."""
    if root.record is None:
        # Several replies to a message we do not have: the oldest stands in as root.
        children = sorted(_dissolve(root.children), key=_container_sort_key)
        root = children[0]
        root.children.extend(children[1:])
        for child in children[1:]:
            child.parent = root
    newest = (0.0, 0)
    stack = [root]
    while stack:
        node = stack.pop()
        node.parent = None
        if node.record is not None and (node.date, node.uid) > newest:
            newest = (node.date, node.uid)
        children = node.children
        if len(children) > 1:
            children = node.children = sorted(_dissolve(children), key=_container_sort_key)
        elif children and children[0].record is None:
            children = node.children = _dissolve(children)
        stack.extend(children)
    root.newest = newest
    return root


def _dissolve(children: list[ThreadNode]) -> list[ThreadNode]:
    """Replace placeholder children (merged in by subject) by their own children."""
    while any(child.record is None for child in children):
        children = [
            grandchild
            for child in children
            for grandchild in (child.children if child.record is None else [child])
        ]
    return children


def _container_sort_key(container: ThreadNode) -> tuple[float, int]:
    if container.record is None:
        return (float("inf"), 0)
    return (container.date, container.uid)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC while building many long-lived objects at once.

    Threading makes a few objects per message that all stay alive; the collector
    rescanning them every few thousand allocations doubles the run time. Nested
    pauses are fine: only the outermost one resumes collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def thread_messages(records: Iterable[ThreadRecord]) -> list[ThreadNode]:
    """Group messages into threads (JWZ). Returns roots in no particular order."""
    with paused_gc():
        roots = _build_containers(records)
        roots = _prune(roots)
        roots = _group_by_subject(roots)
        return [_finish(root) for root in roots if root.record is not None or root.children]


@dataclass(slots=True)
class FlatThreads:
    """Threads flattened to display rows: parallel arrays indexed by row number."""

    uids: array[int]
    depths: array[int]
    prefixes: list[str]
    hidden: dict[int, int]
    """Root uid -> number of replies folded under it (collapsed threads only)."""


def _newest_of(root: ThreadNode) -> tuple[float, int]:
    return root.newest


def _count(root: ThreadNode) -> int:
    total, stack = 0, list(root.children)
    while stack:
        node = stack.pop()
        total += 1
        stack.extend(node.children)
    return total


def flatten_threads(
    roots: Sequence[ThreadNode],
    descending: bool = True,
    collapsed: frozenset[int] = frozenset(),
) -> FlatThreads:
    """Order threads by their newest message and lay them out with tree glyphs.

    Children are shown oldest first. A root uid in ``collapsed`` hides its replies;
    ``hidden`` then says how many.
    """
    with paused_gc():
        return _flatten(roots, descending, collapsed)


def _flatten(
    roots: Sequence[ThreadNode], descending: bool, collapsed: frozenset[int]
) -> FlatThreads:
    ordered = sorted(roots, key=_newest_of, reverse=descending)
    flat = FlatThreads(array("q"), array("l"), [], {})
    # Bound methods in locals: this loop runs once per message (100,000s).
    add_uid, add_depth, add_prefix = flat.uids.append, flat.depths.append, flat.prefixes.append
    for root in ordered:
        add_uid(root.uid)
        add_depth(0)
        add_prefix("")
        kids = root.children
        if not kids:
            continue
        if root.uid in collapsed:
            flat.hidden[root.uid] = _count(root)
            continue
        # Stack of (node, depth, indent of its ancestors, is the last sibling).
        stack = [(kid, 1, "", False) for kid in reversed(kids)]
        stack[0] = (kids[-1], 1, "", True)
        while stack:
            node, depth, indent, last = stack.pop()
            add_uid(node.uid)
            add_depth(depth)
            add_prefix(indent + ("└─" if last else "├─"))
            kids = node.children
            if kids:
                inner = indent + ("  " if last else "│ ")
                below = depth + 1
                stack.append((kids[-1], below, inner, True))
                if len(kids) > 1:
                    stack.extend([(kid, below, inner, False) for kid in reversed(kids[:-1])])
    return flat
