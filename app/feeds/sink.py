"""Where accepted sensor messages go before they are acknowledged.

The server hands each batch of accepted messages to a :class:`PulseSink` on one
dedicated thread; ``accept`` must return only once the batch is durable, and tells
which items were new.  Idempotence lives here: an item whose key (sensor + sequence
number, or sensor + clip id for audio) was stored before is reported as a duplicate
and not stored again — also after a restart, so the sink, not the server's memory, is
the record.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, Protocol, Sequence

from app.feeds.events import AudioClip, HealthReport
from localization.types import Pulse

IntakeKind = Literal["pulse", "health", "audio"]


@dataclass(frozen=True, slots=True)
class Intake:
    """One accepted message.  ``sent_ns`` is the sensor's send time, ``received_ns`` the
    server's clock when the line was read.  Exactly one of pulse/health/audio is set."""

    kind: IntakeKind
    sensor: str
    seq: int
    sent_ns: int
    received_ns: int
    pulse: Pulse | None = None
    health: HealthReport | None = None
    audio: AudioClip | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The idempotence key."""
        if self.kind == "audio":
            assert self.audio is not None
            return (self.sensor, "clip:" + self.audio.clip_id)
        return (self.sensor, str(self.seq))


class PulseSink(Protocol):
    """Durable destination of accepted messages (called from one thread only)."""

    def accept(self, batch: Sequence[Intake]) -> list[bool]:
        """Store ``batch`` durably; for each item True if newly stored, False if its key was
        already stored.  Raise on failure (nothing in the batch is then acknowledged)."""
        ...

    def close(self) -> None: ...


class MemorySink:
    """In-memory sink for tests and demo mode (not durable across restarts)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[tuple[str, str]] = set()
        self.items: list[Intake] = []

    def accept(self, batch: Sequence[Intake]) -> list[bool]:
        out = []
        with self._lock:
            for it in batch:
                k = it.key
                if k in self._keys:
                    out.append(False)
                else:
                    self._keys.add(k)
                    self.items.append(it)
                    out.append(True)
        return out

    def close(self) -> None:
        pass

    def pulses(self) -> list[Pulse]:
        with self._lock:
            return [it.pulse for it in self.items if it.pulse is not None]
