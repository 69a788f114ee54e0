"""Onset detection on synthetic signals: precision at several SNRs, echoes, clipping."""
from __future__ import annotations

import numpy as np
import pytest

from localization.audio import SourceEvent, detect_impulses, synthesize
from localization.audio.synthesis import _blast

SR = 16000


def _pulse_train(snr_db: float, seed: int, onsets_s=(0.5, 1.3, 2.1), echo_ms: float | None = None, amp: float = 0.3):
    rng = np.random.default_rng(seed)
    n = int(3.0 * SR)
    noise_rms = amp / 10 ** (snr_db / 20)
    x = rng.normal(0.0, noise_rms, n)
    t = np.arange(n) / SR
    for t0 in onsets_s:
        x += amp * _blast(t - t0, 0.6e-3, 0.05e-3, 0.0, 0.0, 0.0)
        if echo_ms is not None:
            x += 0.6 * amp * _blast(t - t0 - echo_ms / 1000, 0.9e-3, 0.1e-3, 0.0, 0.0, 0.0)
    return x


@pytest.mark.parametrize("snr_db,tol_ms", [(40.0, 0.1), (25.0, 0.2), (20.0, 0.5)])
def test_onset_error_at_several_snrs(snr_db, tol_ms):
    errs = []
    for seed in range(5):
        truth = np.array([0.5, 1.3, 2.1]) + seed * 1e-4 / 3  # sub-sample offsets
        dets = detect_impulses(_pulse_train(snr_db, seed, truth), SR)
        assert len(dets) == 3
        errs.extend(abs(d.onset_s - t) * 1e3 for d, t in zip(dets, truth))
    assert np.median(errs) <= tol_ms


def test_echoes_a_few_ms_later_are_not_double_counted():
    for echo_ms in (3.0, 8.0, 15.0):
        dets = detect_impulses(_pulse_train(30.0, 1, echo_ms=echo_ms), SR)
        assert [round(d.onset_s, 3) for d in dets] == [0.5, 1.3, 2.1]


def test_clipped_pulses_keep_their_onset_and_are_flagged():
    x = np.clip(_pulse_train(30.0, 2, amp=3.0), -1.0, 1.0)
    dets = detect_impulses(x, SR, full_scale_db=93.09)
    assert len(dets) == 3
    for d, t in zip(dets, (0.5, 1.3, 2.1)):
        assert abs(d.onset_s - t) < 1e-4
        assert d.features["clipped_frac"] > 0.0
        assert d.peak_db == pytest.approx(93.09, abs=0.01)


def test_silence_and_digital_padding_give_no_detections():
    assert detect_impulses(np.zeros(SR * 2), SR) == []
    x = np.concatenate([np.zeros(SR), np.random.default_rng(0).normal(0, 0.01, SR * 2)])
    assert detect_impulses(x, SR) == []


def test_features_are_reported_in_physical_units():
    d = detect_impulses(_pulse_train(30.0, 3), SR)[0]
    assert 0.0 <= d.features["rise_time_ms"] < 1.0
    assert 100.0 < d.features["centroid_hz"] < 5000.0
    assert d.snr_db == pytest.approx(30.0, abs=6.0)


def test_detects_synthesized_gunfire_on_every_sensor():
    sensors = [[0, 0, 10], [250, 0, 10], [0, 300, 10]]
    ev = [SourceEvent(100.0, 100.0, 1_000_000_000, "gunshot", "handgun", level_db=162.0)]
    a = synthesize(sensors, ev, start_ns=0, duration_s=3.0, seed=4, sample_rate_hz=12000)
    for arr in a.arrivals:
        dets = detect_impulses(a.samples[arr.sensor_index], 12000)
        err_ms = min(abs(d.onset_s - arr.t_ns / 1e9) for d in dets) * 1e3
        assert err_ms < 1.0


def test_bad_input_raises():
    with pytest.raises(ValueError, match="mono"):
        detect_impulses(np.zeros((2, 100)), SR)
    with pytest.raises(ValueError, match="sample_rate_hz"):
        detect_impulses(np.zeros(100), 0)


def _blast_with_reflection(*, precursor: bool) -> tuple[np.ndarray, float]:
    """A 0.6 ms blast at 0.5 s, then a reflection twice as loud 5 ms later, both clipped;
    optionally a slow faint swell in the 2 ms before the blast (returns samples, true onset)."""
    t = np.arange(SR) / SR
    x = np.random.default_rng(7).normal(0.0, 1e-3, SR)
    x += 1.5 * _blast(t - 0.5, 0.6e-3, 0.05e-3, 0.0, 0.0, 0.0)
    x += 3.0 * _blast(t - 0.505, 0.9e-3, 0.1e-3, 0.0, 0.0, 0.0)
    if precursor:
        x += np.where((t > 0.498) & (t < 0.5006), 0.02, 0.0)
    return np.clip(x, -1.0, 1.0), 0.5


def test_rise_and_lobe_describe_the_first_lobe_not_a_louder_reflection():
    from localization.audio.features import pulse_features
    from localization.audio.onset import highpass

    for precursor in (False, True):
        x, t0 = _blast_with_reflection(precursor=precursor)
        d = detect_impulses(x, SR)[0]
        assert abs(d.onset_s - t0) < 3e-3
        assert d.features["rise_time_ms"] < 0.3, precursor
        assert 0.3 < d.features["lobe_ms"] < 0.9, precursor
        # the same lobe whether the onset sits on the blast or 1.5 ms early on the swell
        y = highpass(x, SR)
        early = pulse_features(x, y, (t0 - 0.0015) * SR, SR, 1e-3)
        assert early["lobe_ms"] == pytest.approx(d.features["lobe_ms"], abs=0.1)
        assert early["rise_time_ms"] == pytest.approx(d.features["rise_time_ms"], abs=0.1)


def test_lobe_separates_a_blast_from_a_long_low_pulse():
    def lobe(pos_ms: float, rise_ms: float) -> float:
        t = np.arange(SR) / SR
        x = np.random.default_rng(1).normal(0.0, 1e-3, SR) + 0.3 * _blast(t - 0.5, pos_ms * 1e-3, rise_ms * 1e-3,
                                                                          0.0, 0.0, 0.0)
        return detect_impulses(x, SR)[0].features["lobe_ms"]

    assert lobe(0.7, 0.05) < 1.0   # a handgun blast heard at range
    assert lobe(3.0, 0.5) > 2.0    # an exhaust backfire's slow push
