"""Builders for single incidents: one round, a string of rounds, a gunfight, a mobile
shooter, full-auto bursts, and non-gunfire decoys (firecracker strings, aerial shells).

Every builder is keyword-only, returns an :class:`~localization.sim.truth.Events` holding one
incident, and is deterministic from ``seed`` (an int or a numpy Generator).  Positions are
local metres (shooter ``z_m`` 1.5 m above flat ground), ``t_ns`` is the first emission time in
integer nanoseconds, headings are degrees clockwise from north.
"""
from __future__ import annotations

import numpy as np

from localization.sim import _checks as ck
from localization.sim.truth import (
    GUNS,
    SOURCE_LEVEL_DB,
    Events,
    Scenario,
    TruthIncident,
    TruthShot,
    truth_tags,
)

SHOOTER_HEIGHT_M = 1.5
SEMI_AUTO_MIN_INTERVAL_S = 0.16
"""Shortest semi-auto interval (6.25 rounds/s), so strings never look full-auto (≥ 7/s)."""


def semi_auto_intervals(rng: np.random.Generator, n: int, median_interval_s: float) -> np.ndarray:
    """``n`` intervals (s) between aimed/rapid semi-auto rounds: log-normal around the median
    (σ_ln = 0.3), never shorter than 0.16 s.  0.2 s ≈ 300 rounds/min; Pittsburgh's 3-round
    handgun strings have a median of 0.56 s."""
    iv = median_interval_s * np.exp(0.3 * rng.standard_normal(n))
    return np.maximum(iv, SEMI_AUTO_MIN_INTERVAL_S)


def _build(
    *,
    incident_id: str,
    scenario: Scenario,
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    t_ns: np.ndarray,
    shooter: np.ndarray,
    weapons: tuple[str, ...],
    is_gunfire: bool,
    rng: np.random.Generator,
    speed_mps: float | None = None,
    heading_deg: float | None = None,
) -> Events:
    order = np.argsort(t_ns, kind="stable")
    x, y, z, t_ns, shooter = x[order], y[order], z[order], t_ns[order], shooter[order]
    # renumber shooters in order of first shot
    first = {}
    for s in shooter:
        first.setdefault(int(s), len(first))
    shooter = np.array([first[int(s)] for s in shooter], dtype=np.int64)
    weapon_of = {first[k]: weapons[k] for k in first}
    base = {sh: rng.uniform(*SOURCE_LEVEL_DB[w]) for sh, w in weapon_of.items()}
    level = np.array([base[int(s)] for s in shooter]) + rng.uniform(-1.0, 1.0, len(shooter))
    shots = tuple(
        TruthShot(
            incident_id=incident_id,
            shooter=int(shooter[i]),
            x_m=float(x[i]),
            y_m=float(y[i]),
            z_m=float(z[i]),
            t_ns=int(t_ns[i]),
            weapon=weapon_of[int(shooter[i])],  # type: ignore[arg-type]
            is_gunfire=is_gunfire,
            source_db=float(level[i]),
        )
        for i in range(len(t_ns))
    )
    n = len(shots)
    if is_gunfire:
        kind = "single_gunshot" if n == 1 else "multiple_gunshots"
        tags = truth_tags(t_ns, shooter, mobile=speed_mps is not None)
    else:
        kind, tags = "non_gunfire", ()
    inc = TruthIncident(
        id=incident_id,
        kind=kind,  # type: ignore[arg-type]
        tags=tags,
        scenario=scenario,
        rounds=n,
        shooters=len(first),
        start_ns=int(t_ns[0]),
        end_ns=int(t_ns[-1]),
        is_gunfire=is_gunfire,
        speed_mps=speed_mps,
        heading_deg=heading_deg,
    )
    return Events(incidents=(inc,), shots=shots)


def _common(incident_id, x_m, y_m, t_ns, weapon, weapons=GUNS):
    if not isinstance(incident_id, str) or not incident_id:
        raise ValueError(f"`incident_id` must be a non-empty string, got {incident_id!r}")
    ck.finite("x_m", x_m)
    ck.finite("y_m", y_m)
    if isinstance(t_ns, bool) or not isinstance(t_ns, (int, np.integer)):
        raise ValueError(f"`t_ns` must be an integer number of nanoseconds, got {t_ns!r}")
    ck.choice("weapon", weapon, weapons)


def _offsets_ns(offsets_s: np.ndarray, t_ns: int) -> np.ndarray:
    return int(t_ns) + np.round(np.asarray(offsets_s) * 1e9).astype(np.int64)


def single_round(
    *, incident_id: str, x_m: float, y_m: float, t_ns: int, weapon: str = "handgun", seed: ck.SeedLike = None
) -> Events:
    """One round fired at ``(x_m, y_m)`` at ``t_ns``."""
    _common(incident_id, x_m, y_m, t_ns, weapon)
    return round_string(incident_id=incident_id, x_m=x_m, y_m=y_m, t_ns=t_ns, rounds=1, weapon=weapon, seed=seed)


def round_string(
    *,
    incident_id: str,
    x_m: float,
    y_m: float,
    t_ns: int,
    rounds: int,
    weapon: str = "handgun",
    median_interval_s: float = 0.56,
    seed: ck.SeedLike = None,
) -> Events:
    """``rounds`` semi-automatic rounds from one standing shooter.

    median_interval_s: median time between rounds in seconds (0.2 ≈ 300 rounds/min rapid fire,
    0.56 = Pittsburgh's 3-round strings); intervals jitter log-normally, never below 0.16 s.
    """
    _common(incident_id, x_m, y_m, t_ns, weapon)
    ck.count("rounds", rounds)
    ck.within("median_interval_s", median_interval_s, SEMI_AUTO_MIN_INTERVAL_S, 30.0, "s")
    rng = ck.rng_from(seed)
    off = np.concatenate([[0.0], np.cumsum(semi_auto_intervals(rng, rounds - 1, median_interval_s))])
    n = rounds
    return _build(
        incident_id=incident_id, scenario="single" if n == 1 else "string",
        x=np.full(n, float(x_m)), y=np.full(n, float(y_m)), z=np.full(n, SHOOTER_HEIGHT_M),
        t_ns=_offsets_ns(off, t_ns), shooter=np.zeros(n, np.int64), weapons=(weapon,), is_gunfire=True, rng=rng,
    )


def gunfight(
    *,
    incident_id: str,
    x_m: float,
    y_m: float,
    t_ns: int,
    separation_m: float = 60.0,
    rounds: tuple[int, int] = (4, 3),
    weapons: tuple[str, str] = ("handgun", "handgun"),
    response_s: float = 0.8,
    median_interval_s: float = 0.35,
    seed: ck.SeedLike = None,
) -> Events:
    """Two shooters ``separation_m`` apart (20–150 m, centred on ``(x_m, y_m)``, random bearing)
    exchanging fire: shooter 0 opens at ``t_ns``, shooter 1 answers ``response_s`` seconds later;
    each fires ``rounds[i]`` semi-auto rounds, so the strings interleave."""
    _common(incident_id, x_m, y_m, t_ns, "handgun")
    ck.within("separation_m", separation_m, 20.0, 150.0, "m")
    try:
        r0, r1 = rounds
        w0, w1 = weapons
    except (TypeError, ValueError):
        raise ValueError(f"`rounds` and `weapons` must be pairs, got {rounds!r} and {weapons!r}") from None
    ck.count("rounds[0]", r0)
    ck.count("rounds[1]", r1)
    ck.choice("weapons[0]", w0, GUNS)
    ck.choice("weapons[1]", w1, GUNS)
    ck.within("response_s", response_s, 0.05, 30.0, "s")
    ck.within("median_interval_s", median_interval_s, SEMI_AUTO_MIN_INTERVAL_S, 30.0, "s")
    rng = ck.rng_from(seed)
    b = rng.uniform(0.0, 2.0 * np.pi)
    half = 0.5 * separation_m * np.array([np.sin(b), np.cos(b)])
    offs, xs, ys, sh = [], [], [], []
    for k, (n, start, sign) in enumerate(((r0, 0.0, -1.0), (r1, response_s, 1.0))):
        o = start + np.concatenate([[0.0], np.cumsum(semi_auto_intervals(rng, n - 1, median_interval_s))])
        offs.append(o)
        xs.append(np.full(n, x_m + sign * half[0]))
        ys.append(np.full(n, y_m + sign * half[1]))
        sh.append(np.full(n, k, np.int64))
    n = r0 + r1
    return _build(
        incident_id=incident_id, scenario="gunfight", x=np.concatenate(xs), y=np.concatenate(ys),
        z=np.full(n, SHOOTER_HEIGHT_M), t_ns=_offsets_ns(np.concatenate(offs), t_ns), shooter=np.concatenate(sh),
        weapons=(w0, w1), is_gunfire=True, rng=rng,
    )


def mobile_shooter(
    *,
    incident_id: str,
    x_m: float,
    y_m: float,
    t_ns: int,
    speed_mps: float = 10.0,
    heading_deg: float = 0.0,
    rounds: int = 5,
    weapon: str = "handgun",
    median_interval_s: float = 0.5,
    seed: ck.SeedLike = None,
) -> Events:
    """A shooter in a moving car: starts at ``(x_m, y_m)`` at ``t_ns``, drives straight at
    ``speed_mps`` (m/s, 1–40; typical 5–20) toward ``heading_deg`` (clockwise from north) and
    fires ``rounds`` (≥ 2) semi-auto rounds along the path."""
    _common(incident_id, x_m, y_m, t_ns, weapon)
    ck.within("speed_mps", speed_mps, 1.0, 40.0, "m/s")
    h = ck.finite("heading_deg", heading_deg) % 360.0
    ck.count("rounds", rounds, minimum=2)
    ck.within("median_interval_s", median_interval_s, SEMI_AUTO_MIN_INTERVAL_S, 30.0, "s")
    rng = ck.rng_from(seed)
    off = np.concatenate([[0.0], np.cumsum(semi_auto_intervals(rng, rounds - 1, median_interval_s))])
    hr = np.radians(h)
    return _build(
        incident_id=incident_id, scenario="mobile",
        x=x_m + speed_mps * off * np.sin(hr), y=y_m + speed_mps * off * np.cos(hr),
        z=np.full(rounds, SHOOTER_HEIGHT_M), t_ns=_offsets_ns(off, t_ns), shooter=np.zeros(rounds, np.int64),
        weapons=(weapon,), is_gunfire=True, rng=rng, speed_mps=float(speed_mps), heading_deg=h,
    )


def full_auto(
    *,
    incident_id: str,
    x_m: float,
    y_m: float,
    t_ns: int,
    rounds_per_burst: int = 8,
    bursts: int = 1,
    rate_rps: float = 11.0,
    burst_gap_s: tuple[float, float] = (0.5, 2.0),
    weapon: str = "rifle",
    seed: ck.SeedLike = None,
) -> Events:
    """Automatic fire: ``bursts`` bursts of ``rounds_per_burst`` rounds at ``rate_rps``
    rounds/s (7–20; 450–950 rounds/min is 7.5–16/s) with 3 % cycle jitter, separated by a
    uniform gap in ``burst_gap_s`` seconds."""
    _common(incident_id, x_m, y_m, t_ns, weapon)
    ck.count("rounds_per_burst", rounds_per_burst, minimum=3)
    ck.count("bursts", bursts)
    ck.within("rate_rps", rate_rps, 7.0, 20.0, "rounds/s")
    g0, g1 = ck.interval("burst_gap_s", burst_gap_s, lo=0.2, hi=60.0, unit="s")
    rng = ck.rng_from(seed)
    offs, start = [], 0.0
    for _ in range(bursts):
        iv = (1.0 / rate_rps) * (1.0 + 0.03 * rng.standard_normal(rounds_per_burst - 1))
        o = start + np.concatenate([[0.0], np.cumsum(iv)])
        offs.append(o)
        start = o[-1] + rng.uniform(g0, g1)
    off = np.concatenate(offs)
    n = len(off)
    return _build(
        incident_id=incident_id, scenario="full_auto", x=np.full(n, float(x_m)), y=np.full(n, float(y_m)),
        z=np.full(n, SHOOTER_HEIGHT_M), t_ns=_offsets_ns(off, t_ns), shooter=np.zeros(n, np.int64),
        weapons=(weapon,), is_gunfire=True, rng=rng,
    )


def firecracker_string(
    *, incident_id: str, x_m: float, y_m: float, t_ns: int, pops: int = 20, seed: ck.SeedLike = None
) -> Events:
    """A string of firecrackers (not gunfire): ``pops`` bangs within ~2 m of ``(x_m, y_m)`` near
    the ground (z 0–1 m) at an irregular cadence (intervals 20–400 ms, log-uniform)."""
    _common(incident_id, x_m, y_m, t_ns, "handgun")
    ck.count("pops", pops)
    rng = ck.rng_from(seed)
    iv = np.exp(rng.uniform(np.log(0.02), np.log(0.4), pops - 1))
    off = np.concatenate([[0.0], np.cumsum(iv)])
    return _build(
        incident_id=incident_id, scenario="fireworks",
        x=x_m + rng.uniform(-2.0, 2.0, pops), y=y_m + rng.uniform(-2.0, 2.0, pops), z=rng.uniform(0.0, 1.0, pops),
        t_ns=_offsets_ns(off, t_ns), shooter=np.zeros(pops, np.int64), weapons=("firecracker",),
        is_gunfire=False, rng=rng,
    )


def aerial_shells(
    *,
    incident_id: str,
    x_m: float,
    y_m: float,
    t_ns: int,
    shells: int = 5,
    height_m: tuple[float, float] = (50.0, 200.0),
    seed: ck.SeedLike = None,
) -> Events:
    """Aerial firework shells (not gunfire) bursting ``height_m`` metres above ground, within
    ~30 m horizontally of ``(x_m, y_m)``, 1–8 s apart."""
    _common(incident_id, x_m, y_m, t_ns, "handgun")
    ck.count("shells", shells)
    h0, h1 = ck.interval("height_m", height_m, lo=10.0, hi=500.0, unit="m")
    rng = ck.rng_from(seed)
    off = np.concatenate([[0.0], np.cumsum(rng.uniform(1.0, 8.0, shells - 1))])
    return _build(
        incident_id=incident_id, scenario="aerial_shells",
        x=x_m + rng.uniform(-30.0, 30.0, shells), y=y_m + rng.uniform(-30.0, 30.0, shells),
        z=rng.uniform(h0, h1, shells), t_ns=_offsets_ns(off, t_ns), shooter=np.zeros(shells, np.int64),
        weapons=("aerial_shell",), is_gunfire=False, rng=rng,
    )
