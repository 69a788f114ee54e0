"""What a feed delivers besides pulses: sensor health, sensor status, operational alerts
and audio clips.  Plain frozen values, safe to pass between threads."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SensorState = Literal["unknown", "ok", "degraded", "gps_lost", "clock_untrusted", "offline"]
SENSOR_STATES: tuple[str, ...] = ("unknown", "ok", "degraded", "gps_lost", "clock_untrusted", "offline")

AlertKind = Literal["offline", "gps_lost", "clock_untrusted", "low_battery", "mic_fault", "overheat"]
ALERT_KINDS: tuple[str, ...] = ("offline", "gps_lost", "clock_untrusted", "low_battery", "mic_fault", "overheat")
Severity = Literal["info", "warning", "critical"]


@dataclass(frozen=True, slots=True)
class HealthReport:
    """One ``health`` message from a sensor (``t_ns`` is the sensor's send time).

    ``clock_err_ns`` is the sensor's own bound on its clock error; ``None`` when unknown.
    ``battery_pct`` is ``None`` for a mains-powered sensor."""

    sensor: str
    t_ns: int
    gps_lock: bool
    clock_err_ns: int | None = None
    battery_pct: float | None = None
    on_mains: bool | None = None
    temperature_c: float | None = None
    mic_dbfs: float | None = None
    uptime_s: float | None = None


@dataclass(frozen=True, slots=True)
class SensorStatus:
    """What the console shows for a sensor.  ``timing_trusted`` False means the engine must
    not use this sensor's pulses (GPS lost beyond holdover, clock error too large, or offline)."""

    sensor: str
    state: SensorState
    timing_trusted: bool
    since_ns: int
    last_seen_ns: int | None
    detail: str = ""
    report: HealthReport | None = None


@dataclass(frozen=True, slots=True)
class OperationalAlert:
    """A technical alert for the operations desk (not a gunfire alert).  ``active`` False
    clears an earlier alert of the same sensor and kind."""

    sensor: str
    kind: AlertKind
    severity: Severity
    t_ns: int
    message: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class AudioClip:
    """Audio a sensor uploaded around a pulse.  ``data`` is in ``encoding``
    (``pcm_s16le`` mono, ``wav`` or ``flac``); ``sha256`` was verified on arrival."""

    sensor: str
    clip_id: str
    start_ns: int
    sample_rate_hz: int
    encoding: str
    data: bytes
    sha256: str
