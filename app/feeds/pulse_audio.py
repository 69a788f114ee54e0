"""Detector features for the simulator's pulses, measured on the audio it synthesises.

A real sensor runs its detector on its own recording and reports each pulse with the
impulse's shape (rise time, first lobe, spectrum … — ``localization.audio.features``); the
engine turns those into an incident's gunfire probability and review label.  The
simulator's pulses come from the pulse-level model (``localization.sim``), which has no
audio, so on their own they carry no features.  ``PulseAudio`` gives them features the
way a sensor would: it synthesises the sensor's sound around the pulse — exactly the
audio the feed uploads as that incident's clip from that sensor (same synthesizer, same
seed; ``synthesizer_for`` serves both), with the shot arriving at the time and level the
pulse reports — runs the real detector (``detect_impulses``) on 0.7 s around it and
attaches the features of the impulse it finds there.

* direct and NLOS pulses: the shot as that sensor hears it (its level and arrival
  imposed, so the audio agrees with the pulse, wind and all);
* echo pulses: whatever impulse the detector finds at the echo's time in that audio
  (usually none: the synthesizer's reflections are its own) — then no features;
* noise pulses (``shot_index`` −1): a random urban bang (door slam, hammer, nail gun,
  balloon, backfire) at the pulse's level, synthesised alone.

A pulse the detector cannot find (masked by an earlier round's reverberation, say) is
delivered without features, as a sensor would.  Everything is deterministic from the
plan's seed and the pulse's index, whenever and in whatever order it is asked for.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from app.feeds.timeline import ClipJob, SensorWindow
from localization.sim import ECHO, NOISE, SimResult

if TYPE_CHECKING:
    from localization.audio.synthesis import Synthesizer

NS = 1_000_000_000
SAMPLE_RATE_HZ = 16000
MATCH_S = 0.005
"""A detection within this of the pulse's arrival is that pulse."""
_BEFORE_S, _AFTER_S = 0.3, 0.4
_NOISE_KINDS = ("door_slam", "hammer", "nail_gun", "balloon_pop", "backfire")


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:4], "little")


def synthesizer_for(job: ClipJob, sim: SimResult, *, seed: int, sample_rate_hz: int = SAMPLE_RATE_HZ) -> Synthesizer:
    """The synthesizer of ``job``'s audio: its shots heard at its sensor over city ambience,
    each arriving at the time and level the sensor's pulse of it reports (where it reported
    one).  Deterministic from ``seed`` and the job's clip id."""
    from localization.audio.sources import SourceEvent
    from localization.audio.synthesis import Synthesizer

    shots = sim.events.shots
    events = []
    for k in job.shot_indices:
        s = shots[k]
        kind, weapon = ("gunshot", s.weapon) if s.is_gunfire else (s.weapon, None)
        events.append(SourceEvent(s.x_m, s.y_m, s.t_ns, kind, weapon, s.z_m, s.source_db))
    si = next(i for i, x in enumerate(sim.sensors) if x.id == job.sensor)
    sensor = sim.sensors[si]
    received = np.full((len(events), 1), np.nan)
    delay = np.full((len(events), 1), np.nan)
    row = {k: j for j, k in enumerate(job.shot_indices)}
    for i in np.flatnonzero((sim.sensor_index == si) & (sim.path != ECHO) & (sim.path != NOISE)):
        j = row.get(int(sim.shot_index[i]))
        if j is not None and not np.isfinite(received[j, 0]):
            received[j, 0] = sim.level_db[i]
            delay[j, 0] = (int(sim.true_arrival_ns[i]) - shots[job.shot_indices[j]].t_ns) / NS
    return Synthesizer(np.array([[sensor.x_m, sensor.y_m, sensor.z_m]]), events, start_ns=job.start_ns,
                       duration_s=job.duration_s, sample_rate_hz=sample_rate_hz, seed=_seed(seed, job.clip_id),
                       temperature_c=sim.temperature_c, received_db=received, delay_s=delay)


class PulseAudio:
    """``PulseAudio(sim, windows, seed=plan.seed)``; ``features(i)`` for pulse ``i`` of ``sim``.

    ``windows``: each incident's audio window per sensor (``sensor_windows`` of the pulses
    the feed delivers — the clips' own, so features are measured in the audio uploaded).
    Synthesizers are kept for the ``cache_size`` most recently used windows (a burst's
    pulses share one).
    """

    def __init__(self, sim: SimResult, windows: dict[tuple[str, str], SensorWindow], *, seed: int,
                 sample_rate_hz: int = SAMPLE_RATE_HZ, cache_size: int = 64) -> None:
        self.sim = sim
        self.seed = int(seed)
        self.sample_rate_hz = int(sample_rate_hz)
        self.windows = windows
        self._cache: OrderedDict[str, Synthesizer] = OrderedDict()
        self._cache_size = cache_size

    def features(self, i: int) -> tuple[tuple[str, float], ...]:
        """Detector features of pulse ``i`` (index into ``sim.pulses``), as ``Pulse.features``
        holds them; () when the detector finds no impulse at its arrival."""
        sim = self.sim
        t_ns = int(sim.true_arrival_ns[i])
        k = int(sim.shot_index[i])
        if k < 0:
            synth = self._noise_synth(i, t_ns)
        else:
            key = (sim.events.shots[k].incident_id, sim.pulses[i].sensor)
            w = self.windows.get(key)
            job = w.job if w is not None else ClipJob(key[1], key[0], f"{key[0]}-{key[1]}-p{i}",
                                                       t_ns - NS, 2.0, (k,))
            synth = self._synth(job)
        return self._measure(synth, t_ns)

    # ------------------------------------------------------------------ internals
    def _synth(self, job: ClipJob) -> Synthesizer:
        s = self._cache.get(job.clip_id)
        if s is None:
            s = synthesizer_for(job, self.sim, seed=self.seed, sample_rate_hz=self.sample_rate_hz)
            self._cache[job.clip_id] = s
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(job.clip_id)
        return s

    def _noise_synth(self, i: int, t_ns: int) -> Synthesizer:
        from localization.audio.sources import SourceEvent
        from localization.audio.synthesis import Synthesizer

        sim = self.sim
        rng = np.random.default_rng(_seed(self.seed, "noise", i))
        kind = _NOISE_KINDS[int(rng.integers(len(_NOISE_KINDS)))]
        sensor = sim.sensors[int(sim.sensor_index[i])]
        d = float(rng.uniform(20.0, 60.0))
        a = float(rng.uniform(0.0, 2.0 * np.pi))
        delay = d / sim.c_mps
        ev = SourceEvent(sensor.x_m + d * np.cos(a), sensor.y_m + d * np.sin(a), t_ns - int(delay * NS), kind, None, 1.0)
        return Synthesizer(np.array([[sensor.x_m, sensor.y_m, sensor.z_m]]), [ev], start_ns=t_ns - NS,
                           duration_s=2.0, sample_rate_hz=self.sample_rate_hz, seed=_seed(self.seed, "noise-audio", i),
                           temperature_c=sim.temperature_c, received_db=[[float(sim.level_db[i])]], delay_s=[[delay]])

    def _measure(self, synth: Synthesizer, t_ns: int) -> tuple[tuple[str, float], ...]:
        from localization.audio.onset import detect_impulses

        sr = self.sample_rate_hz
        at = (t_ns - synth.start_ns) / NS * sr
        a = max(0, int(at - _BEFORE_S * sr))
        b = min(synth.n_samples, int(at + _AFTER_S * sr))
        if b - a < int(0.05 * sr):
            return ()
        x = synth.render(a, b - a)[0]
        want_s = (at - a) / sr
        dets = detect_impulses(x, sr, full_scale_db=synth.full_scale_db, with_features=(want_s - MATCH_S, want_s + MATCH_S))
        if not dets:
            return ()
        d = min(dets, key=lambda d: abs(d.onset_s - want_s))
        if abs(d.onset_s - want_s) > MATCH_S:
            return ()
        return tuple((name, round(float(v), 6)) for name, v in sorted(d.features.items()))
