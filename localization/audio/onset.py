"""Impulse onset detection: audio samples → the start time of each impulse.

Pipeline (all vectorised; the only Python loop is over detected events):

1. causal high-pass ``y = x − mean(x over the previous 4 ms)`` — removes rumble and DC
   without moving the onset (a causal filter puts nothing before the impulse);
2. 1 ms frame energies and a robust noise floor per 250 ms block (median of the frame
   energies, min of this and the previous block so a loud burst does not raise it; exact
   digital silence, as in padded files, is ignored);
3. trigger where a frame's energy exceeds the floor by ``threshold_db``; frames that stay
   above ``threshold_db − 6 dB`` and start within ``min_separation_ms`` of the onset belong
   to the same impulse, so echoes arriving a few ms later are not counted twice;
4. sub-sample onset: the Akaike-information-criterion change point between noise and
   signal in the 20 ms before the first strong sample, then moved back to the zero
   crossing that starts the pulse (linear interpolation), which is how sensor vendors
   define the arrival time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from localization.audio.features import pulse_features

_EPS = 1e-20


@dataclass(frozen=True, slots=True)
class Detection:
    """One detected impulse.

    ``onset_s`` is seconds from the first sample (sub-sample precision); ``peak`` the
    largest |sample| of the raw signal in the first 10 ms (1.0 = full scale); ``snr_db``
    the high-passed peak over the pre-pulse noise RMS; ``peak_db`` dB SPL when the
    full scale is known, else None; ``features`` name → value (see ``features.py``).
    """

    onset_s: float
    peak: float
    snr_db: float
    peak_db: float | None
    features: dict[str, float]


def highpass(samples: np.ndarray, sample_rate_hz: float, window_ms: float = 4.0) -> np.ndarray:
    """Causal moving-average high-pass: ``x[n] − mean(x[n−K:n])`` with K = window_ms."""
    x = np.asarray(samples, dtype=np.float64)
    k = max(2, int(round(window_ms * 1e-3 * sample_rate_hz)))
    c = np.concatenate(([0.0], np.cumsum(x)))
    n = np.arange(len(x))
    lo = np.maximum(n - k, 0)
    count = np.maximum(n - lo, 1)
    mean_prev = (c[n] - c[lo]) / count
    mean_prev[0] = x[0] if len(x) else 0.0
    return x - mean_prev


def _noise_floor(frame_e: np.ndarray, block: int) -> np.ndarray:
    nb = max(1, int(np.ceil(len(frame_e) / block)))
    padded = np.full(nb * block, np.nan)
    padded[: len(frame_e)] = frame_e
    blocks = padded.reshape(nb, block)
    # exact digital silence (padding) does not count as noise
    blocks = np.where(blocks <= _EPS, np.nan, blocks)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(blocks, axis=1)
    valid = np.isfinite(med)
    if not valid.any():
        return np.full(len(frame_e), _EPS)
    idx = np.arange(nb)
    # fill silent blocks from the nearest real block (later one preferred)
    nxt = np.where(valid, idx, nb)
    nxt = np.minimum.accumulate(nxt[::-1])[::-1]
    prv = np.where(valid, idx, -1)
    prv = np.maximum.accumulate(prv)
    src = np.where(nxt < nb, nxt, prv)
    med = med[src]
    floor = med.copy()
    floor[1:] = np.minimum(med[1:], med[:-1])
    return np.repeat(floor, block)[: len(frame_e)]


def _aic_pick(seg: np.ndarray) -> int:
    """Index of the AIC change point of ``seg`` (noise before, signal after)."""
    n = len(seg)
    if n < 6:
        return 0
    s1 = np.cumsum(seg)
    s2 = np.cumsum(seg * seg)
    k = np.arange(1, n - 1)
    v1 = s2[k - 1] / k - (s1[k - 1] / k) ** 2
    m = n - k
    v2 = (s2[-1] - s2[k - 1]) / m - ((s1[-1] - s1[k - 1]) / m) ** 2
    aic = k * np.log(np.maximum(v1, _EPS)) + (m - 1) * np.log(np.maximum(v2, _EPS))
    return int(k[np.argmin(aic)])


def _refine_onset(y: np.ndarray, start: int, sr: float, noise_rms: float) -> float:
    """Sub-sample onset near frame index ``start`` (samples)."""
    n = len(y)
    look = int(round(0.005 * sr))
    lo, hi = max(0, start - int(round(0.002 * sr))), min(n, start + look)
    if hi <= lo:
        return float(start)
    local_peak = float(np.max(np.abs(y[lo:hi])))
    level = max(4.0 * noise_rms, 0.3 * local_peak)
    strong = np.nonzero(np.abs(y[lo:hi]) >= level)[0]
    k1 = lo + (int(strong[0]) if len(strong) else 0)
    a = max(0, k1 - int(round(0.020 * sr)))
    b = min(n, k1 + int(round(0.0005 * sr)) + 1)
    k0 = a + _aic_pick(y[a:b])
    k0 = min(k0, k1)
    # walk back to the zero crossing that starts the pulse (at most 1.5 ms)
    sign = np.sign(y[k1]) or 1.0
    j = k0
    stop = max(1, k0 - int(round(0.0015 * sr)))
    while j > stop and y[j - 1] * sign > 0.0 and abs(y[j - 1]) > 0.5 * noise_rms:
        j -= 1
    # the crossing is between j-1 and j when the sign changes there
    y0, y1 = y[j - 1] if j >= 1 else 0.0, y[j]
    if j >= 1 and y0 * y1 < 0.0:
        return float(j - 1 + y0 / (y0 - y1))
    return float(j)


def _event_starts(trig: np.ndarray, ratio_db: np.ndarray, hyst: np.ndarray, sep: int) -> list[int]:
    """Frames where a new impulse starts.

    A triggered frame within ``sep`` frames of the current impulse's start belongs to it
    (an echo or the rest of the pulse) unless it is 9 dB stronger than anything in the
    impulse so far — then a weak precursor had triggered first and the real impulse starts
    here.  Later triggered frames start a new impulse when they rise out of quiet (the
    frame before is below the hysteresis level) or jump 9 dB above the last 5 frames, so
    a long reverberant tail is not cut into many impulses.
    """
    starts: list[int] = []
    cur = -10**9
    cur_max = np.inf
    for g in trig.tolist():
        r = float(ratio_db[g])
        if g - cur < sep:
            if r > cur_max + 9.0:
                starts.append(g)
                cur, cur_max = g, r
            else:
                cur_max = max(cur_max, r)
            continue
        fresh = g == 0 or not hyst[g - 1]
        jump = r > float(ratio_db[max(0, g - 5) : g].max(initial=-np.inf)) + 9.0
        if fresh or jump:
            starts.append(g)
            cur, cur_max = g, r
    return starts


def detect_impulses(
    samples: np.ndarray,
    sample_rate_hz: float,
    *,
    full_scale_db: float | None = None,
    threshold_db: float = 12.0,
    min_separation_ms: float = 25.0,
    with_features: bool | tuple[float, float] = True,
) -> list[Detection]:
    """Detect impulses in mono ``samples`` (float, full scale 1.0) at ``sample_rate_hz``.

    Returns detections in time order.  ``threshold_db`` is the 1 ms frame-energy rise
    over the noise floor that triggers a detection; impulses closer than
    ``min_separation_ms`` to the previous onset are treated as its echoes.
    ``with_features``: measure every detection's shape features (True), none (False), or
    only those of detections with an onset between the two times given (s from the first
    sample) — the others get an empty ``features``.
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"samples must be mono (1-D), got shape {x.shape}")
    if sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be positive, got {sample_rate_hz}")
    sr = float(sample_rate_hz)
    hop = max(4, int(round(sr * 1e-3)))
    nf = len(x) // hop
    if nf < 4:
        return []
    y = highpass(x, sr)
    frame_e = (y[: nf * hop] ** 2).reshape(nf, hop).mean(axis=1)
    floor = np.maximum(_noise_floor(frame_e, 250), _EPS)
    ratio_db = 10.0 * np.log10(np.maximum(frame_e, _EPS) / floor)
    trig = np.nonzero(ratio_db > threshold_db)[0]
    if len(trig) == 0:
        return []
    sep_frames = max(1, int(round(min_separation_ms)))
    hyst = ratio_db > (threshold_db - 6.0)
    starts = _event_starts(trig, ratio_db, hyst, sep_frames)
    out: list[Detection] = []
    for f in starts:
        noise_rms = float(np.sqrt(floor[f]))
        onset = _refine_onset(y, f * hop, sr, noise_rms)
        i0 = int(np.floor(onset))
        w = x[i0 : i0 + int(round(0.010 * sr))]
        wy = y[i0 : i0 + int(round(0.010 * sr))]
        if len(w) == 0:
            continue
        peak = float(np.max(np.abs(w)))
        peak_hp = float(np.max(np.abs(wy)))
        snr_db = 20.0 * np.log10(max(peak_hp, _EPS) / max(noise_rms, 1e-12))
        if out and onset / sr - out[-1].onset_s < 0.005:
            # the same impulse found twice (a weak first frame, then its strong part)
            if snr_db <= out[-1].snr_db:
                continue
            out.pop()
        peak_db = None if full_scale_db is None else full_scale_db + 20.0 * np.log10(max(peak, 1e-12))
        want = (with_features if isinstance(with_features, bool)
                else with_features[0] <= onset / sr <= with_features[1])
        feats = pulse_features(x, y, onset, sr, noise_rms) if want else {}
        out.append(Detection(onset_s=onset / sr, peak=peak, snr_db=float(snr_db), peak_db=peak_db, features=feats))
    return out
