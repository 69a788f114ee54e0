"""Clocks the console reads "now" from, so tests can move time by hand."""
from __future__ import annotations

import time


class SystemClock:
    """Wall-clock UTC nanoseconds."""

    def now_ns(self) -> int:
        return time.time_ns()


class FakeClock:
    """A clock that only moves when told to (tests, replays)."""

    def __init__(self, start_ns: int = 1_700_000_000 * 10**9) -> None:
        self._t_ns = int(start_ns)

    def now_ns(self) -> int:
        return self._t_ns

    def advance(self, seconds: float) -> None:
        self._t_ns += int(round(seconds * 1e9))

    def set(self, t_ns: int) -> None:
        self._t_ns = int(t_ns)
