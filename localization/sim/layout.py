"""Sensor layouts: a jittered grid over an area at a given density (sensors per square mile).

ShotSpotter deploys 12–20 sensors per square mile on rooftops; sensors here sit 5–20 m above
flat ground (z = 0).  Areas are local metres: a rectangle ``bounds_m = (x_min, y_min, x_max,
y_max)`` or a simple polygon ``polygon_m`` of shape (n, 2).
"""
from __future__ import annotations

import numpy as np

from localization.sim import _checks as ck
from localization.types import Sensor

SQ_MI_M2 = ck.SQ_MI_M2


def square_bounds(*, area_sq_mi: float, center_m: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float, float, float]:
    """``(x_min, y_min, x_max, y_max)`` in metres of a square of ``area_sq_mi`` square miles."""
    side = np.sqrt(ck.positive("area_sq_mi", area_sq_mi) * SQ_MI_M2)
    cx, cy = (ck.finite("center_m[0]", center_m[0]), ck.finite("center_m[1]", center_m[1]))
    return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


def _as_polygon(polygon_m) -> np.ndarray:
    p = np.asarray(polygon_m, dtype=float)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 3:
        raise ValueError(f"`polygon_m` must have shape (n >= 3, 2), got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("`polygon_m` must be finite")
    if polygon_area_m2(p) <= 0.0:
        raise ValueError("`polygon_m` must enclose a positive area")
    return p


def polygon_area_m2(polygon_m) -> float:
    """Shoelace area (m²) of a simple polygon of shape (n, 2)."""
    p = np.asarray(polygon_m, dtype=float)
    x, y = p[:, 0], p[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def points_in_polygon(x, y, polygon_m) -> np.ndarray:
    """Even-odd rule point-in-polygon test, vectorised over points; returns a bool array."""
    p = np.asarray(polygon_m, dtype=float)
    x = np.asarray(x, dtype=float)[..., None]
    y = np.asarray(y, dtype=float)[..., None]
    x0, y0 = p[:, 0], p[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return np.count_nonzero(crosses & (x < xc), axis=-1) % 2 == 1


def resolve_area(bounds_m, polygon_m) -> tuple[np.ndarray, float]:
    """The area as a polygon array and its size in m² (exactly one of the two must be given)."""
    if (bounds_m is None) == (polygon_m is None):
        raise ValueError("give exactly one of `bounds_m` (x_min, y_min, x_max, y_max) or `polygon_m`")
    if polygon_m is not None:
        p = _as_polygon(polygon_m)
        return p, polygon_area_m2(p)
    try:
        x0, y0, x1, y1 = (ck.finite("bounds_m", v) for v in bounds_m)
    except (TypeError, ValueError) as e:
        raise ValueError(f"`bounds_m` must be (x_min, y_min, x_max, y_max) in metres, got {bounds_m!r}") from e
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"`bounds_m` must have x_max > x_min and y_max > y_min, got {bounds_m!r}")
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), (x1 - x0) * (y1 - y0)


def sensor_grid(
    *,
    density_per_sq_mi: float,
    bounds_m: tuple[float, float, float, float] | None = None,
    polygon_m=None,
    jitter: float = 0.35,
    z_m: tuple[float, float] = (5.0, 20.0),
    seed: ck.SeedLike = None,
) -> tuple[Sensor, ...]:
    """Sensors on a jittered square grid covering the area.

    density_per_sq_mi: sensors per square mile (> 0); the count is exactly
        ``max(1, round(density · area))``.
    jitter: each sensor moves uniformly by up to ±``jitter``·spacing in x and y (0–0.5).
    z_m: (low, high) rooftop height above ground, metres.
    Returns sensors with ids ``S001``, ``S002`` … (zero-padded to at least 3 digits), ordered
    south to north, west to east.
    """
    density = ck.positive("density_per_sq_mi", density_per_sq_mi)
    ck.within("jitter", jitter, 0.0, 0.5)
    z0, z1 = ck.interval("z_m", z_m, lo=0.0, hi=500.0, unit="m")
    poly, area = resolve_area(bounds_m, polygon_m)
    rng = ck.rng_from(seed)
    n = max(1, int(round(density * area / SQ_MI_M2)))
    xmin, ymin = poly.min(axis=0)
    xmax, ymax = poly.max(axis=0)
    spacing = np.sqrt(area / n)
    for _ in range(30):
        gx = np.arange(xmin + spacing / 2, xmax, spacing)
        gy = np.arange(ymin + spacing / 2, ymax, spacing)
        if len(gx) == 0:
            gx = np.array([(xmin + xmax) / 2])
        if len(gy) == 0:
            gy = np.array([(ymin + ymax) / 2])
        X, Y = np.meshgrid(gx, gy)
        X = X.ravel() + rng.uniform(-jitter, jitter, X.size) * spacing
        Y = Y.ravel() + rng.uniform(-jitter, jitter, Y.size) * spacing
        inside = points_in_polygon(X, Y, poly)
        if inside.sum() >= n:
            break
        spacing *= 0.97 * np.sqrt(max(inside.sum(), 1) / n)
    X, Y = X[inside], Y[inside]
    if len(X) > n:
        keep = np.sort(rng.choice(len(X), size=n, replace=False))
        X, Y = X[keep], Y[keep]
    Z = rng.uniform(z0, z1, len(X))
    width = max(3, len(str(len(X))))
    return tuple(
        Sensor(id=f"S{i + 1:0{width}d}", x_m=float(X[i]), y_m=float(Y[i]), z_m=float(Z[i])) for i in range(len(X))
    )


def sensor_arrays(sensors) -> tuple[np.ndarray, tuple[str, ...]]:
    """Positions (n, 3) in metres and ids of a sensor sequence."""
    sensors = tuple(sensors)
    if not sensors:
        raise ValueError("`sensors` must not be empty")
    pos = np.array([[s.x_m, s.y_m, s.z_m] for s in sensors], dtype=float)
    ids = tuple(s.id for s in sensors)
    if len(set(ids)) != len(ids):
        raise ValueError("sensor ids must be unique")
    return pos, ids
