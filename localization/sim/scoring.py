"""Score engine output against simulation truth.

A truth shot is *found* when an engine shot lies within ``radius_m`` (horizontal) and
``window_s`` of its emission time; matching is one-to-one, greedy by distance.  Engine
incidents map to the truth incident that holds the majority of their matched shots; a truth
incident's *primary* engine incident is the mapped one with the most matched shots.
Percentages are 0–100 and ``nan`` when their denominator is empty.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from localization.sim import _checks as ck
from localization.sim.hearing import SimResult
from localization.types import Incident


@dataclass(frozen=True, slots=True)
class Score:
    """Metrics of one engine run (counts are ints, errors metres, ``_pct`` 0–100).

    Shots: ``truth_shots`` gunfire shots fired, ``locatable_shots`` of them heard directly by
    ≥ 4 sensors; ``shots_found`` matched; ``found_pct`` of all, ``locatable_found_pct`` of the
    locatable.  Errors over found gunfire shots: ``rmse_m``, ``median_error_m``, ``p90_error_m``,
    ``within_5m_pct``.  ``engine_shots``, ``false_shots`` (matching no truth shot, gunfire or
    decoy) and ``false_shot_pct`` of engine shots; ``decoy_shots_located`` engine shots matched
    to non-gunfire bangs.
    Incidents: ``truth_incidents`` (gunfire), ``incidents_detected`` (≥ 1 engine incident maps
    to it); ``rounds_exact_pct`` (one engine incident, same round count) and ``kind_correct_pct``
    of detected; ``false_incidents`` (engine incidents with no matched shot); ``decoy_alerts``
    (engine incidents mapped to fireworks and not kind ``possible_gunfire``).
    Tags, each as ``(hits, of)`` plus a percent: ``shooters_separated`` (detected two-shooter
    incidents whose primary engine incident has 2 shooters), ``mobile_recognised`` (detected mobile
    incidents tagged ``mobile_shooter`` with |speed error| ≤ 2 m/s), ``full_auto_tagged``
    (detected full-auto incidents tagged ``full_auto``); ``full_auto_false_tags`` counts tags on
    detected incidents that were not full-auto.
    Calibration: ``ellipse_coverage_pct`` of found truth positions inside the engine shot's 95 %
    ellipse (ideal ≈ 95); ``crb_rms_m`` RMS Cramér–Rao bound of found shots and
    ``rmse_over_crb`` (≥ 1; near 1 is efficient).
    """

    truth_shots: int
    locatable_shots: int
    shots_found: int
    found_pct: float
    locatable_found_pct: float
    rmse_m: float
    median_error_m: float
    p90_error_m: float
    within_5m_pct: float
    engine_shots: int
    false_shots: int
    false_shot_pct: float
    decoy_shots_located: int
    truth_incidents: int
    incidents_detected: int
    rounds_exact_pct: float
    kind_correct_pct: float
    false_incidents: int
    decoy_alerts: int
    shooters_separated: tuple[int, int]
    shooters_separated_pct: float
    mobile_recognised: tuple[int, int]
    mobile_recognised_pct: float
    full_auto_tagged: tuple[int, int]
    full_auto_tagged_pct: float
    full_auto_false_tags: int
    ellipse_coverage_pct: float
    crb_rms_m: float
    rmse_over_crb: float

    def as_dict(self) -> dict[str, float | int | tuple[int, int]]:
        return asdict(self)


def _pct(num: float, den: float) -> float:
    return 100.0 * num / den if den else math.nan


def latest_revisions(incidents: Sequence[Incident]) -> list[Incident]:
    """Keep each incident id's highest revision (the last one seen on ties), in first-seen order."""
    best: dict[str, Incident] = {}
    for inc in incidents:
        if not isinstance(inc, Incident):
            raise ValueError(f"`incidents` must hold Incident objects, got {type(inc).__name__}")
        cur = best.get(inc.id)
        if cur is None or inc.revision >= cur.revision:
            best[inc.id] = inc
    return list(best.values())


def match_shots(
    truth_xy_m: np.ndarray, truth_t_ns: np.ndarray, est_xy_m: np.ndarray, est_t_ns: np.ndarray,
    *, radius_m: float = 25.0, window_s: float = 0.05,
) -> np.ndarray:
    """One-to-one greedy matching by distance.  Returns, for each estimate, the index of its
    truth shot or −1.  ``truth_t_ns`` must be sorted ascending."""
    m = np.full(len(est_t_ns), -1, np.int64)
    if len(truth_t_ns) == 0 or len(est_t_ns) == 0:
        return m
    w = int(round(window_s * 1e9))
    lo = np.searchsorted(truth_t_ns, est_t_ns - w, side="left")
    hi = np.searchsorted(truth_t_ns, est_t_ns + w, side="right")
    cnt = hi - lo
    e_idx = np.repeat(np.arange(len(est_t_ns)), cnt)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt)
    t_idx = np.arange(cnt.sum()) + starts
    d = np.hypot(truth_xy_m[t_idx, 0] - est_xy_m[e_idx, 0], truth_xy_m[t_idx, 1] - est_xy_m[e_idx, 1])
    ok = d <= radius_m
    e_idx, t_idx, d = e_idx[ok], t_idx[ok], d[ok]
    used_t: set[int] = set()
    for i in np.argsort(d, kind="stable"):
        e, t = int(e_idx[i]), int(t_idx[i])
        if m[e] < 0 and t not in used_t:
            m[e] = t
            used_t.add(t)
    return m


def inside_ellipse(dx_east_m, dy_north_m, semi_major_m, semi_minor_m, orientation_deg) -> np.ndarray:
    """Whether offsets (truth − estimate) fall inside ellipses whose major axis points
    ``orientation_deg`` clockwise from north."""
    th = np.radians(np.asarray(orientation_deg, dtype=float))
    major = np.asarray(dx_east_m) * np.sin(th) + np.asarray(dy_north_m) * np.cos(th)
    minor = np.asarray(dx_east_m) * np.cos(th) - np.asarray(dy_north_m) * np.sin(th)
    a = np.maximum(np.asarray(semi_major_m, dtype=float), 1e-12)
    b = np.maximum(np.asarray(semi_minor_m, dtype=float), 1e-12)
    return (major / a) ** 2 + (minor / b) ** 2 <= 1.0


def score(sim: SimResult, incidents: Sequence[Incident], *, radius_m: float = 25.0, window_s: float = 0.05) -> Score:
    """Compare engine ``incidents`` (all revisions are fine: the latest per id counts) with the
    truth of ``sim``.  ``radius_m`` metres and ``window_s`` seconds define a shot match."""
    if not isinstance(sim, SimResult):
        raise ValueError(f"`sim` must be a SimResult, got {type(sim).__name__}")
    radius_m = ck.positive("radius_m", radius_m)
    window_s = ck.positive("window_s", window_s)
    incs = latest_revisions(incidents)
    ev = sim.events
    ta = ev.shot_arrays()
    txy = np.column_stack([ta["x_m"], ta["y_m"]])
    gun = ta["is_gunfire"]

    shots = [(ii, s) for ii, inc in enumerate(incs) for s in inc.shots]
    n_est = len(shots)
    exy = np.array([[s.x_m, s.y_m] for _, s in shots], dtype=float).reshape(-1, 2)
    et = np.array([s.t_ns for _, s in shots], dtype=np.int64)
    e_inc = np.array([ii for ii, _ in shots], dtype=np.int64)
    m = match_shots(txy, ta["t_ns"], exy, et, radius_m=radius_m, window_s=window_s)

    matched = m >= 0
    to_gun = matched & gun[np.maximum(m, 0)]
    found = np.zeros(len(gun), bool)
    found[m[to_gun]] = True
    err = np.hypot(*(exy[to_gun] - txy[m[to_gun]]).T) if to_gun.any() else np.zeros(0)
    loc = sim.locatable & gun

    # ellipse coverage and CRB over found gunfire shots
    if to_gun.any():
        idx = np.flatnonzero(to_gun)
        el = [shots[i][1].ellipse for i in idx]
        d = txy[m[idx]] - exy[idx]
        inside = inside_ellipse(d[:, 0], d[:, 1], [e.semi_major_m for e in el], [e.semi_minor_m for e in el],
                                [e.orientation_deg for e in el])
        crb = sim.crb_m[m[idx]]
        crb = crb[np.isfinite(crb)]
        crb_rms = float(np.sqrt(np.mean(crb**2))) if len(crb) else math.nan
    else:
        inside = np.zeros(0, bool)
        crb_rms = math.nan
    rmse = float(np.sqrt(np.mean(err**2))) if len(err) else math.nan

    # incidents: engine incident → truth incident by majority of matched shots
    truth_inc_of_shot = np.array([s.incident_id for s in ev.shots], dtype=object)
    truth_by_id = {t.id: t for t in ev.incidents}
    mapped: dict[str, list[tuple[int, int]]] = {}  # truth id → [(n matched shots, engine idx)]
    false_incidents = decoy_alerts = 0
    for ii, inc in enumerate(incs):
        tm = m[(e_inc == ii) & matched]
        if len(tm) == 0:
            false_incidents += 1
            continue
        ids, counts = np.unique(truth_inc_of_shot[tm].astype(str), return_counts=True)
        tid = str(ids[np.argmax(counts)])
        if not truth_by_id[tid].is_gunfire:
            decoy_alerts += inc.kind != "possible_gunfire"
            continue
        mapped.setdefault(tid, []).append((int(counts.max()), ii))

    gun_incs = [t for t in ev.incidents if t.is_gunfire]
    detected = [t for t in gun_incs if t.id in mapped]
    rounds_ok = kind_ok = 0
    sep = [0, 0]
    mob = [0, 0]
    fa = [0, 0]
    fa_false = 0
    for t in detected:
        lst = mapped[t.id]
        primary = incs[max(lst)[1]]
        rounds_ok += len(lst) == 1 and primary.rounds == t.rounds
        kind_ok += primary.kind == t.kind
        if t.shooters == 2:
            sep[1] += 1
            sep[0] += primary.shooters == 2
        if "mobile_shooter" in t.tags:
            mob[1] += 1
            mob[0] += ("mobile_shooter" in primary.tags and primary.speed_mps is not None
                       and abs(primary.speed_mps - (t.speed_mps or 0.0)) <= 2.0)
        if "full_auto" in t.tags:
            fa[1] += 1
            fa[0] += "full_auto" in primary.tags
        elif "full_auto" in primary.tags:
            fa_false += 1

    n_false = int((~matched).sum())
    return Score(
        truth_shots=int(gun.sum()),
        locatable_shots=int(loc.sum()),
        shots_found=int(found.sum()),
        found_pct=_pct(found.sum(), gun.sum()),
        locatable_found_pct=_pct((found & loc).sum(), loc.sum()),
        rmse_m=rmse,
        median_error_m=float(np.median(err)) if len(err) else math.nan,
        p90_error_m=float(np.percentile(err, 90)) if len(err) else math.nan,
        within_5m_pct=_pct((err <= 5.0).sum(), len(err)),
        engine_shots=n_est,
        false_shots=n_false,
        false_shot_pct=_pct(n_false, n_est),
        decoy_shots_located=int((matched & ~gun[np.maximum(m, 0)]).sum()),
        truth_incidents=len(gun_incs),
        incidents_detected=len(detected),
        rounds_exact_pct=_pct(rounds_ok, len(detected)),
        kind_correct_pct=_pct(kind_ok, len(detected)),
        false_incidents=false_incidents,
        decoy_alerts=int(decoy_alerts),
        shooters_separated=(int(sep[0]), sep[1]),
        shooters_separated_pct=_pct(sep[0], sep[1]),
        mobile_recognised=(int(mob[0]), mob[1]),
        mobile_recognised_pct=_pct(mob[0], mob[1]),
        full_auto_tagged=(int(fa[0]), fa[1]),
        full_auto_tagged_pct=_pct(fa[0], fa[1]),
        full_auto_false_tags=fa_false,
        ellipse_coverage_pct=_pct(inside.sum(), len(inside)),
        crb_rms_m=crb_rms,
        rmse_over_crb=(rmse / crb_rms) if (crb_rms and math.isfinite(crb_rms) and not math.isnan(rmse)) else math.nan,
    )
