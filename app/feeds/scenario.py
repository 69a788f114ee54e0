"""What a live simulation plays: a sensor layout, truth events, conditions and sensor
outages — from a random mix (:func:`random_plan`) or a scenario file (:func:`load_plan`).
Deterministic from the seed.

Scenario file (TOML)::

    name = "two incidents and a GPS failure"
    seed = 7
    duration_s = 300
    [layout]                      # or [[sensor]] tables with id, x_m, y_m, z_m
    area_sq_mi = 2.0
    density_per_sq_mi = 20
    [conditions]
    preset = "realistic"          # or "clean"; other keys override Conditions fields
    [mix]                         # optional random background
    profile = "busy_weekend"      # quiet_night | busy_weekend | july_4th | new_years_eve
    rate_scale = 1.0
    [[event]]
    kind = "round_string"         # single_round | round_string | gunfight | mobile_shooter |
    at_s = 30                     # full_auto | firecracker_string | aerial_shells
    x_m = 100
    y_m = -250
    rounds = 4
    [[outage]]
    sensor = "S003"
    kind = "gps_lost"             # offline | network | gps_lost | clock_drift
    start_s = 60
    end_s = 200
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from localization.sim import Conditions, Events, random_city_events, sensor_grid, square_bounds
from localization.sim import scenarios as sc
from localization.types import Sensor

OutageKind = Literal["offline", "network", "gps_lost", "clock_drift"]
OUTAGE_KINDS: tuple[str, ...] = ("offline", "network", "gps_lost", "clock_drift")
MIX_PROFILES: tuple[str, ...] = ("quiet_night", "busy_weekend", "july_4th", "new_years_eve")
EVENT_BUILDERS = {
    "single_round": sc.single_round, "round_string": sc.round_string, "gunfight": sc.gunfight,
    "mobile_shooter": sc.mobile_shooter, "full_auto": sc.full_auto,
    "firecracker_string": sc.firecracker_string, "aerial_shells": sc.aerial_shells,
}
DEFAULT_START_NS = 1_704_067_200_000_000_000 - 1_800_000_000_000  # 23:30 UTC, 31 Dec 2023


@dataclass(frozen=True, slots=True)
class Outage:
    """A sensor problem from ``start_s`` to ``end_s`` (seconds after the plan's start).

    offline: powered off — hears nothing, sends nothing.  network: link down — keeps
    recording and sends its backlog when the link returns.  gps_lost: GPS lock lost — the
    clock drifts (50 µs/s) and the reported clock-error bound grows with it.
    clock_drift: GPS locked but the clock is off by several ms and says so."""

    sensor: str
    kind: OutageKind
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class SimPlan:
    name: str
    sensors: tuple[Sensor, ...]
    events: Events
    conditions: Conditions
    start_ns: int
    duration_s: float
    outages: tuple[Outage, ...] = ()
    seed: int = 0

    @property
    def end_ns(self) -> int:
        return self.start_ns + int(self.duration_s * 1e9)


def _check_outages(outages: tuple[Outage, ...], sensors: tuple[Sensor, ...], duration_s: float) -> None:
    ids = {s.id for s in sensors}
    for o in outages:
        if o.sensor not in ids:
            raise ValueError(f"outage names unknown sensor {o.sensor!r}")
        if o.kind not in OUTAGE_KINDS:
            raise ValueError(f"outage kind must be one of {', '.join(OUTAGE_KINDS)}, got {o.kind!r}")
        if not 0 <= o.start_s < o.end_s:
            raise ValueError(f"outage of {o.sensor} needs 0 ≤ start_s < end_s, got {o.start_s}…{o.end_s}")


def random_plan(profile: str = "busy_weekend", *, duration_s: float = 600.0, area_sq_mi: float = 4.0,
                density_per_sq_mi: float = 15.0, outages: int = 2, rate_scale: float = 1.0,
                realistic: bool = True, start_ns: int = DEFAULT_START_NS, seed: int = 0) -> SimPlan:
    """A random mix: the profile's incidents (gunfire and fireworks) over the area and
    ``outages`` random sensor outages of random kinds.  Deterministic from ``seed``."""
    if profile not in MIX_PROFILES:
        raise ValueError(f"profile must be one of {', '.join(MIX_PROFILES)}, got {profile!r}")
    if not 1.0 <= duration_s <= 7 * 86400:
        raise ValueError(f"duration_s must be 1 s … 7 days, got {duration_s}")
    rng = np.random.default_rng(seed)
    bounds = square_bounds(area_sq_mi=area_sq_mi)
    sensors = sensor_grid(density_per_sq_mi=density_per_sq_mi, bounds_m=bounds, seed=rng)
    events = random_city_events(profile=profile, bounds_m=bounds, duration_s=duration_s, start_ns=start_ns,
                                rate_scale=rate_scale, seed=rng)  # type: ignore[arg-type]
    outs = []
    for _ in range(max(0, outages)):
        s = sensors[int(rng.integers(len(sensors)))]
        kind = OUTAGE_KINDS[int(rng.integers(len(OUTAGE_KINDS)))]
        a = float(rng.uniform(0.0, 0.7 * duration_s))
        b = min(duration_s, a + float(rng.uniform(0.1, 0.3)) * duration_s + 90.0)
        outs.append(Outage(s.id, kind, round(a, 1), round(b, 1)))  # type: ignore[arg-type]
    cond = Conditions.realistic() if realistic else Conditions.clean()
    return SimPlan(f"random {profile}", sensors, events, cond, start_ns, float(duration_s), tuple(outs), seed)


def load_plan(path: str | Path, *, seed: int | None = None) -> SimPlan:
    """Read a scenario file (format in this module's docstring).  ValueError says what is wrong."""
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"scenario file {p} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"scenario file {p} is not valid TOML: {exc}") from None
    return plan_from_dict(doc, seed=seed, name=p.stem)


def plan_from_dict(doc: dict[str, Any], *, seed: int | None = None, name: str = "scenario") -> SimPlan:
    seed = int(doc.get("seed", 0)) if seed is None else seed
    rng = np.random.default_rng(seed)
    duration_s = float(doc.get("duration_s", 300.0))
    start_ns = int(doc.get("start_ns", DEFAULT_START_NS))
    if "sensor" in doc:
        sensors = tuple(Sensor(str(s["id"]), float(s["x_m"]), float(s["y_m"]), float(s.get("z_m", 0.0)))
                        for s in doc["sensor"])
        xs = [s.x_m for s in sensors]
        ys = [s.y_m for s in sensors]
        bounds = (min(xs), min(ys), max(xs), max(ys))
    else:
        lay = doc.get("layout", {})
        bounds = square_bounds(area_sq_mi=float(lay.get("area_sq_mi", 2.0)))
        sensors = sensor_grid(density_per_sq_mi=float(lay.get("density_per_sq_mi", 15.0)), bounds_m=bounds, seed=rng)
    cdoc = dict(doc.get("conditions", {}))
    preset = cdoc.pop("preset", "clean")
    if preset not in ("clean", "realistic"):
        raise ValueError(f"conditions.preset must be 'clean' or 'realistic', got {preset!r}")
    for k, v in list(cdoc.items()):
        if isinstance(v, list):
            cdoc[k] = tuple(v)
    cond = (Conditions.realistic if preset == "realistic" else Conditions.clean)(**cdoc)
    parts: list[Events] = []
    if "mix" in doc:
        m = doc["mix"]
        parts.append(random_city_events(profile=m.get("profile", "busy_weekend"), bounds_m=bounds, duration_s=duration_s,
                                        start_ns=start_ns, rate_scale=float(m.get("rate_scale", 1.0)),
                                        fireworks=bool(m.get("fireworks", True)), seed=rng))
    for i, ev in enumerate(doc.get("event", [])):
        ev = dict(ev)
        kind = ev.pop("kind", None)
        if kind not in EVENT_BUILDERS:
            raise ValueError(f"event {i + 1}: kind must be one of {', '.join(EVENT_BUILDERS)}, got {kind!r}")
        at_s = float(ev.pop("at_s", 0.0))
        for k, v in list(ev.items()):
            if isinstance(v, list):
                ev[k] = tuple(v)
        ev.setdefault("incident_id", f"E{i + 1:04d}")
        try:
            parts.append(EVENT_BUILDERS[kind](t_ns=start_ns + int(at_s * 1e9), seed=rng, **ev))
        except TypeError as exc:
            raise ValueError(f"event {i + 1} ({kind}): {exc}") from None
    events = Events.combine(*parts) if parts else Events(incidents=(), shots=())
    outages = tuple(Outage(str(o["sensor"]), o["kind"], float(o["start_s"]), float(o["end_s"]))
                    for o in doc.get("outage", []))
    _check_outages(outages, sensors, duration_s)
    return SimPlan(str(doc.get("name", name)), sensors, events, cond, start_ns, duration_s, outages, seed)
