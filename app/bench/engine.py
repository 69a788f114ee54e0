"""``tocsin bench engine``: accuracy on real and synthetic data, and speed.

Sections (each prints a table; everything is also printed as one JSON object):

* ``pittsburgh`` — the 2018 live-fire test (../shared/data): every pulse of each test,
  the engine's own association, temperature and wind from the test's weather file.
  Development positions FP1–FP6 and the FP7–FP9 holdout are reported in separate rows.
* ``synthetic`` — the pulse simulator, fixed seeds, three sensor densities, scenario
  families (single round, strings, gunfights, mobile shooters, full-auto) under clean
  (timing noise only) and realistic conditions.
* ``speed`` — a city-wide New Year's Eve hour streamed through the engine in delivery
  order; pulses/s, ms per shot, peak memory; and a plain baseline (scipy least squares
  on correctly pre-grouped pulses) in the same run.
"""
from __future__ import annotations

import json
import math
import resource
import sys
import time
from pathlib import Path

import numpy as np

from localization import EngineConfig, Engine, locate_batch
from localization.sim import (
    Conditions,
    Events,
    full_auto,
    gunfight,
    mobile_shooter,
    random_city_events,
    round_string,
    score,
    sensor_grid,
    simulate_pulses,
    single_round,
    square_bounds,
)

from app.bench import pittsburgh as pgh

FAMILIES = ("single", "multiple", "gunfight", "mobile", "full_auto")


# ----------------------------------------------------------------- Pittsburgh
def run_pittsburgh(shared_data: Path) -> dict:
    rows = {}
    for label, positions in (("FP1-FP6 (dev)", pgh.DEV_POSITIONS), ("FP7-FP9 (holdout)", pgh.HOLDOUT_POSITIONS)):
        tally = PositionTally()
        t_engine, n_pulses = 0.0, 0
        for test in pgh.iter_tests(shared_data, positions):
            t0 = time.perf_counter()
            incidents = locate_batch(test.sensors, test.pulses, pittsburgh_config(test))
            t_engine += time.perf_counter() - t0
            n_pulses += len(test.pulses)
            tally.add(incidents, test.survey_xyz, test.rounds)
        rows[label] = {**tally.summary(), "pulses_per_s": round(n_pulses / max(t_engine, 1e-9))}
    return rows


def pittsburgh_config(test: pgh.LiveFireTest) -> EngineConfig:
    """Temperature and wind from the test's weather file."""
    return EngineConfig(temperature_c=test.temperature_c, wind_mps=test.wind_vector_mps)


class PositionTally:
    """Scores live-fire tests: each round fired should be one shot within 25 m of the
    surveyed firing position; errors are those of the nearest ``rounds`` shots (a round
    not located counts as an infinite error); shots farther away are extra."""

    def __init__(self) -> None:
        self.errs: list[float] = []
        self.rounds_ok = self.tests = self.missing = self.extra = 0

    def add(self, incidents, survey_xyz, rounds: int) -> None:
        sx, sy, _ = survey_xyz
        d = sorted(math.hypot(s.x_m - sx, s.y_m - sy) for inc in incidents for s in inc.shots)
        at_position = [x for x in d if x <= 25.0]
        matched = d[:rounds]
        self.missing += max(0, rounds - len(at_position))
        self.errs += matched + [math.inf] * (rounds - len(matched))
        self.extra += len(d) - len(at_position)
        self.rounds_ok += len(at_position) == rounds
        self.tests += 1

    def summary(self) -> dict:
        e = np.array(self.errs)
        fin = e[np.isfinite(e)]
        return {
            "tests": self.tests,
            "rounds_fired": int(len(e)),
            "located_within_15m_pct": round(100 * float(np.mean(e <= 15.0)), 1),
            "located_within_25m_pct": round(100 * float(np.mean(e <= 25.0)), 1),
            "median_error_m": round(float(np.median(e)), 2),
            # "higher" picks a real element (unlocated rounds are infinite)
            "p90_error_m": round(float(np.percentile(e, 90, method="higher")), 2),
            "max_error_m": round(float(fin.max()), 1) if len(fin) else None,
            "rounds_exact_pct": round(100 * self.rounds_ok / max(self.tests, 1), 1),
            "rounds_missed": self.missing,
            "extra_shots_elsewhere": self.extra,
        }


# ------------------------------------------------------------------ synthetic
def family_events(family: str, n: int, bounds: tuple[float, float, float, float], seed: int,
                  spacing_s: float = 40.0, t0_ns: int = 1_700_000_000 * 10**9) -> Events:
    """``n`` incidents of one family at random places inside the area, one every ``spacing_s``."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = bounds
    mx, my = 0.15 * (x1 - x0), 0.15 * (y1 - y0)
    parts = []
    for k in range(n):
        x = float(rng.uniform(x0 + mx, x1 - mx))
        y = float(rng.uniform(y0 + my, y1 - my))
        t = t0_ns + int(k * spacing_s * 1e9)
        iid = f"{family[:2].upper()}{k:04d}"
        s = int(rng.integers(1 << 31))
        if family == "single":
            ev = single_round(incident_id=iid, x_m=x, y_m=y, t_ns=t, weapon="handgun", seed=s)
        elif family == "multiple":
            ev = round_string(incident_id=iid, x_m=x, y_m=y, t_ns=t, rounds=int(rng.integers(2, 9)), seed=s)
        elif family == "gunfight":
            ev = gunfight(incident_id=iid, x_m=x, y_m=y, t_ns=t, separation_m=float(rng.uniform(20, 150)),
                          rounds=(int(rng.integers(2, 6)), int(rng.integers(2, 6))), seed=s)
        elif family == "mobile":
            ev = mobile_shooter(incident_id=iid, x_m=x, y_m=y, t_ns=t, speed_mps=float(rng.uniform(5, 20)),
                                heading_deg=float(rng.uniform(0, 360)), rounds=int(rng.integers(4, 9)), seed=s)
        elif family == "full_auto":
            ev = full_auto(incident_id=iid, x_m=x, y_m=y, t_ns=t, rounds_per_burst=int(rng.integers(6, 16)),
                           rate_rps=float(rng.uniform(8, 14)), seed=s)
        else:
            raise ValueError(f"unknown scenario family {family!r}")
        parts.append(ev)
    return Events.combine(*parts)


def run_synthetic(densities=(12, 15, 20), n_per_family: int = 30, families=FAMILIES) -> dict:
    bounds = square_bounds(area_sq_mi=4)
    out: dict = {"clean": {}, "realistic": {}}
    for density in densities:
        sensors = sensor_grid(density_per_sq_mi=density, bounds_m=bounds, seed=100 + density)
        for cond_name, cond in (("clean", Conditions.clean()), ("realistic", Conditions.realistic())):
            for fam in families if cond_name == "realistic" else ("single", "multiple"):
                ev = family_events(fam, n_per_family, bounds, seed=1000 * density + FAMILIES.index(fam))
                sim = simulate_pulses(sensors=sensors, events=ev, conditions=cond, seed=7 * density + len(fam))
                # The simulated city is flat with shooters 1.5 m above ground: the site's
                # source height, as an agency's GIS terrain would give it.
                cfg = EngineConfig(temperature_c=sim.reported_temperature_c, ground_z_m=1.5)
                incidents = locate_batch(sensors, sim.pulses, cfg)
                sc = score(sim, incidents)
                out[cond_name][f"{density}/sq mi {fam}"] = _pick(sc.as_dict(), cond_name, fam)
    return out


def _pick(d: dict, cond: str, fam: str) -> dict:
    keys = ["locatable_shots", "locatable_found_pct", "median_error_m", "p90_error_m", "within_5m_pct",
            "false_shot_pct", "rounds_exact_pct", "ellipse_coverage_pct"]
    if cond == "clean":
        keys += ["rmse_m", "crb_rms_m", "rmse_over_crb"]
    if fam == "gunfight":
        keys.append("shooters_separated_pct")
    if fam == "mobile":
        keys.append("mobile_recognised_pct")
    if fam == "full_auto":
        keys.append("full_auto_tagged_pct")
    return {k: _round(d.get(k)) for k in keys}


def _round(v):
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 3 if abs(v) < 1 else 1)
    return v


# ---------------------------------------------------------------------- speed
def run_speed(area_sq_mi: float = 10.0, density: float = 15.0, duration_s: float = 3600.0) -> dict:
    bounds = square_bounds(area_sq_mi=area_sq_mi)
    sensors = sensor_grid(density_per_sq_mi=density, bounds_m=bounds, seed=11)
    ev = random_city_events(profile="new_years_eve", bounds_m=bounds, seed=12, duration_s=duration_s)
    sim = simulate_pulses(sensors=sensors, events=ev, conditions=Conditions.realistic(), seed=13)
    engine = Engine(sensors, EngineConfig(temperature_c=sim.reported_temperature_c, ground_z_m=1.5))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    latest = {}
    t0 = time.perf_counter()
    for now_ns, batch in sim.deliveries(1.0):
        for inc in engine.push(batch, now_ns=now_ns):
            latest[inc.id] = inc
    for inc in engine.flush():
        latest[inc.id] = inc
    elapsed = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sc = score(sim, list(latest.values()))
    n_pulses = len(sim.pulses)
    baseline = run_baseline(sim, sensors)
    result = {
        "incidents_true": len([i for i in ev.incidents]),
        "area_sq_mi": area_sq_mi,
        "sensors": len(sensors),
        "pulses": n_pulses,
        "engine_seconds": round(elapsed, 2),
        "pulses_per_s": round(n_pulses / elapsed),
        "ms_per_shot": round(1e3 * elapsed / max(engine.stats.shots, 1), 3),
        "shots_located": engine.stats.shots,
        "incidents_emitted": len(latest),
        "peak_rss_mb": round(rss1 / 1024, 1),
        "rss_growth_mb": round((rss1 - rss0) / 1024, 1),
        "locatable_found_pct": _round(sc.locatable_found_pct),
        "false_shot_pct": _round(sc.false_shot_pct),
        "within_5m_pct": _round(sc.within_5m_pct),
        "baseline": baseline,
    }
    if baseline.get("pulses_per_s"):
        result["speed_ratio_vs_baseline"] = round(result["pulses_per_s"] / baseline["pulses_per_s"], 2)
    return result


def run_baseline(sim, sensors) -> dict:
    """scipy.optimize.least_squares per shot on the *true* direct pulses (no association)."""
    try:
        from scipy.optimize import least_squares
    except ImportError:
        return {"skipped": "scipy not installed (pip install 'tocsin[test]')"}
    pos = {s.id: (s.x_m, s.y_m, s.z_m) for s in sensors}
    c = sim.c_mps
    groups = []
    for k in range(len(sim.n_direct)):
        ps = sim.pulses_of_shot(k, direct_only=True)
        if len(ps) >= 4:
            groups.append(ps)
    n = sum(len(g) for g in groups)
    t0 = time.perf_counter()
    for g in groups:
        S = np.array([pos[p.sensor] for p in g])
        base = min(p.t_ns for p in g)
        t = np.array([(p.t_ns - base) / 1e9 for p in g])
        i0 = int(np.argmin(t))

        def f(th, S=S, t=t):
            d = np.sqrt((S[:, 0] - th[0]) ** 2 + (S[:, 1] - th[1]) ** 2 + (S[:, 2] - 1.5) ** 2)
            return t - th[2] - d / c

        least_squares(f, x0=[S[i0, 0] + 1, S[i0, 1] + 1, -0.5], method="lm")
    dt = time.perf_counter() - t0
    return {"method": "scipy least_squares (LM) on pre-grouped direct pulses", "shots": len(groups),
            "pulses": n, "seconds": round(dt, 2), "pulses_per_s": round(n / max(dt, 1e-9))}


# ---------------------------------------------------------------------- main
def run(args) -> dict:
    shared = Path(getattr(args, "shared_data", None) or Path(__file__).resolve().parents[2].parent / "shared" / "data")
    sections = getattr(args, "sections", None) or ["pittsburgh", "synthetic", "speed"]
    quick = bool(getattr(args, "quick", False))
    results: dict = {}
    if "pittsburgh" in sections:
        if pgh.dataset_dir(shared).is_dir():
            results["pittsburgh"] = run_pittsburgh(shared)
            _table("Pittsburgh live-fire (ShotSpotter TN-098 data; survey ±2.5 m)", results["pittsburgh"])
        else:
            results["pittsburgh"] = {"skipped": f"data not found at {pgh.dataset_dir(shared)}"}
            print(f"pittsburgh: SKIPPED — data not found at {pgh.dataset_dir(shared)}")
    if "synthetic" in sections:
        results["synthetic"] = run_synthetic(n_per_family=10 if quick else 30,
                                             densities=(15,) if quick else (12, 15, 20))
        for cond in ("clean", "realistic"):
            _table(f"Synthetic, {cond}", results["synthetic"][cond])
    if "speed" in sections:
        results["speed"] = run_speed(duration_s=600.0 if quick else 3600.0)
        _table("Speed: New Year's Eve, streamed in delivery order", {"engine": {k: v for k, v in results["speed"].items() if k != "baseline"},
                                                                      "baseline": results["speed"]["baseline"]})
    print("JSON " + json.dumps(results, default=str))
    return results


def _table(title: str, rows: dict) -> None:
    print(f"\n== {title}")
    for name, vals in rows.items():
        print(f"  {name}")
        for k, v in vals.items():
            print(f"      {k:<28} {v}")
    sys.stdout.flush()
