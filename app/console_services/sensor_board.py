"""What the console knows about its sensors' health, folded from the feed's events.

The engine worker hands the GUI thread lists of plain values — ``SensorStatus`` (a state
change), ``OperationalAlert`` (raised or cleared) and ``LastHeard`` (when each sensor was
last heard, read from the feed's health monitor about once a second).  ``SensorBoard``
folds them into one row per sensor and a newest-first list of alerts; the Qt models in
``app.qt.sensor_status_model`` show them.  Qt-free and single-threaded (GUI thread).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from app.feeds.events import OperationalAlert, SensorStatus

#: a sensor state in words, for the panel
STATE_WORDS = {"ok": "online", "degraded": "degraded", "gps_lost": "GPS lost", "clock_untrusted": "clock untrusted",
               "offline": "offline", "unknown": "not heard yet"}
#: states that count as a problem in the status bar (``unknown`` is counted apart)
PROBLEM_STATES = ("degraded", "gps_lost", "clock_untrusted", "offline")
#: sort order: worst first
SEVERITY_ORDER = {"offline": 0, "clock_untrusted": 1, "gps_lost": 2, "degraded": 3, "unknown": 4, "ok": 5}


@dataclass(frozen=True, slots=True)
class LastHeard:
    """sensor id → UTC ns it was last heard (a snapshot of the feed's health monitor)."""

    t_ns: dict[str, int]


@dataclass(frozen=True, slots=True)
class SensorRow:
    sensor: str
    state: str = "unknown"
    timing_trusted: bool = False
    since_ns: int | None = None
    last_heard_ns: int | None = None
    detail: str = "no message yet"

    @property
    def state_words(self) -> str:
        return STATE_WORDS.get(self.state, self.state)


@dataclass(frozen=True, slots=True)
class AlertRow:
    t_ns: int
    sensor: str
    kind: str
    severity: str
    message: str
    active: bool


class SensorBoard:
    def __init__(self, sensor_ids: Iterable[str], *, max_alerts: int = 500) -> None:
        self._rows: dict[str, SensorRow] = {s: SensorRow(s) for s in sensor_ids}
        self._order = list(self._rows)
        self._alerts: list[AlertRow] = []     # newest first
        self.max_alerts = max_alerts

    # ---- reading -------------------------------------------------------------------------------
    def sensor_ids(self) -> list[str]:
        return list(self._order)

    def row(self, sensor: str) -> SensorRow:
        return self._rows[sensor]

    def rows(self) -> list[SensorRow]:
        return [self._rows[s] for s in self._order]

    def alerts(self) -> list[AlertRow]:
        return list(self._alerts)

    def active_alerts(self) -> list[AlertRow]:
        """Raised and not yet cleared (newest raise per sensor and kind)."""
        seen: dict[tuple[str, str], AlertRow] = {}
        for a in self._alerts:                 # newest first: the first one per key decides
            seen.setdefault((a.sensor, a.kind), a)
        return [a for a in seen.values() if a.active]

    def problems(self) -> list[SensorRow]:
        return [r for r in self.rows() if r.state in PROBLEM_STATES]

    def not_heard(self) -> list[SensorRow]:
        return [r for r in self.rows() if r.state == "unknown"]

    def summary(self) -> str:
        """One line for the status bar."""
        n, bad, quiet = len(self._rows), len(self.problems()), len(self.not_heard())
        if bad == 0 and quiet == 0:
            return f"Sensors: all {n} online"
        parts = []
        if bad:
            parts.append(f"{bad} degraded")
        if quiet:
            parts.append(f"{quiet} not heard yet")
        return f"Sensors: {', '.join(parts)} of {n}"

    # ---- folding -------------------------------------------------------------------------------
    def apply(self, updates: Iterable[object]) -> tuple[set[str], list[AlertRow]]:
        """Fold a batch of updates; (sensors whose state changed, new alert rows).  A newer
        last-heard time alone is not a change (the panel repaints ages every second)."""
        changed: set[str] = set()
        new_alerts: list[AlertRow] = []
        for u in updates:
            if isinstance(u, SensorStatus):
                row = self._row(u.sensor)
                heard = max(x for x in (row.last_heard_ns, u.last_seen_ns, -1) if x is not None)
                self._rows[u.sensor] = replace(row, state=u.state, timing_trusted=u.timing_trusted,
                                               since_ns=u.since_ns, detail=u.detail,
                                               last_heard_ns=heard if heard >= 0 else None)
                changed.add(u.sensor)
            elif isinstance(u, OperationalAlert):
                self._row(u.sensor)
                a = AlertRow(u.t_ns, u.sensor, u.kind, u.severity, u.message, u.active)
                new_alerts.append(a)
            elif isinstance(u, LastHeard):
                for sensor, t in u.t_ns.items():
                    row = self._row(sensor)
                    if row.last_heard_ns is None or t > row.last_heard_ns:
                        self._rows[sensor] = replace(row, last_heard_ns=t)   # ages repaint on their own
        if new_alerts:
            self._alerts[:0] = sorted(new_alerts, key=lambda a: a.t_ns, reverse=True)
            del self._alerts[self.max_alerts:]
        return changed, new_alerts

    def _row(self, sensor: str) -> SensorRow:
        row = self._rows.get(sensor)
        if row is None:                        # a sensor the site did not list (keys without a position)
            row = self._rows[sensor] = SensorRow(sensor)
            self._order.append(sensor)
        return row
