"""Scoring engine output against simulation truth, with hand-made engine incidents."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from localization.sim import (
    Conditions,
    Events,
    Score,
    firecracker_string,
    full_auto,
    gunfight,
    mobile_shooter,
    round_string,
    score,
    sensor_grid,
    simulate_pulses,
    single_round,
    square_bounds,
)
from localization.sim.scoring import inside_ellipse, match_shots
from localization.types import Ellipse, Incident, Shot

T0 = 1_700_000_000_000_000_000
S = 10**9
CIRCLE = Ellipse(semi_major_m=10.0, semi_minor_m=10.0, orientation_deg=0.0)


@pytest.fixture(scope="module")
def sim():
    area = square_bounds(area_sq_mi=4.0)
    sensors = sensor_grid(density_per_sq_mi=15, bounds_m=area, seed=1)
    ev = Events.combine(
        single_round(incident_id="A", x_m=0.0, y_m=0.0, t_ns=T0, seed=1),
        round_string(incident_id="B", x_m=400.0, y_m=300.0, t_ns=T0 + 10 * S, rounds=3, seed=2),
        gunfight(incident_id="C", x_m=-500.0, y_m=200.0, t_ns=T0 + 20 * S, separation_m=60.0, rounds=(3, 2), seed=3),
        mobile_shooter(incident_id="D", x_m=200.0, y_m=-600.0, t_ns=T0 + 30 * S, speed_mps=10.0, heading_deg=90.0,
                       rounds=5, seed=4),
        full_auto(incident_id="E", x_m=-300.0, y_m=-300.0, t_ns=T0 + 40 * S, rounds_per_burst=8, seed=5),
        firecracker_string(incident_id="F", x_m=600.0, y_m=-100.0, t_ns=T0 + 50 * S, pops=5, seed=6),
        single_round(incident_id="H", x_m=9000.0, y_m=9000.0, t_ns=T0 + 60 * S, seed=7),  # far outside the array
    )
    return simulate_pulses(sensors=sensors, events=ev, conditions=Conditions.clean(), seed=8)


def shot_at(ts, *, dx=0.0, dy=0.0, dt_ns=0, ellipse=CIRCLE) -> Shot:
    return Shot(t_ns=ts.t_ns + dt_ns, x_m=ts.x_m + dx, y_m=ts.y_m + dy, err95_m=ellipse.semi_major_m, ellipse=ellipse,
                sensors=(), pulse_ids=(), residuals_ms=(), rms_ms=0.0)


def perfect(sim, incident_id, *, shots=None, **over) -> Incident:
    t = sim.events.incident(incident_id)
    ts = [s for s in sim.events.shots if s.incident_id == incident_id]
    shots = tuple(shot_at(s) for s in ts) if shots is None else tuple(shots)
    kw = dict(id=f"E-{incident_id}", kind=t.kind if t.is_gunfire else "possible_gunfire", tags=t.tags, shots=shots,
              shooter_of_shot=tuple(s.shooter for s in ts[: len(shots)]), x_m=ts[0].x_m, y_m=ts[0].y_m, err95_m=10.0,
              speed_mps=t.speed_mps, heading_deg=t.heading_deg)
    kw.update(over)
    return Incident(**kw)


def truth_shots(sim, incident_id):
    return [s for s in sim.events.shots if s.incident_id == incident_id]


GUN = ("A", "B", "C", "D", "E")


def test_fixture_has_an_unlocatable_shot(sim):
    k = [i for i, s in enumerate(sim.events.shots) if s.incident_id == "H"][0]
    others = [i for i, s in enumerate(sim.events.shots) if s.incident_id in GUN]
    assert not sim.locatable[k] and sim.locatable[others].all()


def test_perfect_engine_scores_perfectly(sim):
    sc = score(sim, [perfect(sim, i) for i in GUN])
    assert isinstance(sc, Score)
    assert sc.truth_shots == 1 + 3 + 5 + 5 + 8 + 1 and sc.locatable_shots == sc.truth_shots - 1
    assert sc.shots_found == sc.truth_shots - 1
    assert sc.found_pct == pytest.approx(100 * 22 / 23) and sc.locatable_found_pct == 100.0
    assert sc.rmse_m == 0.0 and sc.median_error_m == 0.0 and sc.p90_error_m == 0.0 and sc.within_5m_pct == 100.0
    assert (sc.engine_shots, sc.false_shots, sc.false_shot_pct, sc.decoy_shots_located) == (22, 0, 0.0, 0)
    assert (sc.truth_incidents, sc.incidents_detected, sc.false_incidents, sc.decoy_alerts) == (6, 5, 0, 0)
    assert sc.rounds_exact_pct == 100.0 and sc.kind_correct_pct == 100.0
    assert sc.shooters_separated == (1, 1) and sc.mobile_recognised == (1, 1) and sc.full_auto_tagged == (1, 1)
    assert sc.full_auto_false_tags == 0 and sc.ellipse_coverage_pct == 100.0
    assert sc.crb_rms_m > 0 and sc.rmse_over_crb == 0.0
    d = sc.as_dict()
    assert d["shots_found"] == 22 and d["shooters_separated"] == (1, 1)


def test_distance_gate_25_m(sim):
    near = perfect(sim, "B", shots=[shot_at(s, dx=20.0) for s in truth_shots(sim, "B")])
    far = perfect(sim, "B", shots=[shot_at(s, dx=30.0) for s in truth_shots(sim, "B")])
    a = score(sim, [perfect(sim, "A"), near])
    b = score(sim, [perfect(sim, "A"), far])
    assert a.shots_found == 4 and a.false_shots == 0 and a.median_error_m == pytest.approx(20.0)
    assert a.within_5m_pct == 25.0 and a.ellipse_coverage_pct == 25.0
    assert b.shots_found == 1 and b.false_shots == 3 and b.false_shot_pct == 75.0 and b.false_incidents == 1


def test_time_gate_50_ms(sim):
    ok = score(sim, [perfect(sim, "A", shots=[shot_at(truth_shots(sim, "A")[0], dt_ns=-45_000_000)])])
    late = score(sim, [perfect(sim, "A", shots=[shot_at(truth_shots(sim, "A")[0], dt_ns=60_000_000)])])
    assert ok.shots_found == 1 and late.shots_found == 0 and late.false_shots == 1
    wide = score(sim, [perfect(sim, "A", shots=[shot_at(truth_shots(sim, "A")[0], dt_ns=60_000_000)])], window_s=0.1)
    assert wide.shots_found == 1


def test_matching_is_one_to_one_greedy_by_distance(sim):
    t = truth_shots(sim, "A")[0]
    inc = perfect(sim, "A", shots=[shot_at(t, dx=3.0), shot_at(t, dx=1.0, dt_ns=1)], shooter_of_shot=(0, 0),
                  kind="multiple_gunshots")
    sc = score(sim, [inc])
    assert sc.shots_found == 1 and sc.false_shots == 1 and sc.rmse_m == pytest.approx(1.0)
    m = match_shots(np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([0, 0]), np.array([[9.0, 0.0], [2.0, 0.0]]),
                    np.array([0, 0]))
    assert list(m) == [1, 0]


def test_error_statistics(sim):
    offs = [1.0, 2.0, 3.0, 4.0, 10.0]
    inc = perfect(sim, "E", shots=[shot_at(s, dy=o) for s, o in zip(truth_shots(sim, "E"), offs + [0, 0, 0])])
    sc = score(sim, [inc])
    e = np.array(offs + [0, 0, 0])
    assert sc.rmse_m == pytest.approx(np.sqrt(np.mean(e**2)))
    assert sc.median_error_m == pytest.approx(np.median(e)) and sc.p90_error_m == pytest.approx(np.percentile(e, 90))
    assert sc.within_5m_pct == pytest.approx(100 * 7 / 8)
    assert sc.rmse_over_crb == pytest.approx(sc.rmse_m / sc.crb_rms_m)


def test_rounds_exact_fails_on_missing_round_or_split(sim):
    b = truth_shots(sim, "B")
    short = perfect(sim, "B", shots=[shot_at(s) for s in b[:2]])
    assert score(sim, [short]).rounds_exact_pct == 0.0
    split1 = perfect(sim, "B", shots=[shot_at(b[0])], id="E-B1", kind="single_gunshot")
    split2 = perfect(sim, "B", shots=[shot_at(s) for s in b[1:]], id="E-B2", shooter_of_shot=(0, 0))
    sc = score(sim, [split1, split2])
    assert sc.rounds_exact_pct == 0.0 and sc.incidents_detected == 1 and sc.shots_found == 3
    wrong_kind = perfect(sim, "B", kind="single_gunshot")
    assert score(sim, [wrong_kind]).kind_correct_pct == 0.0


def test_shooters_separated_fails_when_merged(sim):
    merged = perfect(sim, "C", shooter_of_shot=(0,) * 5, tags=())
    assert score(sim, [merged]).shooters_separated == (0, 1)
    assert score(sim, [merged]).shooters_separated_pct == 0.0


@pytest.mark.parametrize("speed, tags, ok", [(11.9, ("mobile_shooter",), True), (12.5, ("mobile_shooter",), False),
                                             (10.0, (), False), (None, ("mobile_shooter",), False)])
def test_mobile_recognised(sim, speed, tags, ok):
    sc = score(sim, [perfect(sim, "D", speed_mps=speed, tags=tags)])
    assert sc.mobile_recognised == (int(ok), 1)


def test_full_auto_tagged_and_false_tags(sim):
    sc = score(sim, [perfect(sim, "E", tags=()), perfect(sim, "B", tags=("full_auto",))])
    assert sc.full_auto_tagged == (0, 1) and sc.full_auto_tagged_pct == 0.0 and sc.full_auto_false_tags == 1


def test_ellipse_orientation_clockwise_from_north(sim):
    t = truth_shots(sim, "A")[0]
    east_west = Ellipse(semi_major_m=20.0, semi_minor_m=2.0, orientation_deg=90.0)
    west = perfect(sim, "A", shots=[shot_at(t, dx=-10.0, ellipse=east_west)])
    south = perfect(sim, "A", shots=[shot_at(t, dy=-10.0, ellipse=east_west)])
    assert score(sim, [west]).ellipse_coverage_pct == 100.0
    assert score(sim, [south]).ellipse_coverage_pct == 0.0
    # north-east major axis (45°): an offset along NE is inside, along NW is not
    assert inside_ellipse(7.0, 7.0, 20.0, 2.0, 45.0) and not inside_ellipse(-7.0, 7.0, 20.0, 2.0, 45.0)


def test_latest_revision_counts(sim):
    t = truth_shots(sim, "A")[0]
    old = perfect(sim, "A", shots=[shot_at(t, dx=100.0)], revision=0)
    new = perfect(sim, "A", revision=1)
    for order in ([old, new], [new, old]):
        sc = score(sim, order)
        assert sc.shots_found == 1 and sc.engine_shots == 1 and sc.false_shots == 0


def test_fireworks_alerts_are_decoys(sim):
    as_gun = perfect(sim, "F", kind="multiple_gunshots")
    as_possible = perfect(sim, "F", kind="possible_gunfire")
    a, b = score(sim, [as_gun]), score(sim, [as_possible])
    assert a.decoy_alerts == 1 and a.decoy_shots_located == 5 and a.false_shots == 0 and a.shots_found == 0
    assert b.decoy_alerts == 0 and b.incidents_detected == 0


def test_empty_engine_output(sim):
    sc = score(sim, [])
    assert sc.shots_found == 0 and sc.found_pct == 0.0 and math.isnan(sc.rmse_m) and math.isnan(sc.false_shot_pct)
    assert math.isnan(sc.rounds_exact_pct) and sc.shooters_separated == (0, 0)


def test_scoring_validation(sim):
    with pytest.raises(ValueError, match="`radius_m` must be positive"):
        score(sim, [], radius_m=-1.0)
    with pytest.raises(ValueError, match="`sim` must be a SimResult"):
        score(sim.events, [])
    with pytest.raises(ValueError, match="`incidents` must hold Incident objects"):
        score(sim, [{"id": "x"}])
    with pytest.raises(ValueError, match="`window_s` must be positive"):
        score(sim, [], window_s=0.0)
