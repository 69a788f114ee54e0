"""Gunfire classification: shipped model loads, separates synthetic decoys, labels verdicts."""
from __future__ import annotations

import numpy as np
import pytest

from localization.audio import classify_incident, default_model, pulse_gunfire_probability
from localization.audio.classify import PULSE_INPUT_NAMES, GunfireModel, fit_logistic, pulse_vector, verdict_from_logits
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
    assert m.pulse.names == PULSE_INPUT_NAMES
    assert "synthetic" in m.info["trained_on"]


def test_model_of_another_format_is_refused_and_inputs_follow_the_model_names():
    with pytest.raises(ValueError, match="tocsin-gunfire-model/2.*retrain"):
        GunfireModel.from_json('{"format": "tocsin-gunfire-model/1"}')
    f = {"lobe_ms": 0.8, "centroid_hz": 500.0, "decay_ms": 100.0}
    np.testing.assert_allclose(pulse_vector(f, ("lobe_ms", "centroid_hz", "centroid_hz^2", "decay_ms", "tail_db")),
                               [0.8, np.log10(0.5), np.log10(0.5) ** 2, 2.0, 0.0])


def test_synthetic_gunfire_vs_decoys_on_unseen_seeds():
    incs = simulate_incidents(["gunshot", "door_slam", "nail_gun", "aerial_shell", "backfire"], 4, seed=424242)
    for i in incs:
        if not i.pulse_features:
            continue
        v = classify_incident(list(i.pulse_features), list(i.shot_times_s), height_m=i.height_m)
        if i.kind == "gunshot":
            assert v.label == "gunfire", (i.kind, v)
        else:
            assert v.label != "gunfire", (i.kind, v)


def test_one_odd_pulse_does_not_undo_a_gunfire_incident():
    """A stray non-gunfire pulse taken into a string of rounds (an engine grouping mistake,
    a door slam at one sensor) must not turn forty gunfire-like pulses into a decoy."""
    logits = np.concatenate([np.full(40, 3.0), [-15.0]])
    v = verdict_from_logits(logits, [0.0, 0.5, 1.1, 1.6, 2.3])
    assert v.label == "gunfire" and v.probability >= 0.5


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


@pytest.mark.realdata
def test_real_fp1_gunshot_pulses_are_recognised_one_by_one(pittsburgh_dir):
    """Every FP1 gunshot pulse our detector found, classified alone (the model never saw
    real audio): ≥ 97 % called gunfire (the benchmark's target is 98 %)."""
    from app.bench.fp1_audio import load_tests, match

    feats = [r[2].features for tt in load_tests(pittsburgh_dir, "FP1") for r in match(tt) if r[2] is not None]
    assert len(feats) >= 150
    assert np.mean(pulse_gunfire_probability(feats) >= 0.5) >= 0.97
