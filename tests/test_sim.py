"""Simulator: layouts, scenario truth, city mixes (localization.sim)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from localization.geometry import bearing_deg
from localization.sim import (
    Events,
    aerial_shells,
    firecracker_string,
    full_auto,
    gunfight,
    mobile_shooter,
    points_in_polygon,
    random_city_events,
    round_string,
    sensor_grid,
    single_round,
    square_bounds,
)
from localization.sim.layout import SQ_MI_M2

T0 = 1_700_000_000_000_000_000


# ---------------------------------------------------------------- layouts
def test_density_gives_exact_count_over_ten_square_miles():
    b = square_bounds(area_sq_mi=10.0)
    sensors = sensor_grid(density_per_sq_mi=15, bounds_m=b, seed=1)
    assert len(sensors) == 150
    assert [s.id for s in sensors[:2]] == ["S001", "S002"]
    assert len({s.id for s in sensors}) == 150


@settings(max_examples=25, deadline=None)
@given(
    density=st.floats(5.0, 65.0),
    w=st.floats(500.0, 6000.0),
    h=st.floats(500.0, 6000.0),
    seed=st.integers(0, 2**32),
)
def test_layout_count_bounds_and_heights(density, w, h, seed):
    sensors = sensor_grid(density_per_sq_mi=density, bounds_m=(0.0, 0.0, w, h), seed=seed)
    assert len(sensors) == max(1, round(density * w * h / SQ_MI_M2))
    xyz = np.array([[s.x_m, s.y_m, s.z_m] for s in sensors])
    assert np.all((xyz[:, 0] >= 0) & (xyz[:, 0] <= w) & (xyz[:, 1] >= 0) & (xyz[:, 1] <= h))
    assert np.all((xyz[:, 2] >= 5.0) & (xyz[:, 2] <= 20.0))


def test_layout_is_spread_not_clumped():
    b = square_bounds(area_sq_mi=4.0)
    sensors = sensor_grid(density_per_sq_mi=16, bounds_m=b, seed=3)
    xy = np.array([[s.x_m, s.y_m] for s in sensors])
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    spacing = np.sqrt(4.0 * SQ_MI_M2 / 64)
    # jitter ±0.35 spacing: nearest neighbours never closer than 0.3 spacing
    assert d.min() > 0.3 * spacing
    assert np.median(d.min(axis=1)) > 0.6 * spacing


def test_polygon_layout_inside_and_counted():
    tri = np.array([[0.0, 0.0], [4000.0, 0.0], [0.0, 4000.0]])
    sensors = sensor_grid(density_per_sq_mi=20, polygon_m=tri, seed=5)
    assert len(sensors) == round(20 * 8e6 / SQ_MI_M2)
    xy = np.array([[s.x_m, s.y_m] for s in sensors])
    assert points_in_polygon(xy[:, 0], xy[:, 1], tri).all()


def test_layout_deterministic_from_seed():
    b = square_bounds(area_sq_mi=2.0)
    a1 = sensor_grid(density_per_sq_mi=15, bounds_m=b, seed=9)
    a2 = sensor_grid(density_per_sq_mi=15, bounds_m=b, seed=np.random.default_rng(9))
    a3 = sensor_grid(density_per_sq_mi=15, bounds_m=b, seed=10)
    assert a1 == a2
    assert a1 != a3


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(density_per_sq_mi=0.0, bounds_m=(0, 0, 1, 1)), "density_per_sq_mi` must be positive"),
        (dict(density_per_sq_mi=15.0), "exactly one of `bounds_m`"),
        (dict(density_per_sq_mi=15.0, bounds_m=(0, 0, 1, 1), polygon_m=[[0, 0], [1, 0], [0, 1]]), "exactly one"),
        (dict(density_per_sq_mi=15.0, bounds_m=(0, 0, -1, 1)), "x_max > x_min"),
        (dict(density_per_sq_mi=15.0, bounds_m=(0, 0, 1, 1), jitter=0.7), r"`jitter` must be within \[0, 0.5\]"),
        (dict(density_per_sq_mi=15.0, bounds_m=(0, 0, 1, 1), z_m=(20, 5)), "low <= high"),
        (dict(density_per_sq_mi=15.0, polygon_m=[[0, 0], [1, 1]]), r"shape \(n >= 3, 2\)"),
        (dict(density_per_sq_mi=15.0, bounds_m=(0, 0, 1, 1), seed="x"), "`seed` must be an int"),
    ],
)
def test_layout_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sensor_grid(**kwargs)


# ---------------------------------------------------------------- scenarios
def test_single_round_truth():
    ev = single_round(incident_id="A", x_m=10.0, y_m=-5.0, t_ns=T0, weapon="shotgun", seed=1)
    (inc,), (shot,) = ev.incidents, ev.shots
    assert (inc.kind, inc.tags, inc.rounds, inc.shooters) == ("single_gunshot", (), 1, 1)
    assert (shot.x_m, shot.y_m, shot.z_m, shot.t_ns, shot.weapon, shot.is_gunfire) == (10.0, -5.0, 1.5, T0, "shotgun", True)
    assert 153.0 - 1 <= shot.source_db <= 162.0 + 1


@settings(max_examples=30, deadline=None)
@given(rounds=st.integers(2, 40), median=st.floats(0.16, 2.0), seed=st.integers(0, 2**32))
def test_round_string_is_semi_auto(rounds, median, seed):
    ev = round_string(incident_id="A", x_m=0.0, y_m=0.0, t_ns=T0, rounds=rounds, median_interval_s=median, seed=seed)
    t = np.array([s.t_ns for s in ev.shots])
    inc = ev.incidents[0]
    assert inc.kind == "multiple_gunshots" and inc.rounds == rounds
    assert np.all(np.diff(t) >= 0.16e9 - 1)
    assert "full_auto" not in inc.tags
    assert ("high_capacity" in inc.tags) == (rounds >= 15)
    assert inc.start_ns == t[0] == T0 and inc.end_ns == t[-1]


def test_pittsburgh_cadence_median():
    iv = []
    for k in range(300):
        ev = round_string(incident_id="A", x_m=0.0, y_m=0.0, t_ns=T0, rounds=3, seed=k)
        iv.extend(np.diff([s.t_ns for s in ev.shots]) * 1e-9)
    assert 0.50 < np.median(iv) < 0.62


@pytest.mark.parametrize("rate", [8.0, 14.0])
def test_full_auto_rate_and_tags(rate):
    ev = full_auto(incident_id="A", x_m=0.0, y_m=0.0, t_ns=T0, rounds_per_burst=8, bursts=2, rate_rps=rate, seed=2)
    inc = ev.incidents[0]
    t = np.array([s.t_ns for s in ev.shots]) * 1e-9
    assert inc.rounds == 16 and "full_auto" in inc.tags and "high_capacity" in inc.tags
    assert abs(1.0 / np.median(np.diff(t)) - rate) < 0.5
    assert np.diff(t).max() >= 0.5  # the gap between bursts


def test_gunfight_two_shooters_apart():
    ev = gunfight(incident_id="G", x_m=100.0, y_m=200.0, t_ns=T0, separation_m=80.0, rounds=(3, 4), seed=4)
    inc = ev.incidents[0]
    assert inc.shooters == 2 and inc.rounds == 7 and inc.tags == ("multiple_shooters",)
    sh = np.array([s.shooter for s in ev.shots])
    assert sh[0] == 0 and (sh == 1).sum() == 4
    p = {k: np.array([[s.x_m, s.y_m] for s in ev.shots if s.shooter == k]) for k in (0, 1)}
    assert np.allclose(np.linalg.norm(p[0][0] - p[1][0]), 80.0)
    assert np.allclose((p[0][0] + p[1][0]) / 2, [100.0, 200.0])
    assert len(set(map(tuple, p[0]))) == 1
    # the strings interleave: shooter 1 fires before shooter 0 is done
    t0 = [s.t_ns for s in ev.shots if s.shooter == 0]
    t1 = [s.t_ns for s in ev.shots if s.shooter == 1]
    assert t1[0] < t0[-1]


@settings(max_examples=30, deadline=None)
@given(speed=st.floats(5.0, 20.0), heading=st.floats(0.0, 359.9), seed=st.integers(0, 2**32))
def test_mobile_shooter_moves_at_speed_and_heading(speed, heading, seed):
    ev = mobile_shooter(incident_id="M", x_m=0.0, y_m=0.0, t_ns=T0, speed_mps=speed, heading_deg=heading, rounds=5, seed=seed)
    inc = ev.incidents[0]
    assert "mobile_shooter" in inc.tags and inc.speed_mps == speed and inc.heading_deg == pytest.approx(heading)
    a, b = ev.shots[0], ev.shots[-1]
    dist = np.hypot(b.x_m - a.x_m, b.y_m - a.y_m)
    assert dist / ((b.t_ns - a.t_ns) * 1e-9) == pytest.approx(speed, rel=1e-6)
    diff = (float(bearing_deg(b.x_m - a.x_m, b.y_m - a.y_m)) - heading + 180.0) % 360.0 - 180.0
    assert abs(diff) < 1e-6


def test_fireworks_are_not_gunfire():
    fc = firecracker_string(incident_id="F1", x_m=0.0, y_m=0.0, t_ns=T0, pops=25, seed=1)
    sh = aerial_shells(incident_id="F2", x_m=0.0, y_m=0.0, t_ns=T0, shells=6, seed=1)
    for ev in (fc, sh):
        inc = ev.incidents[0]
        assert inc.kind == "non_gunfire" and not inc.is_gunfire and inc.tags == ()
        assert not any(s.is_gunfire for s in ev.shots)
    iv = np.diff([s.t_ns for s in fc.shots]) * 1e-9
    assert iv.min() >= 0.02 - 1e-9 and iv.max() <= 0.4 + 1e-9 and iv.std() > 0.05  # irregular
    z = np.array([s.z_m for s in sh.shots])
    assert np.all((z >= 50.0) & (z <= 200.0))


@pytest.mark.parametrize(
    "fn, kwargs, match",
    [
        (gunfight, dict(separation_m=10.0), r"`separation_m` must be within \[20, 150\] m"),
        (mobile_shooter, dict(speed_mps=0.0), r"`speed_mps` must be within"),
        (mobile_shooter, dict(rounds=1), "`rounds` must be at least 2"),
        (full_auto, dict(rate_rps=5.0), r"`rate_rps` must be within \[7, 20\]"),
        (round_string, dict(rounds=0), "`rounds` must be at least 1"),
        (round_string, dict(rounds=3, median_interval_s=0.05), "`median_interval_s` must be within"),
        (single_round, dict(weapon="cannon"), "`weapon` must be one of"),
        (single_round, dict(t_ns=1.5), "`t_ns` must be an integer"),
        (aerial_shells, dict(height_m=(300.0, 100.0)), "low <= high"),
    ],
)
def test_scenario_validation(fn, kwargs, match):
    base = dict(incident_id="X", x_m=0.0, y_m=0.0, t_ns=T0)
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fn(**base)


def test_events_combine_sorts_and_rejects_duplicate_ids():
    a = round_string(incident_id="A", x_m=0.0, y_m=0.0, t_ns=T0 + 10**9, rounds=3, seed=1)
    b = single_round(incident_id="B", x_m=0.0, y_m=0.0, t_ns=T0 + 2 * 10**8)
    ev = a + b
    t = [s.t_ns for s in ev.shots]
    assert t == sorted(t) and ev.shots[0].incident_id == "B"
    assert list(ev.shot_indices()["A"]) == [1, 2, 3]
    with pytest.raises(ValueError, match="incident ids must be unique"):
        Events.combine(a, a)


# ---------------------------------------------------------------- city mixes
@pytest.fixture(scope="module")
def nye():
    b = square_bounds(area_sq_mi=10.0)
    return b, random_city_events(profile="new_years_eve", bounds_m=b, seed=11)


def test_nye_hour_volume_mix_and_overlap(nye):
    b, ev = nye
    gun = [i for i in ev.incidents if i.is_gunfire]
    assert len(gun) >= 1000
    assert any(not i.is_gunfire for i in ev.incidents)
    scen = {i.scenario for i in ev.incidents}
    assert {"single", "string", "gunfight", "mobile", "full_auto", "fireworks", "aerial_shells"} <= scen
    singles = sum(i.rounds == 1 for i in gun) / len(gun)
    assert 0.4 < singles < 0.6
    assert 2.5 < np.mean([i.rounds for i in gun]) < 5.0
    # many incidents overlap in time with another one (peak at midnight)
    s = np.array([i.start_ns for i in ev.incidents])
    e = np.array([i.end_ns for i in ev.incidents]) + 3 * 10**9  # + sound travel / reporting
    order = np.argsort(s)
    s, e = s[order], e[order]
    overlaps = (s[1:] < np.maximum.accumulate(e)[:-1]).sum()
    assert overlaps > 300
    xy = np.array([[x.x_m, x.y_m] for x in ev.shots if x.is_gunfire and x.incident_id.startswith("G")])
    assert xy[:, 0].min() >= b[0] - 300 and xy[:, 0].max() <= b[2] + 300  # mobile shooters may drive out a bit


def test_city_deterministic_and_profiles_ordered():
    b = square_bounds(area_sq_mi=10.0)
    a1 = random_city_events(profile="busy_weekend", bounds_m=b, duration_s=7200.0, seed=5)
    a2 = random_city_events(profile="busy_weekend", bounds_m=b, duration_s=7200.0, seed=5)
    assert a1 == a2
    n = {
        p: len(random_city_events(profile=p, bounds_m=b, duration_s=4 * 3600.0, seed=1).incidents)
        for p in ("quiet_night", "busy_weekend", "july_4th")
    }
    assert n["quiet_night"] < n["busy_weekend"] < n["july_4th"]
    assert 0 < n["quiet_night"]


def test_city_validation():
    with pytest.raises(ValueError, match="`profile` must be one of"):
        random_city_events(profile="halloween", bounds_m=(0, 0, 1000, 1000))
    with pytest.raises(ValueError, match="`rate_scale` must be non-negative"):
        random_city_events(bounds_m=(0, 0, 1000, 1000), rate_scale=-1.0)
    assert random_city_events(bounds_m=(0, 0, 1000, 1000), rate_scale=0.0, seed=1).incidents == ()
