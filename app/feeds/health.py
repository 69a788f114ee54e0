"""Sensor health → status, operational alerts, and whether a sensor's timing can be trusted.

Feeds call :meth:`HealthMonitor.seen` for every authenticated message (a heartbeat),
:meth:`HealthMonitor.report` for every health message and :meth:`HealthMonitor.tick`
about once a second.  Each returns the status changes and alerts to deliver.  The
engine side asks :meth:`HealthMonitor.timing_trusted` (or uses :meth:`filter_pulses`)
and leaves out pulses from sensors whose timing cannot be trusted.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from app.feeds.events import HealthReport, OperationalAlert, SensorState, SensorStatus
from localization.types import Pulse

NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """Thresholds.  ``offline_after_s``: silence before a sensor is offline (sensors send
    health every 10 s).  ``max_clock_err_ns``: a larger reported clock-error bound makes
    timing untrusted (1 ms ≈ 0.34 m of range).  ``gps_holdover_s``: how long a sensor
    that lost GPS lock is still trusted (its oscillator holds over), unless it reports
    a clock-error bound, which then decides."""

    offline_after_s: float = 60.0
    max_clock_err_ns: int = 1_000_000
    gps_holdover_s: float = 60.0
    low_battery_pct: float = 20.0
    mic_fault_dbfs: float = -90.0
    overheat_c: float = 70.0


@dataclass(slots=True)
class _Track:
    status: SensorStatus
    last_seen_ns: int | None = None
    report: HealthReport | None = None
    gps_lost_since_ns: int | None = None
    active: set[str] | None = None


class HealthMonitor:
    """Thread-safe.  All times are the feed's clock in UTC ns."""

    def __init__(self, sensor_ids: Iterable[str], policy: HealthPolicy | None = None, *, now_ns: int = 0) -> None:
        self.policy = policy or HealthPolicy()
        self._lock = threading.Lock()
        self._t: dict[str, _Track] = {}
        for s in sensor_ids:
            self._add(s, now_ns)

    def _add(self, sensor: str, now_ns: int) -> _Track:
        tr = _Track(SensorStatus(sensor, "unknown", False, now_ns, None, "no message yet"), active=set())
        self._t[sensor] = tr
        return tr

    # ------------------------------------------------------------------ queries
    def timing_trusted(self, sensor: str) -> bool:
        with self._lock:
            tr = self._t.get(sensor)
            return bool(tr and tr.status.timing_trusted)

    def untrusted(self) -> frozenset[str]:
        with self._lock:
            return frozenset(s for s, tr in self._t.items() if not tr.status.timing_trusted)

    def statuses(self) -> dict[str, SensorStatus]:
        with self._lock:
            return {s: tr.status for s, tr in self._t.items()}

    def filter_pulses(self, pulses: Sequence[Pulse]) -> tuple[list[Pulse], list[Pulse]]:
        """(pulses the engine may use, pulses from sensors with untrusted timing)."""
        bad = self.untrusted()
        keep = [p for p in pulses if p.sensor not in bad]
        drop = [p for p in pulses if p.sensor in bad]
        return keep, drop

    # ------------------------------------------------------------------ inputs
    def seen(self, sensor: str, now_ns: int) -> tuple[list[SensorStatus], list[OperationalAlert]]:
        """Any authenticated message from ``sensor`` arrived (a heartbeat)."""
        with self._lock:
            tr = self._t.get(sensor) or self._add(sensor, now_ns)
            tr.last_seen_ns = now_ns
            if tr.status.state not in ("unknown", "offline"):
                return [], []  # a heartbeat only changes unknown/offline; tick() catches the rest
            return self._evaluate(tr, now_ns)

    def report(self, rep: HealthReport, now_ns: int) -> tuple[list[SensorStatus], list[OperationalAlert]]:
        with self._lock:
            tr = self._t.get(rep.sensor) or self._add(rep.sensor, now_ns)
            tr.last_seen_ns = now_ns
            if rep.gps_lock:
                tr.gps_lost_since_ns = None
            elif tr.gps_lost_since_ns is None:
                tr.gps_lost_since_ns = now_ns
            tr.report = rep
            return self._evaluate(tr, now_ns)

    def tick(self, now_ns: int) -> tuple[list[SensorStatus], list[OperationalAlert]]:
        changes: list[SensorStatus] = []
        alerts: list[OperationalAlert] = []
        with self._lock:
            for tr in self._t.values():
                c, a = self._evaluate(tr, now_ns)
                changes += c
                alerts += a
        return changes, alerts

    # ------------------------------------------------------------------ rules
    def _evaluate(self, tr: _Track, now_ns: int) -> tuple[list[SensorStatus], list[OperationalAlert]]:
        pol = self.policy
        rep = tr.report
        problems: dict[str, tuple[str, str]] = {}  # kind -> (severity, message)
        state: SensorState
        trusted = True
        detail = ""
        if tr.last_seen_ns is None:
            state, trusted, detail = "unknown", False, "no message yet"
        elif now_ns - tr.last_seen_ns > pol.offline_after_s * NS:
            state, trusted, detail = "offline", False, f"no message for over {pol.offline_after_s:.0f} s"
            problems["offline"] = ("critical", f"sensor {tr.status.sensor} offline: {detail}")
        else:
            state = "ok"
            clock_bad = rep is not None and rep.clock_err_ns is not None and rep.clock_err_ns > pol.max_clock_err_ns
            gps_lost_for = (now_ns - tr.gps_lost_since_ns) / NS if tr.gps_lost_since_ns is not None else None
            if clock_bad:
                assert rep is not None and rep.clock_err_ns is not None
                state, trusted = "clock_untrusted", False
                detail = f"clock error bound {rep.clock_err_ns / 1e3:.0f} µs > {pol.max_clock_err_ns / 1e3:.0f} µs"
                problems["clock_untrusted"] = ("critical", f"sensor {tr.status.sensor}: {detail}; its pulses are not used")
            if gps_lost_for is not None:
                assert rep is not None
                holdover_ok = rep.clock_err_ns is not None or gps_lost_for <= pol.gps_holdover_s
                if not holdover_ok:
                    trusted = False
                if state == "ok":
                    state = "gps_lost"
                    detail = "GPS lock lost" + ("" if holdover_ok else f"; holdover over {pol.gps_holdover_s:.0f} s, timing untrusted")
                problems["gps_lost"] = ("warning" if holdover_ok else "critical",
                                        f"sensor {tr.status.sensor}: GPS lock lost" + ("" if holdover_ok else "; its pulses are not used"))
            if rep is not None:
                deg = []
                if rep.battery_pct is not None and not rep.on_mains and rep.battery_pct < pol.low_battery_pct:
                    deg.append(f"battery {rep.battery_pct:.0f} %")
                    problems["low_battery"] = ("warning", f"sensor {tr.status.sensor}: battery {rep.battery_pct:.0f} %")
                if rep.mic_dbfs is not None and rep.mic_dbfs < pol.mic_fault_dbfs:
                    deg.append(f"microphone level {rep.mic_dbfs:.0f} dBFS")
                    problems["mic_fault"] = ("warning", f"sensor {tr.status.sensor}: microphone level {rep.mic_dbfs:.0f} dBFS (dead microphone?)")
                if rep.temperature_c is not None and rep.temperature_c > pol.overheat_c:
                    deg.append(f"temperature {rep.temperature_c:.0f} °C")
                    problems["overheat"] = ("warning", f"sensor {tr.status.sensor}: temperature {rep.temperature_c:.0f} °C")
                if deg and state == "ok":
                    state = "degraded"
                    detail = ", ".join(deg)
        changes: list[SensorStatus] = []
        alerts: list[OperationalAlert] = []
        old = tr.status
        if (state, trusted, detail) != (old.state, old.timing_trusted, old.detail) or rep is not old.report:
            since = old.since_ns if state == old.state else now_ns
            tr.status = SensorStatus(old.sensor, state, trusted, since, tr.last_seen_ns, detail, rep)
            if (state, trusted) != (old.state, old.timing_trusted):
                changes.append(tr.status)  # a new detail alone (a growing clock error) is not news
        else:
            tr.status = replace(old, last_seen_ns=tr.last_seen_ns)
        active = tr.active if tr.active is not None else set()
        for kind, (sev, msg) in problems.items():
            if kind not in active:
                active.add(kind)
                alerts.append(OperationalAlert(old.sensor, kind, sev, now_ns, msg, True))  # type: ignore[arg-type]
        # While a sensor is offline nothing is known about its other problems: keep them raised.
        for kind in sorted(active - problems.keys()) if state != "offline" else ():
            active.discard(kind)
            alerts.append(OperationalAlert(old.sensor, kind, "info", now_ns, f"sensor {old.sensor}: {kind.replace('_', ' ')} cleared", False))  # type: ignore[arg-type]
        tr.active = active
        return changes, alerts
