"""The program report (the general orders' monthly and yearly updates): activations
against community calls, founded/unfounded, rounds, where and when, significant
incidents, missed incidents and response times — computed from the store.  No Qt.

Exercise (training) incidents never count unless ``exercise=True`` asks for a report of
the training database alone.
"""
from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from app.reports.period import NS_PER_S, Period, months_of, zone
from app.reports.progress import ProgressCallback, no_progress
from app.store import Store

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ROUND_BINS = (("1", 1, 1), ("2", 2, 2), ("3–5", 3, 5), ("6–10", 6, 10), ("11–20", 11, 20), ("21+", 21, 10**9))
SIGNIFICANT_ROUNDS = 10
HEAT_CELLS = 24


@dataclass(frozen=True, slots=True)
class Stat:
    n: int
    median_s: float | None
    p90_s: float | None
    mean_s: float | None


@dataclass(frozen=True, slots=True)
class Significant:
    id: int
    uid: str
    start_ns: int
    kind: str
    rounds: int
    shooters: int
    address: str | None
    disposition: str | None
    why: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HeatMap:
    """Counts on a ``rows × cols`` grid over ``bbox`` = (lat_min, lon_min, lat_max, lon_max);
    row 0 is the south edge.  ``coverage`` is the agency's (lon, lat) ring, may be empty."""

    bbox: tuple[float, float, float, float]
    counts: tuple[tuple[int, ...], ...]
    coverage: tuple[tuple[float, float], ...] = ()
    points: tuple[tuple[float, float], ...] = ()   # (lat, lon) of each activation, for the map layer

    @property
    def max(self) -> int:
        return max((max(r) for r in self.counts), default=0)


@dataclass(frozen=True)
class ProgramReport:
    period: Period
    title: str
    generated_ns: int
    activations: int
    by_kind: dict[str, int]
    with_calls: int                   # activations that a community member also called in
    calls: int                        # citizen calls linked to those activations
    dispositions: dict[str, int]      # founded / unfounded / other_source / not recorded
    rounds_total: int
    rounds_mean: float | None
    rounds_median: float | None
    rounds_max: int
    rounds_bins: dict[str, int]
    by_weekday: dict[str, int]
    by_hour: dict[int, int]
    by_slice: dict[str, int]          # per day of the month, or per month of the year
    heat: HeatMap
    significant: tuple[Significant, ...]
    significant_total: int
    missed: dict[str, int]            # reported / filed / pending / overdue
    missed_rows: tuple[dict, ...]
    response: dict[str, Stat]         # alert→ack, alert→dispatch, alert→on scene, ack→dispatch
    ems_requests: int
    sources: dict[str, int] = field(default_factory=dict)

    @property
    def without_calls(self) -> int:
        return self.activations - self.with_calls

    @property
    def founded_rate(self) -> float | None:
        decided = self.dispositions.get("founded", 0) + self.dispositions.get("unfounded", 0) \
            + self.dispositions.get("other_source", 0)
        return None if decided == 0 else self.dispositions.get("founded", 0) / decided


def _stat(values: list[float]) -> Stat:
    v = sorted(x for x in values if x is not None and math.isfinite(x) and x >= 0)
    if not v:
        return Stat(0, None, None, None)
    p90 = v[min(len(v) - 1, int(math.ceil(0.9 * len(v))) - 1)]
    return Stat(len(v), statistics.median(v), p90, statistics.fmean(v))


def _bbox(points: list[tuple[float, float]], coverage: tuple[tuple[float, float], ...]) -> tuple[float, float, float, float]:
    lats = [p[0] for p in points] + [c[1] for c in coverage]
    lons = [p[1] for p in points] + [c[0] for c in coverage]
    if not lats:
        return (0.0, 0.0, 1.0, 1.0)
    la0, la1, lo0, lo1 = min(lats), max(lats), min(lons), max(lons)
    pad_la = max((la1 - la0) * 0.03, 1e-4)
    pad_lo = max((lo1 - lo0) * 0.03, 1e-4)
    return (la0 - pad_la, lo0 - pad_lo, la1 + pad_la, lo1 + pad_lo)


def heat_map(points: list[tuple[float, float]], coverage: tuple[tuple[float, float], ...] = (), *,
             cells: int = HEAT_CELLS) -> HeatMap:
    """Bin (lat, lon) points on a grid with square-ish cells (longitude scaled by cos lat)."""
    la0, lo0, la1, lo1 = _bbox(points, coverage)
    k = math.cos(math.radians((la0 + la1) / 2))
    h, w = la1 - la0, (lo1 - lo0) * k
    if w >= h:
        cols, rows = cells, max(1, round(cells * h / w))
    else:
        rows, cols = cells, max(1, round(cells * w / h))
    grid = [[0] * cols for _ in range(rows)]
    for lat, lon in points:
        r = min(rows - 1, max(0, int((lat - la0) / (la1 - la0) * rows)))
        c = min(cols - 1, max(0, int((lon - lo0) / (lo1 - lo0) * cols)))
        grid[r][c] += 1
    return HeatMap((la0, lo0, la1, lo1), tuple(tuple(r) for r in grid), tuple(coverage), tuple(points))


def program_report(store: Store, period: Period, *, title: str = "Gunfire detection program report",
                   coverage: tuple[tuple[float, float], ...] = (), exercise: bool = False,
                   progress: ProgressCallback = no_progress, now_ns: int | None = None) -> ProgramReport:
    """Compute the report for ``period`` (local calendar of ``period.tz``).  ``progress`` is
    called once per month read and once at the end."""
    z = zone(period.tz)
    conn = store.conn
    ex = int(bool(exercise))
    months = months_of(period)
    steps = len(months) + 3
    rows: list = []
    for i, m in enumerate(months):
        progress(i, steps, f"reading incidents {m.label}")
        rows += conn.execute(
            "SELECT id, uid, source, kind, tags, start_ns, rounds, shooters, lat, lon, address, disposition, "
            "legal_hold, created_ns FROM incidents WHERE exercise = ? AND start_ns >= ? AND start_ns < ? "
            "ORDER BY start_ns, id", (ex, m.start_ns, m.end_ns)).fetchall()
    progress(len(months), steps, "calls, dispositions and response times")
    ids = [r["id"] for r in rows]
    # Per-incident facts from the workflow tables, one grouped query each (read-only).
    sel = "(SELECT id FROM incidents WHERE exercise = ? AND start_ns >= ? AND start_ns < ?)"
    span = (ex, period.start_ns, period.end_ns)

    def per_incident(sql: str) -> dict[int, tuple]:
        return {r[0]: tuple(r[1:]) for r in conn.execute(sql.replace("{ids}", sel), span)}

    calls = per_incident("SELECT incident_id, count(*), max(victim_confirmed) FROM citizen_calls "
                         "WHERE incident_id IN {ids} GROUP BY incident_id")
    ems = per_incident("SELECT incident_id, count(*) FROM ems_requests WHERE incident_id IN {ids} GROUP BY incident_id")
    alert = per_incident("SELECT incident_id, min(created_ns) FROM alerts WHERE incident_id IN {ids} "
                         "GROUP BY incident_id")
    ack = per_incident("SELECT incident_id, min(t_ns) FROM acknowledgments WHERE kind = 'dispatcher' "
                       "AND incident_id IN {ids} GROUP BY incident_id")
    status_t: dict[str, dict[int, tuple]] = {
        s: per_incident(f"SELECT incident_id, min(t_ns) FROM status_events WHERE to_status = '{s}' "
                        "AND incident_id IN {ids} GROUP BY incident_id")
        for s in ("dispatched", "on_scene")}
    evidence = per_incident("SELECT incident_id, group_concat(evidence, ',') FROM dispositions "
                            "WHERE incident_id IN {ids} GROUP BY incident_id")
    progress(len(months) + 1, steps, "tallies and heat map")

    by_kind: Counter = Counter()
    disp: Counter = Counter()
    sources: Counter = Counter()
    weekday: Counter = Counter()
    hour: Counter = Counter()
    slices: Counter = Counter()
    rounds: list[int] = []
    points: list[tuple[float, float]] = []
    significant: list[Significant] = []
    r_ack, r_disp, r_scene, r_ack_disp = [], [], [], []
    for r in rows:
        iid = r["id"]
        by_kind[r["kind"]] += 1
        disp[r["disposition"] or "not recorded"] += 1
        sources[r["source"]] += 1
        local = datetime.fromtimestamp(r["start_ns"] / NS_PER_S, tz=z)
        weekday[WEEKDAYS[local.weekday()]] += 1
        hour[local.hour] += 1
        slices[f"{local.day:02d}" if period.kind == "month" else local.strftime("%b")] += 1
        rounds.append(int(r["rounds"]))
        if r["lat"] is not None and r["lon"] is not None:
            points.append((float(r["lat"]), float(r["lon"])))
        t_alert = alert.get(iid, (r["created_ns"],))[0]
        if iid in ack:
            r_ack.append((ack[iid][0] - t_alert) / NS_PER_S)
        if iid in status_t["dispatched"]:
            r_disp.append((status_t["dispatched"][iid][0] - t_alert) / NS_PER_S)
            if iid in ack:
                r_ack_disp.append((status_t["dispatched"][iid][0] - ack[iid][0]) / NS_PER_S)
        if iid in status_t["on_scene"]:
            r_scene.append((status_t["on_scene"][iid][0] - t_alert) / NS_PER_S)
        why = []
        if r["rounds"] >= SIGNIFICANT_ROUNDS:
            why.append(f"{r['rounds']} rounds")
        if r["shooters"] and r["shooters"] >= 2:
            why.append(f"{r['shooters']} shooters")
        tags = [t for t in (r["tags"] or "").split(",") if t]
        if "full_auto" in tags:
            why.append("full-auto")
        if calls.get(iid, (0, 0))[1] or "victim" in (evidence.get(iid, ("",))[0] or ""):
            why.append("victim")
        if iid in ems:
            why.append("EMS requested")
        if r["legal_hold"]:
            why.append("legal hold (investigation)")
        if why:
            significant.append(Significant(iid, r["uid"], r["start_ns"], r["kind"], int(r["rounds"]),
                                           int(r["shooters"] or 1), r["address"], r["disposition"], tuple(why)))
    significant.sort(key=lambda s: (-len(s.why), -s.rounds, s.start_ns))

    missed_rows = [dict(m) for m in conn.execute(
        "SELECT id, found_ns, due_ns, officer, lat, lon, evidence, filed_ns FROM missed_reports "
        "WHERE found_ns >= ? AND found_ns < ? ORDER BY found_ns", (period.start_ns, period.end_ns))]
    now = store.clock.now_ns() if now_ns is None else now_ns
    missed = {"reported": len(missed_rows),
              "filed": sum(1 for m in missed_rows if m["filed_ns"] is not None),
              "filed late": sum(1 for m in missed_rows if m["filed_ns"] is not None and m["filed_ns"] > m["due_ns"]),
              "pending": sum(1 for m in missed_rows if m["filed_ns"] is None and m["due_ns"] >= now),
              "overdue": sum(1 for m in missed_rows if m["filed_ns"] is None and m["due_ns"] < now)}
    slice_keys = ([f"{d:02d}" for d in range(1, 32)] if period.kind == "month"
                  else [datetime(2000, m, 1).strftime("%b") for m in range(1, 13)])
    if period.kind == "month":
        days = (datetime.fromtimestamp(period.end_ns / NS_PER_S, tz=z)
                - datetime.fromtimestamp(period.start_ns / NS_PER_S, tz=z)).days
        slice_keys = slice_keys[:days]
    bins = {name: sum(1 for x in rounds if lo <= x <= hi) for name, lo, hi in ROUND_BINS}
    progress(len(months) + 2, steps, "done")
    report = ProgramReport(
        period=period, title=title, generated_ns=now, activations=len(rows), by_kind=dict(by_kind.most_common()),
        with_calls=sum(1 for i in ids if i in calls), calls=sum(c[0] for c in calls.values()),
        dispositions={k: disp.get(k, 0) for k in ("founded", "unfounded", "other_source", "not recorded")},
        rounds_total=sum(rounds), rounds_mean=statistics.fmean(rounds) if rounds else None,
        rounds_median=statistics.median(rounds) if rounds else None, rounds_max=max(rounds, default=0),
        rounds_bins=bins, by_weekday={d: weekday.get(d, 0) for d in WEEKDAYS},
        by_hour={h: hour.get(h, 0) for h in range(24)}, by_slice={k: slices.get(k, 0) for k in slice_keys},
        heat=heat_map(points, coverage), significant=tuple(significant[:25]), significant_total=len(significant),
        missed=missed, missed_rows=tuple(missed_rows),
        response={"alert → acknowledge": _stat(r_ack), "acknowledge → dispatch": _stat(r_ack_disp),
                  "alert → dispatch": _stat(r_disp), "alert → on scene": _stat(r_scene)},
        ems_requests=sum(e[0] for e in ems.values()), sources=dict(sources))
    progress(steps, steps, "done")
    return report
