"""Render a timeline's audio clip jobs with the audio layer's synthesizer
(``localization.audio.synthesis``): the incident's shots heard at one sensor over city
ambience, as 16-bit mono PCM."""
from __future__ import annotations

import hashlib

import numpy as np

from app.feeds.events import AudioClip
from app.feeds.timeline import ClipJob
from localization.sim import SimResult

SAMPLE_RATE_HZ = 16000


def render_clip(job: ClipJob, sim: SimResult, *, sample_rate_hz: int = SAMPLE_RATE_HZ, seed: int = 0) -> AudioClip:
    """Deterministic from ``seed`` and the job."""
    from localization.audio.sources import SourceEvent
    from localization.audio.synthesis import Synthesizer

    shots = sim.events.shots
    events = []
    for k in job.shot_indices:
        s = shots[k]
        if s.is_gunfire:
            events.append(SourceEvent(s.x_m, s.y_m, s.t_ns, "gunshot", s.weapon, s.z_m, s.source_db))
        else:
            events.append(SourceEvent(s.x_m, s.y_m, s.t_ns, s.weapon, None, s.z_m, s.source_db))
    sensor = next(x for x in sim.sensors if x.id == job.sensor)
    digest = hashlib.sha256(f"{seed}/{job.clip_id}".encode()).digest()
    synth = Synthesizer(np.array([[sensor.x_m, sensor.y_m, sensor.z_m]]), events, start_ns=job.start_ns,
                        duration_s=job.duration_s, sample_rate_hz=sample_rate_hz,
                        seed=int.from_bytes(digest[:4], "little"), temperature_c=sim.temperature_c)
    x = synth.render(0, synth.n_samples)[0]
    pcm = np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    return AudioClip(sensor=job.sensor, clip_id=job.clip_id, start_ns=job.start_ns, sample_rate_hz=sample_rate_hz,
                     encoding="pcm_s16le", data=pcm, sha256=hashlib.sha256(pcm).hexdigest())
