"""Time sources.  Services take a clock so tests (and trainers) can move time by hand.

Times are integer UTC nanoseconds since the Unix epoch, like the engine's ``t_ns``.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Protocol

NS_PER_S = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_S


class Clock(Protocol):
    def now_ns(self) -> int: ...


class SystemClock:
    """The wall clock."""

    def now_ns(self) -> int:
        return time.time_ns()


class ManualClock:
    """A clock that only moves when told to (tests, training replays)."""

    def __init__(self, start_ns: int = 1_700_000_000 * NS_PER_S) -> None:
        self._t_ns = int(start_ns)

    def now_ns(self) -> int:
        return self._t_ns

    def advance(self, seconds: float) -> int:
        if seconds < 0:
            raise ValueError(f"a clock cannot move backwards, got {seconds} s")
        self._t_ns += int(round(seconds * NS_PER_S))
        return self._t_ns

    def set(self, t_ns: int) -> None:
        self._t_ns = int(t_ns)


def ns_to_iso(t_ns: int, *, tz: timezone = timezone.utc) -> str:
    """``t_ns`` → ISO-8601 with an explicit numeric offset (``+00:00``), second resolution."""
    return datetime.fromtimestamp(t_ns / NS_PER_S, tz=tz).replace(microsecond=0).isoformat()


def iso_to_ns(text: str) -> int:
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return int(round(dt.timestamp() * NS_PER_S))
