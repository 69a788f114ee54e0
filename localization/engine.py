"""The engine's front door: pulses in, located and classified incidents out.

(Work in progress: the association, solver and incident stages are being written.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from localization.types import Incident, Pulse, Sensor


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Site and tuning options (keyword-only in spirit; all have field-tested defaults).

    temperature_c / humidity_pct: air at the site, for the speed of sound.
    wind_mps: known wind (east, north) in m/s, e.g. from a weather feed.
    """

    temperature_c: float = 15.0
    humidity_pct: float | None = None
    wind_mps: tuple[float, float] = (0.0, 0.0)


class Engine:
    """Streaming engine.  ``push`` pulses as they arrive; it returns incidents that are new
    or were updated.  ``flush`` finishes everything pending (end of a batch)."""

    def __init__(self, sensors: Sequence[Sensor], config: EngineConfig | None = None) -> None:
        self.sensors = tuple(sensors)
        self.config = config or EngineConfig()

    def push(self, pulses: Iterable[Pulse], now_ns: int | None = None) -> list[Incident]:
        raise NotImplementedError

    def flush(self) -> list[Incident]:
        raise NotImplementedError


def locate_batch(sensors: Sequence[Sensor], pulses: Iterable[Pulse], config: EngineConfig | None = None) -> list[Incident]:
    engine = Engine(sensors, config)
    engine.push(pulses)
    return engine.flush()
