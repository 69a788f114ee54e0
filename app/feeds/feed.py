"""The one interface every feed implements, and a thread-safe inbox for consumers.

A feed runs on its own thread once started and calls its listener from that thread;
a consumer on another thread (the console's engine worker) usually passes an
:class:`EventQueue` and drains it on a timer.  Data goes one way: feed → engine → store
→ console."""
from __future__ import annotations

import queue
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Protocol, Sequence, Union

from app.feeds.events import AudioClip, OperationalAlert, SensorStatus
from localization.types import Pulse, Sensor


class FeedListener(Protocol):
    """What a feed calls, on the feed's thread.  Implementations must be quick and not raise."""

    def on_pulses(self, pulses: Sequence[Pulse]) -> None: ...
    def on_audio(self, clip: AudioClip) -> None: ...
    def on_status(self, status: SensorStatus) -> None: ...
    def on_alert(self, alert: OperationalAlert) -> None: ...


@dataclass(frozen=True, slots=True)
class PulsesEvent:
    pulses: tuple[Pulse, ...]


@dataclass(frozen=True, slots=True)
class AudioEvent:
    clip: AudioClip


@dataclass(frozen=True, slots=True)
class StatusEvent:
    status: SensorStatus


@dataclass(frozen=True, slots=True)
class AlertEvent:
    alert: OperationalAlert


FeedEvent = Union[PulsesEvent, AudioEvent, StatusEvent, AlertEvent]


class EventQueue:
    """A :class:`FeedListener` that queues events for another thread to :meth:`drain`.

    Soft-bounded: when ``maxsize`` events wait, new *status* events are dropped (a later
    status supersedes them; ``overflowed`` counts them); pulses, audio and alerts are
    never dropped."""

    def __init__(self, maxsize: int = 1_000_000) -> None:
        self._q: queue.SimpleQueue[FeedEvent] = queue.SimpleQueue()
        self._maxsize = maxsize
        self._n = 0
        self._lock = threading.Lock()
        self.overflowed = 0

    def _put(self, ev: FeedEvent) -> None:
        with self._lock:
            if self._n >= self._maxsize and isinstance(ev, StatusEvent):
                self.overflowed += 1
                return
            self._n += 1
        self._q.put(ev)

    def on_pulses(self, pulses: Sequence[Pulse]) -> None:
        if pulses:
            self._put(PulsesEvent(tuple(pulses)))

    def on_audio(self, clip: AudioClip) -> None:
        self._put(AudioEvent(clip))

    def on_status(self, status: SensorStatus) -> None:
        self._put(StatusEvent(status))

    def on_alert(self, alert: OperationalAlert) -> None:
        self._put(AlertEvent(alert))

    def drain(self, max_items: int | None = None, timeout_s: float | None = None) -> list[FeedEvent]:
        """Everything waiting (at most ``max_items``); with ``timeout_s``, wait that long for the first."""
        out: list[FeedEvent] = []
        try:
            if timeout_s is not None:
                out.append(self._q.get(timeout=timeout_s))
            while max_items is None or len(out) < max_items:
                out.append(self._q.get_nowait())
        except queue.Empty:
            pass
        with self._lock:
            self._n -= len(out)
        return out

    def pulses(self, events: Sequence[FeedEvent]) -> list[Pulse]:
        """Convenience: the pulses in ``events``, in order."""
        return [p for e in events if isinstance(e, PulsesEvent) for p in e.pulses]


class Feed(ABC):
    """A source of pulses, audio and sensor health.

    ``start(listener)`` returns at once; the feed then calls ``listener`` from its own
    thread until ``stop()`` or until it runs out (a finite scenario), after which
    ``done`` is set.  ``sensors`` is the layout the engine should be built with."""

    @property
    @abstractmethod
    def sensors(self) -> tuple[Sensor, ...]: ...

    @abstractmethod
    def start(self, listener: FeedListener) -> None: ...

    @abstractmethod
    def stop(self, timeout_s: float = 5.0) -> None: ...

    @property
    @abstractmethod
    def done(self) -> threading.Event: ...

    @abstractmethod
    def stats(self) -> dict[str, Any]:
        """Counters for the status bar and the benchmarks (JSON-serialisable)."""
