"""City-wide event mixes: a quiet night, a busy weekend, July 4th, a New Year's Eve hour.

Rates are per square mile per hour.  The New Year's Eve profile puts ≈ 110 gunfire incidents
per square mile-hour (≥ 1,000 over 10 sq mi) with a peak at midnight, so many overlap in time;
July 4th and NYE add many fireworks.  The gunfire mix follows San Francisco 2013–15: about
half single rounds, median 2, mean ≈ 3 rounds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from localization.sim import _checks as ck
from localization.sim import scenarios as sc
from localization.sim.layout import points_in_polygon, resolve_area, SQ_MI_M2
from localization.sim.truth import Events

Profile = Literal["quiet_night", "busy_weekend", "july_4th", "new_years_eve"]


@dataclass(frozen=True, slots=True)
class _Mix:
    gunfire_per_sq_mi_h: float
    fireworks_per_sq_mi_h: float
    peak_fraction: float  # share of incidents in a Gaussian peak (σ = 5 min) at the window's middle


PROFILES: dict[str, _Mix] = {
    "quiet_night": _Mix(0.3, 0.05, 0.0),
    "busy_weekend": _Mix(1.5, 0.3, 0.0),
    "july_4th": _Mix(6.0, 25.0, 0.3),
    "new_years_eve": _Mix(110.0, 12.0, 0.5),
}

_SCENARIO_P = {  # gunfire incident mix
    "single": 0.48,
    "string": 0.33,
    "gunfight": 0.06,
    "mobile": 0.06,
    "full_auto": 0.03,
    "high_capacity": 0.04,
}
_WEAPON_P = {"handgun": 0.8, "rifle": 0.12, "shotgun": 0.08}


def random_city_events(
    *,
    profile: Profile = "new_years_eve",
    bounds_m: tuple[float, float, float, float] | None = None,
    polygon_m=None,
    duration_s: float = 3600.0,
    start_ns: int = 1_704_067_200_000_000_000 - 1_800_000_000_000,
    rate_scale: float = 1.0,
    fireworks: bool = True,
    seed: ck.SeedLike = None,
) -> Events:
    """Random incidents over an area and time window.

    profile: ``quiet_night`` | ``busy_weekend`` | ``july_4th`` | ``new_years_eve``.
    bounds_m / polygon_m: the area in local metres (exactly one).
    duration_s: window length (s) starting at ``start_ns`` (default: 23:30 UTC, 31 Dec 2023, so
        an hour's peak falls at midnight).
    rate_scale: multiplies the profile's rates (use it to thin or thicken a mix).
    fireworks: include the profile's firecracker strings and aerial shells (not gunfire).
    Incident ids are ``G00001`` … for gunfire and ``F00001`` … for fireworks.
    """
    mix = PROFILES[ck.choice("profile", profile, tuple(PROFILES))]
    poly, area_m2 = resolve_area(bounds_m, polygon_m)
    dur = ck.within("duration_s", duration_s, 1.0, 7 * 86400.0, "s")
    scale = ck.non_negative("rate_scale", rate_scale)
    if isinstance(start_ns, bool) or not isinstance(start_ns, (int, np.integer)):
        raise ValueError(f"`start_ns` must be an integer number of nanoseconds, got {start_ns!r}")
    rng = ck.rng_from(seed)
    area_sq_mi = area_m2 / SQ_MI_M2
    hours = dur / 3600.0
    n_gun = int(rng.poisson(mix.gunfire_per_sq_mi_h * area_sq_mi * hours * scale))
    n_fw = int(rng.poisson(mix.fireworks_per_sq_mi_h * area_sq_mi * hours * scale)) if fireworks else 0

    def times(n: int) -> np.ndarray:
        peak = rng.random(n) < mix.peak_fraction
        t = np.where(peak, dur / 2 + rng.normal(0.0, 300.0, n), rng.uniform(0.0, dur, n))
        return np.sort(np.clip(t, 0.0, dur))

    def places(n: int) -> np.ndarray:
        lo, hi = poly.min(axis=0), poly.max(axis=0)
        out = np.zeros((0, 2))
        while len(out) < n:
            p = rng.uniform(lo, hi, size=(max(2 * (n - len(out)), 16), 2))
            out = np.vstack([out, p[points_in_polygon(p[:, 0], p[:, 1], poly)]])
        return out[:n]

    parts: list[Events] = []
    kinds = list(_SCENARIO_P)
    scen = rng.choice(len(kinds), size=n_gun, p=np.array(list(_SCENARIO_P.values())))
    weapons = list(_WEAPON_P)
    wpn = rng.choice(len(weapons), size=n_gun, p=np.array(list(_WEAPON_P.values())))
    tg, xy = times(n_gun), places(n_gun)
    for i in range(n_gun):
        common = dict(
            incident_id=f"G{i + 1:05d}", x_m=float(xy[i, 0]), y_m=float(xy[i, 1]),
            t_ns=int(start_ns) + int(round(tg[i] * 1e9)), seed=rng,
        )
        kind, w = kinds[scen[i]], weapons[wpn[i]]
        if kind == "single":
            parts.append(sc.single_round(weapon=w, **common))
        elif kind == "string":
            rounds = int(min(14, 2 + rng.geometric(0.4) - 1))
            parts.append(sc.round_string(rounds=rounds, weapon=w, median_interval_s=float(rng.uniform(0.2, 0.8)), **common))
        elif kind == "high_capacity":
            parts.append(sc.round_string(rounds=int(rng.integers(15, 31)), weapon=w,
                                         median_interval_s=float(rng.uniform(0.2, 0.4)), **common))
        elif kind == "gunfight":
            w2 = weapons[rng.choice(len(weapons), p=np.array(list(_WEAPON_P.values())))]
            parts.append(sc.gunfight(
                separation_m=float(rng.uniform(20.0, 150.0)),
                rounds=(int(rng.integers(2, 8)), int(rng.integers(2, 8))), weapons=(w, w2),
                response_s=float(rng.uniform(0.3, 2.0)), median_interval_s=float(rng.uniform(0.25, 0.6)), **common))
        elif kind == "mobile":
            parts.append(sc.mobile_shooter(
                speed_mps=float(rng.uniform(5.0, 20.0)), heading_deg=float(rng.uniform(0.0, 360.0)),
                rounds=int(rng.integers(3, 9)), weapon=w, median_interval_s=float(rng.uniform(0.25, 0.7)), **common))
        else:  # full_auto
            parts.append(sc.full_auto(
                rounds_per_burst=int(rng.integers(5, 16)), bursts=int(rng.integers(1, 3)),
                rate_rps=float(rng.uniform(8.0, 14.0)), weapon="rifle" if rng.random() < 0.5 else "handgun", **common))
    tf, xyf = times(n_fw), places(n_fw)
    for i in range(n_fw):
        common = dict(
            incident_id=f"F{i + 1:05d}", x_m=float(xyf[i, 0]), y_m=float(xyf[i, 1]),
            t_ns=int(start_ns) + int(round(tf[i] * 1e9)), seed=rng,
        )
        if rng.random() < 0.6:
            parts.append(sc.firecracker_string(pops=int(rng.integers(5, 31)), **common))
        else:
            parts.append(sc.aerial_shells(shells=int(rng.integers(1, 8)), **common))
    return Events.combine(*parts) if parts else Events(incidents=(), shots=())
