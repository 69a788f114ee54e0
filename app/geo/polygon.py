"""Point-in-polygon and small planar helpers (numpy, no GIS dependency)."""
from __future__ import annotations

import numpy as np


def points_in_polygon(x, y, ring) -> np.ndarray:
    """Even-odd rule.  ``ring`` is an (N, 2) sequence of vertices (closed or not);
    ``x``/``y`` arrays of any matching shape.  Returns a boolean array."""
    r = np.asarray(ring, dtype=float)
    if len(r) and np.array_equal(r[0], r[-1]):
        r = r[:-1]
    px, py = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    inside = np.zeros(np.broadcast(px, py).shape, dtype=bool)
    x0, y0 = r[:, 0], r[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    for ax, ay, bx, by in zip(x0, y0, x1, y1):
        crosses = (ay > py) != (by > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xin = ax + (py - ay) * (bx - ax) / (by - ay)
        inside ^= crosses & (px < xin)
    return inside


def point_in_polygon(x: float, y: float, ring) -> bool:
    return bool(points_in_polygon(x, y, ring))


def polygon_area(ring) -> float:
    """Unsigned shoelace area of a planar ring (units of its coordinates squared)."""
    r = np.asarray(ring, dtype=float)
    x, y = r[:, 0], r[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)
