"""Capped exponential backoff between reconnect attempts (the worker, IDLE, the service).

Its own module so the IDLE watcher and the service need not import the account
worker for one small class (that import closed a cycle).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Capped exponential delays: ``initial``, x2, ... up to ``maximum`` seconds."""

    initial: float = 1.0
    maximum: float = 60.0
    _next: float = field(default=0.0, repr=False)

    def next_delay(self) -> float:
        """The delay before the next attempt (grows each call)."""
        delay = self._next or self.initial
        self._next = min(delay * 2, self.maximum)
        return delay

    def reset(self) -> None:
        """Back to ``initial`` after a success."""
        self._next = 0.0
