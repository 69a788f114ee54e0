"""Audio clip for an incident: shots ±1 s (the industry convention), with shot markers.

Uses the ``app.audio`` incident-clip service when it is available; otherwise renders a
stand-in: a seeded noise floor with a decaying muzzle-blast impulse and its echo at each
shot time, so the waveform, markers and playback can be exercised before real audio.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from localization.types import Incident


@dataclass(frozen=True)
class Clip:
    samples: np.ndarray        # float32, shape (n,)
    rate_hz: int
    start_ns: int              # UTC of samples[0]
    markers_s: tuple[float, ...]   # shot times from the clip start
    marker_shooters: tuple[int, ...]
    source: str                # "sensor audio" or "synthetic stand-in"


PAD_S = 1.0


def synthetic_clip(incident: Incident, rate_hz: int = 16_000) -> Clip:
    start_ns = incident.start_ns - int(PAD_S * 1e9)
    dur_s = (incident.end_ns - incident.start_ns) / 1e9 + 2 * PAD_S
    n = int(dur_s * rate_hz)
    seed = abs(hash(incident.id)) % (2**32)
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.01, n).astype(np.float32)
    markers = []
    for shot in incident.shots:
        t = (shot.t_ns - start_ns) / 1e9
        markers.append(t)
        i0 = int(t * rate_hz)
        m = min(n - i0, int(0.25 * rate_hz))
        if m <= 0:
            continue
        tt = np.arange(m) / rate_hz
        blast = np.exp(-tt / 0.012) * rng.normal(0, 1, m) * 0.9 + 0.6 * np.exp(-tt / 0.002)
        echo_at = int(0.06 * rate_hz)
        echo = np.zeros(m)
        if m > echo_at:
            echo[echo_at:] = 0.3 * np.exp(-tt[: m - echo_at] / 0.02) * rng.normal(0, 1, m - echo_at)
        x[i0:i0 + m] += (blast + echo).astype(np.float32)
    return Clip(x, rate_hz, start_ns, tuple(markers), tuple(incident.shooter_of_shot), "synthetic stand-in")


def clip_for(incident: Incident) -> Clip:
    try:
        from app.audio import clips as audio_clips  # type: ignore[attr-defined]
    except ImportError:
        return synthetic_clip(incident)
    fn = getattr(audio_clips, "incident_clip", None)
    if fn is None:
        return synthetic_clip(incident)
    try:
        c = fn(incident)
    except Exception:  # noqa: BLE001 - no audio must never stop the console
        return synthetic_clip(incident)
    samples = np.asarray(getattr(c, "samples"), dtype=np.float32)
    if samples.ndim > 1:
        samples = samples[:, 0]
    rate = int(getattr(c, "sample_rate_hz", getattr(c, "rate_hz", 16000)))
    start_ns = int(getattr(c, "start_ns", incident.start_ns - int(PAD_S * 1e9)))
    markers = tuple(float(m) for m in getattr(c, "markers_s", [(s.t_ns - start_ns) / 1e9 for s in incident.shots]))
    return Clip(samples, rate, start_ns, markers, tuple(incident.shooter_of_shot), "sensor audio")
