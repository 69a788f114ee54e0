"""Gunfire classification: shipped model loads, separates synthetic decoys, labels verdicts."""
from __future__ import annotations

import numpy as np
import pytest

from localization.audio import classify_incident, default_model, pulse_gunfire_probability
from localization.audio.classify import GunfireModel, fit_logistic
from localization.audio.training import simulate_incident, simulate_incidents


def test_logistic_fit_recovers_a_separable_rule():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] - 0.5 * x[:, 1] > 0).astype(float)
    m = fit_logistic(x, y, ("a", "b"), l2=1e-3)
    assert np.mean((m.proba(x) > 0.5) == (y > 0.5)) > 0.97
    m2 = GunfireModel.from_json(GunfireModel(m, m, {"t": 1}).to_json()).pulse
    np.testing.assert_allclose(m2.proba(x), m.proba(x), atol=1e-5)


def test_shipped_model_loads():
    m = default_model()
    assert m.pulse.weights.shape == (len(m.pulse.names),)
    assert "synthetic" in m.info["trained_on"]


def test_synthetic_gunfire_vs_decoys_on_unseen_seeds():
    incs = simulate_incidents(["gunshot", "door_slam", "nail_gun", "aerial_shell"], 4, seed=424242)
    for i in incs:
        if not i.pulse_features:
            continue
        v = classify_incident(list(i.pulse_features), list(i.shot_times_s), height_m=i.height_m)
        if i.kind == "gunshot":
            assert v.label == "gunfire", (i.kind, v)
        else:
            assert v.label != "gunfire", (i.kind, v)


def test_aerial_shells_are_kept_as_probable_fireworks():
    i = simulate_incident("aerial_shell", 7)
    v = classify_incident(list(i.pulse_features), list(i.shot_times_s), height_m=i.height_m)
    assert v.label == "probable_fireworks" and v.probability < 0.2
    assert any("height" in r for r in v.reasons)


def test_pulse_probability_shapes():
    i = simulate_incident("gunshot", 3)
    p = pulse_gunfire_probability(list(i.pulse_features))
    assert p.shape == (len(i.pulse_features),) and np.all((p >= 0) & (p <= 1))
    assert pulse_gunfire_probability([]).shape == (0,)


@pytest.mark.realdata
def test_real_fp1_gunshots_are_called_gunfire(pittsburgh_dir):
    from app.bench.fp1_audio import load_tests, match

    tests = load_tests(pittsburgh_dir, "FP1")[:6]
    labels = []
    for tt in tests:
        rows = [r for r in match(tt) if r[2] is not None]
        feats = [r[2].features for r in rows]
        times = sorted({round(r[0].t_ns / 1e9, 1) for r in rows})
        labels.append(classify_incident(feats, times).label)
    assert labels.count("gunfire") >= 5
