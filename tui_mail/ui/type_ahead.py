"""Keys typed ahead are handled one at a time, in order, by whoever has focus then (#21).

Why this exists: Textual's ``App.on_event`` forwards each key to the widget
focused *when the app reads it* by posting it on that widget's queue. A burst
(a paste followed by Tab, ``send-keys`` over ssh, a fast typist) is read in one
go, so every key of ``bob@x<Tab><Tab>Hello<Tab>body`` was queued on the To field
before the first Tab had bubbled up to the screen's ``focus_next`` binding: To
received all of it. The fix is at the routing: :class:`KeyGate` lets one key
(or paste) through, follows it up the DOM with a callback behind it on each
node's queue (the key bubbles, and the app's bindings run last), and only then
routes the next one, to the widget focused *now*.

It also waits, before routing a key, for a screen that was just pushed or
popped to finish mounting and take its focus, and for a focused widget that
says it is not ready (:class:`WaitsForContent`, e.g. the message list before
its first rows) to become ready. A watchdog lets keys flow again if a step
never reports (a node removed with the callback on its queue), so typing can
never stall for good. Nothing here blocks the loop: waiting is a deque and
callbacks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol, runtime_checkable
from weakref import WeakKeyDictionary

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.screen import Screen
from textual.timer import Timer

STEP_TIMEOUT = 1.0
"""Seconds one key (or a screen's mount) may take before the next key goes anyway."""
READY_TIMEOUT = 5.0
"""Seconds a not-ready widget (or an announced screen) may hold the keys typed ahead."""

_GATES: WeakKeyDictionary[App[Any], KeyGate] = WeakKeyDictionary()


@runtime_checkable
class WaitsForContent(Protocol):
    """A focusable widget that should get typed-ahead keys only once its content is there."""

    def when_ready_for_keys(self, resume: Callable[[], None]) -> bool:
        """True (and call ``resume`` later, once) when keys must wait; False when ready now."""
        ...


def expect_screen(node: DOMNode) -> None:
    """Keys typed from now on wait for the next screen (one opened from a worker).

    For actions whose screen comes later than their key (the compose screen is
    built in a worker): the keys after ``c`` belong to it, not to the list. Whoever
    opens the screen calls :meth:`KeyGate.no_screen_coming` if it does not.
    """
    gate = _GATES.get(node.app)
    if gate is not None:
        gate.expect_screen()


class KeyGate:
    """Routes an app's keys and pastes one at a time (see the module docstring).

    The app calls :meth:`admit` first thing in ``on_event``; when it returns
    True the event is the gate's and the app does nothing more with it.
    """

    def __init__(self, app: App[Any], deliver: Callable[[events.Event], Any]) -> None:
        """``deliver(event)`` is Textual's own ``App.on_event`` (an awaitable)."""
        self.app = app
        self._deliver = deliver
        self._waiting: deque[events.Key | events.Paste] = deque()
        self._busy = False
        """A key is on its way, or the gate waits for a screen or a widget."""
        self._step = 0
        """Counts steps, so a late callback of a step already given up on does nothing."""
        self._ready_screen: Screen[Any] | None = None
        self._expecting: Screen[Any] | None = None
        """Set by :meth:`expect_screen`: the screen that was current then."""
        self._expect_step = 0
        self._subscribed = False
        self._watchdog: Timer | None = None
        _GATES[app] = self

    def admit(self, event: events.Event) -> bool:
        """Take a fresh key or paste from the terminal; False for anything else."""
        if not isinstance(event, (events.Key, events.Paste)) or event.is_forwarded:
            return False
        self._waiting.append(event)
        if not self._busy:
            self._next()
        return True

    def expect_screen(self) -> None:
        """Hold the keys until the current screen is replaced (or READY_TIMEOUT)."""
        self._expecting = self.app.screen
        if not self._subscribed:
            self._subscribed = True
            self.app.screen_change_signal.subscribe(self.app, self._screen_changed)
        if not self._busy:
            self._busy = True
            self._expect_step = self._wait(READY_TIMEOUT)

    def no_screen_coming(self) -> None:
        """What :meth:`expect_screen` waited for will not come (the action failed): go on."""
        if self._expecting is not None:
            self._expecting = None
            self._next(self._expect_step)

    # ------------------------------------------------------------------ the steps

    def _next(self, step: int | None = None) -> None:
        """Route the next waiting event, once the screen and the focused widget are ready."""
        if step is not None and step != self._step:
            return  # a callback of a step the watchdog already gave up on
        self._stop_watchdog()
        self._busy = False
        if self._expecting is not None:
            if self.app.screen is self._expecting:
                self._busy = True
                self._expect_step = self._wait(READY_TIMEOUT)
                return
            self._expecting = None
        if not self._waiting:
            return
        self._busy = True
        screen = self.app.screen
        if screen is not self._ready_screen:
            # A screen just pushed (or shown again) mounts and takes its focus from
            # messages already on its queue; a callback behind them runs after both.
            step = self._wait(STEP_TIMEOUT)
            if screen.call_later(self._screen_ready, screen, step):
                return
        target = self.app.focused
        if isinstance(target, WaitsForContent):
            step = self._wait(READY_TIMEOUT)
            if target.when_ready_for_keys(partial(self._next, step)):
                return
        step = self._wait(STEP_TIMEOUT)
        self.app.call_later(self._route, step)

    def _screen_ready(self, screen: Screen[Any], step: int) -> None:
        if step == self._step:
            self._ready_screen = screen
            self._next(step)

    def _screen_changed(self, _screen: Screen[Any]) -> None:
        if self._expecting is not None and self.app.screen is not self._expecting:
            self._expecting = None
            self._next(self._expect_step)

    async def _route(self, step: int) -> None:
        """Hand the oldest event to Textual, then follow it until it is handled."""
        if step != self._step:
            return
        if not self._waiting:
            self._next(step)
            return
        event = self._waiting.popleft()
        target: DOMNode = self.app.focused or self.app.screen
        await self._deliver(event)
        if not event.is_forwarded:  # a priority binding took it: done
            self._next(step)
            return
        if not target.call_later(self._follow, target, step):  # behind the event, on its queue
            self._next(step)

    def _follow(self, node: DOMNode, step: int) -> None:
        """After ``node`` has handled the event: on to its parent, or done at the app."""
        if step != self._step:
            return
        parent = node.parent
        if node is self.app or parent is None:
            self._next(step)
            return
        # The event, unless stopped, is on the parent's queue already (bubbling posts
        # it before returning); this callback goes behind it.
        if not parent.call_later(self._follow, parent, step):
            self._next(step)

    # ------------------------------------------------------------------ the watchdog

    def _wait(self, seconds: float) -> int:
        """Start a step: a new number, and a watchdog that ends it after ``seconds``."""
        self._stop_watchdog()
        self._step += 1
        step = self._step
        self._watchdog = self.app.set_timer(seconds, lambda: self._give_up(step))
        return step

    def _give_up(self, step: int) -> None:
        if step == self._step:
            self._expecting = None
            self._ready_screen = self.app.screen  # waited long enough for it
            self._next(step)

    def _stop_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None
