"""A plan played out as a time-ordered list of what each sensor delivers and when:
pulses (with realistic upload delays and the outages applied), health reports every
``health_interval_s``, and audio clips around each incident's pulses.

Both the in-process simulator feed and the socket emulator play the same timeline, so
a scenario looks the same to the console whichever way it arrives.  Ground truth stays
with the timeline (``sim`` and the per-item ``truth_index``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

import numpy as np

from app.feeds.events import HealthReport
from app.feeds.scenario import Outage, SimPlan
from localization.sim import DIRECT, NLOS, SimResult, simulate_pulses
from localization.types import Pulse

NS = 1_000_000_000
GPS_DRIFT_NS_PER_S = 50_000
"""Free-running clock drift after losing GPS: 50 µs per second."""
NOMINAL_CLOCK_ERR_NS = 24_000

ItemKind = Literal["pulse", "health", "audio"]


@dataclass(frozen=True, slots=True)
class ClipJob:
    """An audio clip to render when it is due: ``sensor``'s sound from ``start_ns`` for
    ``duration_s``, containing the shots ``shot_indices`` of ``incident_id``."""

    sensor: str
    incident_id: str
    clip_id: str
    start_ns: int
    duration_s: float
    shot_indices: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SensorWindow:
    """One sensor's audio window of one incident (``sensor_windows``)."""

    job: ClipJob
    level_db: float
    """The loudest level (dB SPL, unclipped) at which the sensor heard the incident."""
    pulse_indices: tuple[int, ...]
    """Its direct and NLOS pulses of the incident (indices into ``Timeline.sim.pulses``)."""


@dataclass(frozen=True, slots=True)
class Item:
    deliver_ns: int
    sensor: str
    kind: ItemKind
    pulse: Pulse | None = None
    health: HealthReport | None = None
    clip: ClipJob | None = None
    truth_index: int = -1
    """Index of the pulse in ``Timeline.sim.pulses`` (pulses only)."""


@dataclass(frozen=True, slots=True, eq=False)
class Timeline:
    plan: SimPlan
    sim: SimResult
    items: tuple[Item, ...]
    dropped_offline: int
    """Pulses a powered-off sensor never heard."""
    shifted_clock: int
    """Pulses whose time carries a sensor clock error (GPS lost / clock drift)."""
    windows: dict[tuple[str, str], SensorWindow] | None = None
    """Every (incident, sensor) audio window of the delivered pulses, when built with audio:
    the clips are cut from them, and the pulses' audio features are measured in them."""

    @property
    def start_ns(self) -> int:
        return min(self.plan.start_ns, self.items[0].deliver_ns) if self.items else self.plan.start_ns

    @property
    def end_ns(self) -> int:
        return max(self.plan.end_ns, self.items[-1].deliver_ns) if self.items else self.plan.end_ns

    def for_sensor(self, sensor: str) -> list[Item]:
        return [it for it in self.items if it.sensor == sensor]


def _covering(outages: list[Outage], t_s: float) -> Outage | None:
    for o in outages:
        if o.start_s <= t_s < o.end_s:
            return o
    return None


def build_timeline(plan: SimPlan, *, health_interval_s: float = 10.0, audio: bool = False,
                   audio_sensors_per_incident: int = 3, clip_pad_s: float = 1.0) -> Timeline:
    """Simulate ``plan`` (deterministic from ``plan.seed``) and lay out every delivery."""
    sim = simulate_pulses(sensors=plan.sensors, events=plan.events, conditions=plan.conditions, seed=plan.seed)
    rng = np.random.default_rng([plan.seed, 77])
    by_sensor: dict[str, list[Outage]] = {}
    for o in plan.outages:
        by_sensor.setdefault(o.sensor, []).append(o)
    drift_sign = {id(o): (1 if rng.random() < 0.5 else -1) for o in plan.outages}
    fixed_offset_ns = {id(o): int(rng.uniform(3e6, 8e6)) * drift_sign[id(o)] for o in plan.outages}
    t0 = plan.start_ns

    def rel_s(t_ns: int) -> float:
        return (t_ns - t0) / NS

    def clock_error_ns(o: Outage | None, t_ns: int) -> int:
        if o is None:
            return 0
        if o.kind == "gps_lost":
            return int(drift_sign[id(o)] * GPS_DRIFT_NS_PER_S * (rel_s(t_ns) - o.start_s))
        if o.kind == "clock_drift":
            return fixed_offset_ns[id(o)]
        return 0

    items: list[Item] = []
    dropped = shifted = 0
    for i, p in enumerate(sim.pulses):
        outs = by_sensor.get(p.sensor, [])
        d = int(sim.delivery_ns[i])
        o = _covering(outs, rel_s(p.t_ns))
        if o is not None and o.kind == "offline":
            dropped += 1
            continue
        err = clock_error_ns(o, p.t_ns) if o is not None and o.kind in ("gps_lost", "clock_drift") else 0
        if err:
            shifted += 1
            p = Pulse(p.sensor, p.t_ns + err, p.snr_db, p.peak_db, p.id, p.features)
        od = _covering(outs, rel_s(d))
        if od is not None and od.kind in ("network", "offline"):
            d = t0 + int(od.end_s * NS) + int(rng.uniform(0.5, 3.0) * NS)  # backlog after the link returns
        items.append(Item(d, p.sensor, "pulse", pulse=p, truth_index=i))

    # health every interval, staggered per sensor
    n_h = int(plan.duration_s // health_interval_s) + 1
    for k, s in enumerate(plan.sensors):
        outs = by_sensor.get(s.id, [])
        phase = (k * 0.37) % 1.0 * health_interval_s
        on_battery = k % 7 == 3
        battery = float(rng.uniform(55.0, 100.0))
        for j in range(n_h):
            t_s = phase + j * health_interval_s
            if t_s > plan.duration_s:
                break
            t_ns = t0 + int(t_s * NS)
            o = _covering(outs, t_s)
            if o is not None and o.kind in ("offline", "network"):
                continue
            gps = not (o is not None and o.kind == "gps_lost")
            err = abs(clock_error_ns(o, t_ns))
            bound = NOMINAL_CLOCK_ERR_NS + int(1.2 * err)
            rep = HealthReport(
                sensor=s.id, t_ns=t_ns, gps_lock=gps, clock_err_ns=bound,
                battery_pct=round(max(5.0, battery - 0.002 * t_s), 1) if on_battery else None,
                on_mains=not on_battery, temperature_c=round(float(rng.normal(18.0, 4.0)), 1),
                mic_dbfs=round(float(rng.normal(-50.0, 3.0)), 1), uptime_s=float(86400 + t_s))
            items.append(Item(t_ns + int(rng.uniform(0.05, 0.5) * NS), s.id, "health", health=rep))

    windows = None
    if audio:
        delivered = {it.truth_index: it for it in items if it.kind == "pulse"}
        windows = sensor_windows(sim, delivered, clip_pad_s)
        items += _clip_items(windows, delivered, audio_sensors_per_incident)
    items.sort(key=lambda it: (it.deliver_ns, it.sensor, it.kind))
    return Timeline(plan, sim, tuple(items), dropped, shifted, windows)


def sensor_windows(sim: SimResult, delivered: Iterable[int], pad_s: float = 1.0) -> dict[tuple[str, str], SensorWindow]:
    """The audio window of every (incident, sensor) pair that reported one of the incident's
    shots (a direct or NLOS pulse among ``delivered``, indices into ``sim.pulses``): from
    ``pad_s`` before its first pulse to ``pad_s`` after its last, holding the shots it heard,
    the loudest level it heard them at and those pulses' indices.  The clips the feed uploads are some of these
    windows; the pulses' detector features are measured on the same audio (``pulse_audio``)."""
    shots = sim.events.shots
    groups: dict[tuple[str, str], list[int]] = {}
    for i in sorted(delivered):
        if sim.shot_index[i] < 0 or sim.path[i] not in (DIRECT, NLOS):
            continue
        inc = shots[int(sim.shot_index[i])].incident_id
        groups.setdefault((inc, sim.pulses[i].sensor), []).append(i)
    out: dict[tuple[str, str], SensorWindow] = {}
    for (inc, s), idx in groups.items():
        t = [sim.pulses[i].t_ns for i in idx]
        start = min(t) - int(pad_s * NS)
        dur = (max(t) - min(t)) / NS + 2 * pad_s
        shots_idx = tuple(sorted({int(sim.shot_index[i]) for i in idx}))
        out[(inc, s)] = SensorWindow(ClipJob(s, inc, f"{inc}-{s}", start, dur, shots_idx),
                                     float(np.max(sim.level_db[idx])), tuple(idx))
    return out


def _clip_items(windows: dict[tuple[str, str], SensorWindow], delivered: dict[int, Item],
                per_incident: int) -> list[Item]:
    """Clips for the loudest ``per_incident`` sensors of each incident, delivered 2 s after
    that sensor's last pulse of the incident (clips are uploaded after the pulses)."""
    by_inc: dict[str, list[tuple[float, str, SensorWindow]]] = {}
    for (inc, s), w in windows.items():
        by_inc.setdefault(inc, []).append((w.level_db, s, w))
    out: list[Item] = []
    for inc, rows in sorted(by_inc.items()):
        rows.sort(key=lambda r: (-r[0], r[1]))
        for _, s, w in rows[:per_incident]:
            last = max(delivered[i].deliver_ns for i in w.pulse_indices)
            out.append(Item(last + 2 * NS, s, "audio", clip=w.job))
    return out
