"""Render a timeline's audio clip jobs with the audio layer's synthesizer
(``localization.audio.synthesis``): the incident's shots heard at one sensor over city
ambience, each shot arriving at the time and level the sensor's pulse reports, as 16-bit
mono PCM."""
from __future__ import annotations

import hashlib

import numpy as np

from app.feeds.events import AudioClip
from app.feeds.pulse_audio import SAMPLE_RATE_HZ, synthesizer_for
from app.feeds.timeline import ClipJob
from localization.sim import SimResult


def render_clip(job: ClipJob, sim: SimResult, *, sample_rate_hz: int = SAMPLE_RATE_HZ, seed: int = 0) -> AudioClip:
    """Deterministic from ``seed`` and the job; the same audio the pulses' detector features
    were measured on (``app.feeds.pulse_audio``)."""
    synth = synthesizer_for(job, sim, seed=seed, sample_rate_hz=sample_rate_hz)
    x = synth.render(0, synth.n_samples)[0]
    pcm = np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    return AudioClip(sensor=job.sensor, clip_id=job.clip_id, start_ns=job.start_ns, sample_rate_hz=sample_rate_hz,
                     encoding="pcm_s16le", data=pcm, sha256=hashlib.sha256(pcm).hexdigest())
