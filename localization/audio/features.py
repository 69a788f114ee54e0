"""Per-pulse shape features, in physical units so they mean the same at 12 kHz and 16 kHz.

All spectral measures use only 100–5000 Hz (below the Nyquist of a 12 kHz sensor).

=================  =====  ===========================================================
name               unit   meaning
=================  =====  ===========================================================
rise_time_ms       ms     10 → 90 % rise of the first strong lobe (the first half-cycle that
                          reaches half the largest |sample| of the first 10 ms)
duration_ms        ms     onset → 1 ms RMS envelope falls 20 dB below its peak
decay_ms           ms     envelope peak → 30 dB below it (or 6 dB above noise), ≤ 300
centroid_hz        Hz     spectral centroid of the first 12 ms
bandwidth_hz       Hz     spectral spread (standard deviation) of the first 12 ms
lf_ratio           1      share of that energy below 500 Hz
tail_db            dB     energy 12–100 ms after onset relative to the first 12 ms
crest_db           dB     peak over RMS in the first 20 ms
clipped_frac       1      share of the first 10 ms at the clipping level
lobe_ms            ms     width of that lobe at 10 % of its peak
                          (a muzzle blast's positive phase: < 1.5 ms even far away; an
                          exhaust backfire or a door slam: several ms)
=================  =====  ===========================================================
"""
from __future__ import annotations

import numpy as np

FEATURE_NAMES: tuple[str, ...] = (
    "rise_time_ms",
    "duration_ms",
    "decay_ms",
    "centroid_hz",
    "bandwidth_hz",
    "lf_ratio",
    "tail_db",
    "crest_db",
    "clipped_frac",
    "lobe_ms",
)

_EPS = 1e-20


def _envelope_db(seg: np.ndarray, win: int) -> np.ndarray:
    c = np.concatenate(([0.0], np.cumsum(seg * seg)))
    n = len(seg)
    hi = np.minimum(np.arange(n) + win, n)
    lo = np.arange(n)
    e = (c[hi] - c[lo]) / np.maximum(hi - lo, 1)
    return 10.0 * np.log10(np.maximum(e, _EPS))


def pulse_features(x: np.ndarray, y: np.ndarray, onset: float, sample_rate_hz: float, noise_rms: float) -> dict[str, float]:
    """Features of the impulse starting at sample ``onset`` (may be fractional).

    ``x`` is the raw signal (for clipping), ``y`` the high-passed one, ``noise_rms`` the
    RMS of ``y`` before the pulse.
    """
    sr = float(sample_rate_hz)
    i0 = max(0, int(np.floor(onset)))
    ms = sr / 1000.0
    n10, n12, n20 = int(round(10 * ms)), int(round(12 * ms)), int(round(20 * ms))
    early = y[i0 : i0 + n10]
    if len(early) == 0:
        return {name: 0.0 for name in FEATURE_NAMES}
    a = np.abs(early)
    pk = float(a.max())
    rise, lobe = _first_lobe(early, pk)
    # envelope over 300 ms
    seg = y[i0 : i0 + int(round(300 * ms))]
    env = _envelope_db(seg, max(1, int(round(ms))))
    # 1 ms window looks ahead: shift so env[k] describes samples around k
    kpk = int(np.argmax(env[: max(1, n12)]))
    epk = env[kpk]
    noise_db = 10.0 * np.log10(max(noise_rms**2, _EPS))
    below20 = np.nonzero(env[kpk:] < epk - 20.0)[0]
    duration = (kpk + (below20[0] if len(below20) else len(env) - kpk)) / ms
    stop_db = max(epk - 30.0, noise_db + 6.0)
    below30 = np.nonzero(env[kpk:] < stop_db)[0]
    decay = (below30[0] if len(below30) else len(env) - kpk) / ms
    # spectrum of the first 12 ms (from 1 ms before the onset)
    s0 = max(0, i0 - int(round(ms)))
    w = y[s0 : i0 + n12]
    nfft = 1 << int(np.ceil(np.log2(max(len(w), 8) * 4)))
    spec = np.abs(np.fft.rfft(w * np.hanning(len(w)), nfft)) ** 2
    f = np.fft.rfftfreq(nfft, 1.0 / sr)
    band = (f >= 100.0) & (f <= 5000.0)
    p = spec[band]
    fb = f[band]
    ptot = float(p.sum()) + _EPS
    centroid = float((p * fb).sum() / ptot)
    bandwidth = float(np.sqrt((p * (fb - centroid) ** 2).sum() / ptot))
    lf = float(p[fb < 500.0].sum() / ptot)
    e_early = float(np.sum(y[i0 : i0 + n12] ** 2)) + _EPS
    e_tail = float(np.sum(y[i0 + n12 : i0 + int(round(100 * ms))] ** 2)) + _EPS
    tail_db = 10.0 * np.log10(e_tail / e_early)
    w20 = y[i0 : i0 + n20]
    crest = 20.0 * np.log10(max(pk, 1e-12) / max(float(np.sqrt(np.mean(w20 * w20))), 1e-12))
    xr = np.abs(x[i0 : i0 + n10])
    full = float(np.max(np.abs(x))) if len(x) else 0.0
    clipped = float(np.mean(xr >= 0.97 * full)) if full >= 0.5 and len(xr) else 0.0
    return {
        "rise_time_ms": rise / ms,
        "duration_ms": float(duration),
        "decay_ms": float(decay),
        "centroid_hz": centroid,
        "bandwidth_hz": bandwidth,
        "lf_ratio": lf,
        "tail_db": float(tail_db),
        "crest_db": float(crest),
        "clipped_frac": clipped,
        "lobe_ms": lobe / ms,
    }


def _first_lobe(early: np.ndarray, pk: float) -> tuple[float, float]:
    """(10–90 % rise, width at 10 %) of the first strong lobe of ``early``, in samples.

    The lobe is the half-cycle (run of one sign) holding the first sample that reaches
    half of ``pk``.  Measuring this lobe, not the window's largest sample, keeps the blast's
    own shape when a ground or facade reflection a few milliseconds later is louder than
    the direct sound or clipping flattens both; measuring between its 10 % and 90 % points
    (linearly interpolated), not from the picked onset, keeps it when the onset was put on
    a slow, faint precursor.
    """
    if pk <= 0.0 or len(early) < 2:
        return 0.0, 0.0
    k = int(np.argmax(np.abs(early) >= 0.5 * pk))
    v = early * np.sign(early[k])  # the lobe is positive in v
    lo, hi = k, k
    while lo > 0 and v[lo - 1] > 0.0:
        lo -= 1
    while hi + 1 < len(v) and v[hi + 1] > 0.0:
        hi += 1
    top = lo + int(np.argmax(v[lo : hi + 1]))
    peak = float(v[top])

    def leading(level: float) -> float:
        j = top
        while j > lo and v[j - 1] >= level:
            j -= 1
        if j == 0:
            return 0.0
        return j - 1 + (level - v[j - 1]) / (v[j] - v[j - 1])

    def trailing(level: float) -> float:
        j = top
        while j < hi and v[j + 1] >= level:
            j += 1
        if j + 1 >= len(v):
            return float(j)
        return j + (v[j] - level) / (v[j] - v[j + 1])

    t10 = leading(0.1 * peak)
    return leading(0.9 * peak) - t10, trailing(0.1 * peak) - t10
