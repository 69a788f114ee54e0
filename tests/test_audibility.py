"""The hearing model: what reported levels and silent sensors say about a candidate shot."""
import math

import numpy as np
import pytest

from localization.audibility import HearingModel, log_ndtr


def test_log_ndtr_matches_the_normal_cdf_and_does_not_underflow():
    z = np.linspace(-8.0, 6.0, 57)
    exact = np.log([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in z])
    assert np.allclose(log_ndtr(z), exact, rtol=1e-6, atol=1e-9)
    # far in the tail: log Φ(z) ≈ −z²/2 − log(−z) − ½·log(2π)
    z = -40.0
    assert log_ndtr(np.array([z]))[0] == pytest.approx(-z * z / 2 - math.log(-z) - 0.5 * math.log(2 * math.pi), rel=1e-3)


def test_threshold_is_learnt_from_the_levels_reported():
    hm = HearingModel(min_pulses=200)
    hm.observe(np.full(150, 80.0))
    assert hm.threshold_db is None  # too few levels yet
    hm.observe(np.r_[np.linspace(74.0, 100.0, 300), np.full(50, np.nan)])
    assert hm.threshold_db == pytest.approx(74.0, abs=0.5)


def _levels(hm, L0, r):
    return L0 - hm.loss_db(np.asarray(r, dtype=float))


def test_a_quiet_shot_heard_by_few_sensors_is_likely_stray_pulses_ringed_by_silence_are_not():
    hm = HearingModel(min_pulses=10)
    hm.observe(np.linspace(74.0, 95.0, 100))
    heard_m = np.array([300.0, 380.0, 420.0, 500.0])
    # Quiet source: the four heard it a few dB over the threshold; the silent sensors
    # are a little nearer or farther — silence there is unsurprising.
    quiet = _levels(hm, 74.0 + 4.0 + float(hm.loss_db(400.0)), heard_m)
    silent_m = np.array([250.0, 350.0, 600.0, 700.0, 900.0, 1100.0])
    ll_real = hm.log_likelihood(quiet, heard_m, silent_m)
    # Same four sensors, but loud (≈ 15 dB over threshold) with several silent sensors
    # within 100 m of the place: no real shot sounds like that.
    loud = quiet + 15.0
    ringed = np.array([60.0, 80.0, 90.0, 120.0, 150.0, 700.0])
    ll_stray = hm.log_likelihood(loud, heard_m, ringed)
    assert ll_real > -17.0 > ll_stray
    assert ll_real - ll_stray > 10.0


def test_no_score_without_levels_or_a_learnt_threshold():
    hm = HearingModel(min_pulses=10)
    assert hm.log_likelihood(np.array([80.0, 81.0, 82.0]), np.array([100.0, 200.0, 300.0]), np.array([50.0])) is None
    hm.observe(np.linspace(74.0, 95.0, 100))
    assert hm.log_likelihood(np.array([80.0, np.nan, 82.0]), np.array([100.0, 200.0, 300.0]), np.array([50.0])) is None
    assert hm.log_likelihood(np.array([80.0, 81.0, 82.0]), np.array([100.0, 200.0, 300.0]), np.array([])) is not None
