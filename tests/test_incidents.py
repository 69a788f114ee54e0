import math

import pytest

from localization.incidents import IncidentParams, IncidentTracker, describe
from localization.types import Ellipse, Shot

T0 = 1_700_000_000 * 10**9


def shot(x, y, t_s, err=2.0, n=8, low=False, rms=1.0):
    return Shot(t_ns=T0 + int(t_s * 1e9), x_m=x, y_m=y, err95_m=err, ellipse=Ellipse(err, err, 0.0),
                sensors=tuple(f"S{i}" for i in range(n)), pulse_ids=(None,) * n, residuals_ms=(0.0,) * n,
                rms_ms=rms, low_confidence=low)


def test_single_and_multiple():
    assert describe([shot(0, 0, 0)]).kind == "single_gunshot"
    d = describe([shot(0, 0, 0), shot(1, 0, 0.5), shot(0, 1, 1.1)])
    assert d.kind == "multiple_gunshots" and d.tags == () and set(d.shooter_of_shot) == {0}


def test_possible_gunfire_when_no_shot_is_confident():
    assert describe([shot(0, 0, 0, n=3, low=True)]).kind == "possible_gunfire"
    assert describe([shot(0, 0, 0, err=60.0)]).kind == "possible_gunfire"


def test_two_shooters_separated_and_ordered_by_first_shot():
    shots = [shot(0, 0, 0), shot(60, 0, 0.3), shot(1, 0, 0.7), shot(61, 1, 1.0), shot(0, 1, 1.4)]
    d = describe(shots)
    assert "multiple_shooters" in d.tags
    assert d.shooter_of_shot == (0, 1, 0, 1, 0)


def test_lone_outlier_round_is_not_a_shooter():
    shots = [shot(0, 0, 0), shot(1, 0, 0.5), shot(45, 0, 1.0), shot(0, 1, 1.5)]
    assert "multiple_shooters" not in describe(shots).tags


def test_a_well_heard_tightly_located_lone_round_is_another_shooter():
    """One round 60 m from a shooter's three, heard by eight sensors and located within
    0.5 m, is a second shooter who fired once; the same round heard by four sensors, or
    located only within 2 m, is more likely the first shooter's round badly located."""
    shots = [shot(0, 0, 0, err=0.5), shot(1, 0, 0.5, err=0.5), shot(60, 0, 1.0, err=0.5), shot(0, 1, 1.5, err=0.5)]
    d = describe(shots)
    assert "multiple_shooters" in d.tags and d.shooter_of_shot == (0, 0, 1, 0)
    shots[2] = shot(60, 0, 1.0, err=0.5, n=4)
    assert "multiple_shooters" not in describe(shots).tags
    shots[2] = shot(60, 0, 1.0, err=2.0)
    assert "multiple_shooters" not in describe(shots).tags


def test_mobile_shooter_speed_and_heading():
    # 10 m/s heading east (90°)
    shots = [shot(10.0 * t, 0.0, t) for t in (0.0, 0.6, 1.3, 2.0, 2.8)]
    d = describe(shots)
    assert "mobile_shooter" in d.tags and "multiple_shooters" not in d.tags
    assert d.speed_mps == pytest.approx(10.0, abs=0.5)
    assert d.heading_deg == pytest.approx(90.0, abs=3.0)


def test_slow_short_track_is_mobile_with_four_shots_not_three():
    # 5 m/s for 1.4 s: a 7 m track, shorter than the 10 m needed from three shots
    four = [shot(5.0 * t, 0.0, t, err=0.5) for t in (0.0, 0.5, 0.9, 1.4)]
    d = describe(four)
    assert "mobile_shooter" in d.tags and d.speed_mps == pytest.approx(5.0, abs=0.3)
    three = [shot(5.0 * t, 0.0, t, err=0.5) for t in (0.0, 0.7, 1.4)]
    assert "mobile_shooter" not in describe(three).tags
    three = [shot(5.0 * t, 0.0, t, err=0.5) for t in (0.0, 1.1, 2.2)]  # 11 m
    assert "mobile_shooter" in describe(three).tags
    # rounds scattered about one place are not a short track, however many
    still = [shot(x, y, t, err=0.5) for x, y, t in ((0, 0, 0), (3, 1, 0.6), (-1, 2, 1.2), (2, -2, 1.9), (0, 1, 2.5))]
    assert "mobile_shooter" not in describe(still).tags


def test_a_roughly_located_round_off_the_track_leaves_it_a_track():
    """A round heard by three sensors, located 12 m off a car's track with a 60 m ellipse,
    counts for the track as little as its ellipse says: still one moving shooter."""
    shots = [shot(10.0 * t, 0.0, t, err=0.5) for t in (0.0, 0.5, 1.0, 2.0, 2.5)]
    shots.insert(3, shot(15.0, 12.0, 1.5, err=60.0, n=3, low=True))
    d = describe(shots)
    assert "mobile_shooter" in d.tags and d.speed_mps == pytest.approx(10.0, abs=0.5)
    # the same round located as precisely as the others is a shooter off the track
    shots[3] = shot(15.0, 12.0, 1.5, err=0.5)
    assert "mobile_shooter" not in describe(shots).tags


def test_full_auto_and_high_capacity():
    burst = [shot(0, 0, i / 12.0) for i in range(16)]
    d = describe(burst)
    assert "full_auto" in d.tags and "high_capacity" in d.tags
    slow = [shot(0, 0, i * 0.6) for i in range(5)]
    assert "full_auto" not in describe(slow).tags


def test_tracker_keeps_separate_incidents_apart_and_mobile_together():
    tr = IncidentTracker(IncidentParams())
    a = tr.add(shot(0, 0, 0))
    b = tr.add(shot(900, 0, 0.2))  # a few blocks away, same moment
    assert a != b
    assert tr.add(shot(40, 0, 2.0)) == a  # car moved 40 m in 2 s
    assert tr.add(shot(0, 0, 100.0)) != a  # long after: a new incident
    snap = tr.snapshot(a)
    assert snap.rounds == 2 and snap.revision == 0
    assert tr.snapshot(a).revision == 1


def test_describe_requires_shots():
    with pytest.raises(ValueError, match="at least one shot"):
        describe([])
