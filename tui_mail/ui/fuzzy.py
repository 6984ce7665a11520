"""Fuzzy subsequence matching for pickers and completion (Textual's matcher, ranked)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.fuzzy import Matcher


def fuzzy_filter(query: str, candidates: Sequence[str], limit: int | None = None) -> list[str]:
    """Candidates matching ``query`` as a subsequence (case-insensitive), best first.

    An empty query keeps every candidate in its order; among equal scores the
    shorter one wins (``Archive`` before ``Archive/2023``), then the given
    order. ``limit`` caps the result.
    """
    if not query:
        return list(candidates[:limit] if limit is not None else candidates)
    matcher = Matcher(query)
    scored = [(matcher.match(name), index, name) for index, name in enumerate(candidates)]
    hits = [item for item in scored if item[0] > 0]
    hits.sort(key=lambda item: (-item[0], len(item[2]), item[1]))
    names = [name for _score, _index, name in hits]
    return names[:limit] if limit is not None else names
