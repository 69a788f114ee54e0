"""Alerts → plain JSON-ready dicts for the map page (no Qt, no JS strings).

Geometry is computed here in the local frame and converted to lat/lon once, so the page
only draws: the 95 % ellipse as a polygon, numbered shots, a heading arrow for a mobile
shooter, and the colour of each shooter.  An alert is drawn from its summary and its shots'
outlines — never its full incident, so history drawn at start-up reads no full incident.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from localization.geometry import LocalFrame, compass_point
from localization.types import Ellipse, Sensor

from app.console_services.alert_record import AlertRecord
from app.console_services.readout import kind_words
from app.store import IncidentSummary, ShotOutline

SHOOTER_COLOURS = ("#ff4d4d", "#38b6ff", "#ffd21f", "#c77dff", "#5ee07a", "#ff8c42")


def ellipse_ring(frame: LocalFrame, x_m: float, y_m: float, e: Ellipse, n: int = 48) -> list[list[float]]:
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    th = math.radians(e.orientation_deg)
    major = np.array([math.sin(th), math.cos(th)])
    minor = np.array([math.cos(th), -math.sin(th)])
    u = e.semi_major_m * np.cos(t)
    v = e.semi_minor_m * np.sin(t)
    ex = x_m + u * major[0] + v * minor[0]
    ny = y_m + u * major[1] + v * minor[1]
    lat, lon, _ = frame.to_geodetic(ex, ny)
    return [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lat, lon)]


def _ll(frame: LocalFrame, x_m: float, y_m: float) -> list[float]:
    lat, lon, _ = frame.to_geodetic(x_m, y_m)
    return [round(float(lat), 7), round(float(lon), 7)]


def incident_features(recs: Sequence[AlertRecord], frame: LocalFrame,
                      shots: Mapping[str, Sequence[ShotOutline]]) -> tuple[list[dict], list[AlertRecord]]:
    """The map's features of the alerts whose shots are known (``ConsoleDispatch.shot_outlines``),
    and apart the alerts that have none: their incident was purged from the store."""
    drawn = [incident_feature(r, frame, shots[r.incident_id]) for r in recs if r.incident_id in shots]
    return drawn, [r for r in recs if r.incident_id not in shots]


def incident_feature(rec: AlertRecord, frame: LocalFrame, shots: Sequence[ShotOutline]) -> dict:
    """One alert on the map, from its summary (``rec.summary``: no full incident needed) and
    its shots' outlines: the 95 % ellipse of the best-located shot, numbered shots coloured
    by shooter and, for a moving shooter, an arrow from the last shot."""
    summary: IncidentSummary = rec.summary
    best = min(shots, key=lambda s: s.ellipse.semi_major_m) if shots else None
    if best is not None:
        ellipse = ellipse_ring(frame, summary.x_m, summary.y_m, best.ellipse)
    else:
        ellipse = ellipse_ring(frame, summary.x_m, summary.y_m, Ellipse(summary.err95_m, summary.err95_m, 0.0))
    marks = [{"n": i + 1, "ll": _ll(frame, s.x_m, s.y_m), "shooter": s.shooter,
              "colour": SHOOTER_COLOURS[s.shooter % len(SHOOTER_COLOURS)]}
             for i, s in enumerate(shots)]
    arrow = None
    if "mobile_shooter" in summary.tags and summary.heading_deg is not None and summary.speed_mps is not None:
        last = shots[-1] if shots else None
        x0, y0 = (last.x_m, last.y_m) if last else (summary.x_m, summary.y_m)
        length = max(60.0, summary.speed_mps * 10.0)  # where the shooter is in ~10 s
        h = math.radians(summary.heading_deg)
        x1, y1 = x0 + length * math.sin(h), y0 + length * math.cos(h)
        arrow = {"from": _ll(frame, x0, y0), "to": _ll(frame, x1, y1), "heading_deg": round(summary.heading_deg, 1),
                 "label": f"{compass_point(summary.heading_deg)} {summary.speed_mps:.0f} m/s"}
    return {
        "id": summary.id,
        "ll": [round(rec.lat_deg, 7), round(rec.lon_deg, 7)],
        "kind": summary.kind,
        "title": f"{kind_words(summary)} · {summary.rounds} rd",
        "review": summary.review_label,
        "where": rec.location_words,
        "state": rec.state,
        "escalated": rec.escalated,
        "err95_m": round(summary.err95_m, 1),
        "ellipse": ellipse,
        "shots": marks,
        "arrow": arrow,
        "revision": summary.revision,
    }


def sensor_features(sensors: list[Sensor], frame: LocalFrame) -> list[dict]:
    return [{"id": s.id, "ll": _ll(frame, s.x_m, s.y_m)} for s in sensors]


def coverage_ring(sensors: list[Sensor], frame: LocalFrame, margin_m: float = 250.0) -> list[list[float]]:
    """Convex hull of the sensors grown by margin_m: where the array can locate shots."""
    if len(sensors) < 3:
        return []
    pts = sorted({(s.x_m, s.y_m) for s in sensors})

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = np.array(lower[:-1] + upper[:-1])
    c = hull.mean(axis=0)
    grown = []
    for p in hull:
        d = p - c
        r = np.hypot(*d) or 1.0
        grown.append(c + d * (r + margin_m) / r)
    return [_ll(frame, float(x), float(y)) for x, y in grown]
