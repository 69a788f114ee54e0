"""Grid index: exact nearest neighbour (checked against brute force) and a printed benchmark."""
from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.geo.index import PointIndex

coord = st.floats(-5000, 5000, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(pts=st.lists(st.tuples(coord, coord), min_size=1, max_size=200), q=st.tuples(coord, coord))
def test_nearest_matches_brute_force(pts, q):
    a = np.array(pts)
    idx = PointIndex(a[:, 0], a[:, 1])
    i, d = idx.nearest(*q)
    brute = np.hypot(a[:, 0] - q[0], a[:, 1] - q[1])
    # exact up to rounding (squared subnormal distances underflow to 0)
    assert d == pytest.approx(brute.min(), abs=1e-9) and brute[i] == pytest.approx(brute.min(), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(pts=st.lists(st.tuples(coord, coord), min_size=1, max_size=200), q=st.tuples(coord, coord),
       r=st.floats(0, 3000))
def test_within_matches_brute_force(pts, q, r):
    a = np.array(pts)
    got = sorted(PointIndex(a[:, 0], a[:, 1]).within(q[0], q[1], r).tolist())
    assert got == sorted(np.nonzero(np.hypot(a[:, 0] - q[0], a[:, 1] - q[1]) <= r)[0].tolist())


def test_empty_and_max_distance():
    assert PointIndex([], []).nearest(0, 0)[0] == -1
    idx = PointIndex([0.0, 100.0], [0.0, 0.0])
    assert idx.nearest(90, 0) == (1, 10.0)
    assert idx.nearest(50, 500, max_m=100)[0] == -1


def test_print_nearest_lookup_time_with_200k_clustered_points():
    rng = np.random.default_rng(7)
    centres = rng.uniform(0, 20_000, (300, 2))
    pts = centres[rng.integers(0, 300, 200_000)] + rng.normal(0, 400, (200_000, 2))   # city-like clusters
    t = time.perf_counter()
    idx = PointIndex(pts[:, 0], pts[:, 1])
    build_ms = (time.perf_counter() - t) * 1000
    q = rng.uniform(-500, 20_500, (3000, 2))
    t = time.perf_counter()
    res = [idx.nearest(x, y) for x, y in q]
    per_ms = (time.perf_counter() - t) * 1000 / len(q)
    for (x, y), (i, d) in list(zip(q, res))[:50]:
        assert d == pytest.approx(np.hypot(pts[:, 0] - x, pts[:, 1] - y).min(), rel=1e-12)
    print(f"\nnearest address lookup, 200,000 points: {per_ms * 1000:.0f} µs per query "
          f"(build {build_ms:.0f} ms); target ≤ 1 ms")
