"""Incident clips for live incidents: the feed's sensor audio → evidence clips in the store.

A live feed uploads audio clips (``app.feeds.events.AudioClip``) a little after the
pulses they contain; the engine emits incidents later still, and the console records
them in the store after that.  ``LiveClipRecorder`` sits between, on the thread that
polls the feed (it writes through that thread's store connection):

* ``add(clip)`` keeps the decoded audio of recent clips, per sensor (bounded by age);
* ``note(incidents)`` remembers the engine's newest revision of each incident;
* ``attach(store)`` — for every noted incident already in the store, and whose shots'
  arrivals at some of its sensors are covered by buffered audio — writes the incident's
  clip (best sensors, 1 s before the first arrival to 1 s after the last, FLAC) with
  ``write_incident_clips`` and registers each file with ``Store.add_audio_clip`` (the
  SHA-256 the writer computed is recorded; the file is not read again).  A clip is written once; when a later revision adds rounds outside
  what was written, a new set is written under a revision-suffixed name — a file whose
  hash is on record is never overwritten.

Arrival times at a sensor are predicted from the located shot (distance / speed of
sound), which is what places the markers; the recording itself is the sensor's own.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from app.audio.clips import ClipFormat, write_incident_clips
from app.feeds.events import AudioClip
from app.store import NotFoundError, Store, StoreError
from localization.solver import travel_times
from localization.types import Incident, Sensor

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SensorAudio:
    """Decoded audio of one uploaded clip (fits ``app.audio.clips.AudioSource``)."""

    sensor_id: str
    samples: np.ndarray
    sample_rate_hz: int
    start_ns: int

    @property
    def end_ns(self) -> int:
        return self.start_ns + int(len(self.samples) / self.sample_rate_hz * 1e9)


def decode_clip(clip: AudioClip) -> SensorAudio:
    """Samples in [-1, 1] from a feed clip (``pcm_s16le``, ``wav`` or ``flac``)."""
    if clip.encoding == "pcm_s16le":
        x = np.frombuffer(clip.data, dtype="<i2").astype(np.float32) / 32768.0
        rate = clip.sample_rate_hz
    elif clip.encoding in ("wav", "flac"):
        import soundfile as sf

        x, rate = sf.read(io.BytesIO(clip.data), dtype="float32", always_2d=True)
        x = x[:, 0]
    else:
        raise ValueError(f"clip {clip.clip_id}: unknown audio encoding {clip.encoding!r}")
    return SensorAudio(clip.sensor, np.ascontiguousarray(x), int(rate), int(clip.start_ns))


#: How long (s) sensor audio waits for an incident to claim it; an incident gets its clips
#: within this of its last shot, or never.
KEEP_S = 600.0


class LiveClipRecorder:
    def __init__(self, sensors: Sequence[Sensor], c_mps: float, out_dir: str | Path, *, fmt: ClipFormat = "flac",
                 max_sensors: int = 3, keep_s: float = KEEP_S, actor: str = "engine") -> None:
        self.sensors = {s.id: s for s in sensors}
        self.c_mps = float(c_mps)
        self.out_dir = Path(out_dir)
        self.fmt: ClipFormat = fmt
        self.max_sensors = max_sensors
        self.keep_ns = int(keep_s * 1e9)
        self.actor = actor
        self._audio: dict[str, list[SensorAudio]] = {}
        self._pending: dict[str, Incident] = {}
        self._written_end_ns: dict[str, int] = {}
        self._latest_end_ns: int | None = None   # newest incident end noted

    @classmethod
    def for_store(cls, sensors: Sequence[Sensor], c_mps: float, store: Store | None, **options) -> LiveClipRecorder | None:
        """A recorder writing into ``clips/`` beside ``store``'s database; None without a store."""
        if store is None:
            return None
        return cls(sensors, c_mps, Path(store.path).parent / "clips", **options)

    def update(self, incidents: Iterable[Incident], store: Store) -> int:
        """``note`` the engine's new incidents, then ``attach`` what can be attached now."""
        self.note(incidents)
        return self.attach(store)

    # ------------------------------------------------------------------ inputs
    def add(self, clip: AudioClip) -> None:
        try:
            audio = decode_clip(clip)
        except Exception as exc:  # noqa: BLE001 - one bad upload must not stop the feed
            log.warning("audio clip %s from %s not usable: %s", clip.clip_id, clip.sensor, exc)
            return
        if len(audio.samples) == 0:
            return
        self._audio.setdefault(audio.sensor_id, []).append(audio)
        newest = max(a.end_ns for lst in self._audio.values() for a in lst)
        for sid in list(self._audio):
            self._audio[sid] = [a for a in self._audio[sid] if a.end_ns >= newest - self.keep_ns]
            if not self._audio[sid]:
                del self._audio[sid]

    def note(self, incidents: Iterable[Incident]) -> None:
        for inc in incidents:
            prev = self._pending.get(inc.id)
            if prev is None or inc.revision >= prev.revision:
                self._pending[inc.id] = inc
            self._latest_end_ns = inc.end_ns if self._latest_end_ns is None else max(self._latest_end_ns, inc.end_ns)

    # ----------------------------------------------------------------- output
    def arrivals_ns(self, inc: Incident) -> dict[str, list[int]]:
        """Predicted arrival of every shot at each of the incident's sensors."""
        ids = sorted({sid for s in inc.shots for sid in s.sensors if sid in self.sensors})
        S = np.array([[self.sensors[i].x_m, self.sensors[i].y_m, self.sensors[i].z_m] for i in ids]).reshape(-1, 3)
        per_shot = [s.t_ns + np.round(travel_times(S, (s.x_m, s.y_m), s.z_m, self.c_mps, s.wind_mps or (0.0, 0.0))[0]
                                      * 1e9).astype(np.int64) for s in inc.shots]
        return {sid: [int(t[k]) for t in per_shot] for k, sid in enumerate(ids)}

    def covering(self, inc: Incident) -> tuple[list[SensorAudio], dict[str, list[int]]]:
        """Buffered audio that holds all of the incident's arrivals at a sensor, one per sensor."""
        arrivals = self.arrivals_ns(inc)
        chosen = []
        for sid, marks in arrivals.items():
            ok = [a for a in self._audio.get(sid, ()) if a.start_ns <= min(marks) and a.end_ns >= max(marks)]
            if ok:
                chosen.append(max(ok, key=lambda a: a.end_ns - a.start_ns))
        return chosen, {a.sensor_id: arrivals[a.sensor_id] for a in chosen}

    def attach(self, store: Store) -> int:
        """Write and register clips for the noted incidents that can have them now; returns
        the number of clip files registered."""
        n = 0
        newest = max((a.end_ns for lst in self._audio.values() for a in lst), default=None)
        if newest is not None:
            self._written_end_ns = {u: e for u, e in self._written_end_ns.items() if e >= newest - self.keep_ns}
        # What is older than the newest audio or incident by ``keep_s`` will never be covered
        # (its audio is gone, or never came — a feed without audio must not pile up).
        ref = max((x for x in (newest, self._latest_end_ns) if x is not None), default=None)
        for uid, inc in list(self._pending.items()):
            if uid in self._written_end_ns and inc.end_ns <= self._written_end_ns[uid]:
                del self._pending[uid]
                continue
            if ref is not None and inc.end_ns < ref - self.keep_ns:
                del self._pending[uid]
                continue
            sources, arrivals = self.covering(inc)   # in memory: before any store query
            if not sources:
                continue
            try:
                store_id = store.incident_id_for(uid)
            except NotFoundError:
                continue   # recorded by the worker after this poll; try next time
            name = uid if uid not in self._written_end_ns else f"{uid}-r{inc.revision}"
            try:
                clips, manifest = write_incident_clips(
                    name, [s.t_ns for s in inc.shots], sources, self.out_dir, arrivals_ns=arrivals,
                    distance_m={sid: self._distance_m(inc, sid) for sid in arrivals}, max_sensors=self.max_sensors,
                    fmt=self.fmt)
                for c in clips:
                    store.add_audio_clip(store_id, c.path, actor=self.actor, sensor_id=c.sensor, start_ns=c.start_ns,
                                         duration_s=c.duration_s, sha256=c.sha256)
            except (OSError, ValueError, StoreError) as exc:
                log.error("clips of incident %s not written: %s", uid, exc)
                del self._pending[uid]
                continue
            n += len(clips)
            self._written_end_ns[uid] = inc.end_ns
            del self._pending[uid]
            log.info("incident %s: %d audio clip(s) written (%s)", uid, len(clips), manifest.name)
        return n

    def _distance_m(self, inc: Incident, sid: str) -> float:
        s = self.sensors[sid]
        return float(np.hypot(s.x_m - inc.x_m, s.y_m - inc.y_m))
