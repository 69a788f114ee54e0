"""Clips for live incidents: the simulator feed's sensor audio → incident clips in the store
(SHA-256 recorded) → the console plays the real clip, not the stand-in."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.audio.clips import verify_clips
from app.audio.live_clips import LiveClipRecorder, decode_clip
from app.console_services.clips import clip_for
from app.feeds.feed import AudioEvent, EventQueue, PulsesEvent
from app.feeds.scenario import plan_from_dict
from app.feeds.simulator import SimulatorFeed
from app.store import ManualClock, Store
from localization import Engine, EngineConfig

pytest.importorskip("soundfile")


@pytest.fixture(scope="module")
def delivered():
    plan = plan_from_dict({
        "seed": 3, "duration_s": 60, "layout": {"area_sq_mi": 1.0, "density_per_sq_mi": 16},
        "conditions": {"preset": "clean"},
        "event": [{"kind": "round_string", "at_s": 10, "x_m": 120, "y_m": -200, "rounds": 3}],
    })
    feed = SimulatorFeed(plan, speed=0, audio=True)
    q = EventQueue()
    feed.run(q)
    return feed, q.drain()


def _run(feed, events, tmp_path):
    store = Store.open(tmp_path / "live.sqlite3", clock=ManualClock())
    engine = Engine(feed.sensors, EngineConfig())
    rec = LiveClipRecorder.for_store(feed.sensors, engine.config.c_mps, store)
    pulses = [p for e in events if isinstance(e, PulsesEvent) for p in e.pulses]
    for e in events:
        if isinstance(e, AudioEvent):
            rec.add(e.clip)
    incidents = engine.push(pulses) + engine.flush()
    assert incidents
    assert rec.update(incidents, store) == 0          # not in the store yet: waits, no error
    for inc in incidents:
        store.record_incident(inc)
    return store, rec, incidents


def test_live_incident_gets_its_clip_recorded_with_sha256(delivered, tmp_path):
    feed, events = delivered
    store, rec, incidents = _run(feed, events, tmp_path)
    assert rec.attach(store) >= 1
    inc = max(incidents, key=lambda i: i.rounds)
    d = store.get_incident(store.incident_id_for(inc.id))
    assert 1 <= len(d.audio_clips) <= 3
    c = d.audio_clips[0]
    assert c["path"].endswith(".flac") and len(c["sha256"]) == 64 and c["sensor_id"] in inc.shots[0].sensors
    assert all(ok for _, ok in store.verify_audio(d.incident.id))
    manifest = tmp_path / "clips" / f"{inc.id}.clips.json"
    assert verify_clips(manifest) == []
    # 1 s before the first arrival to 1 s after the last (within the uploaded audio)
    span_s = (inc.end_ns - inc.start_ns) / 1e9
    assert span_s + 1.0 <= c["duration_s"] <= span_s + 2.0 + 1.5
    assert rec.attach(store) == 0                      # written once: nothing more to do


def test_recorder_registers_the_digest_the_writer_computed_without_reading_the_file_again(
        delivered, tmp_path, monkeypatch):
    feed, events = delivered
    store, rec, incidents = _run(feed, events, tmp_path)
    with monkeypatch.context() as m:
        m.setattr("app.store.store.sha256_file", lambda p: pytest.fail(f"the store hashed {p} again"))
        assert rec.attach(store) >= 1
    inc = max(incidents, key=lambda i: i.rounds)
    iid = store.incident_id_for(inc.id)
    manifest = json.loads((tmp_path / "clips" / f"{inc.id}.clips.json").read_text())
    written = {c["file"]: c["sha256"] for c in manifest["clips"]}
    stored = {Path(c["path"]).name: c["sha256"] for c in store.audio_clips(iid)}
    assert stored == written
    assert all(ok for _, ok in store.verify_audio(iid))       # and they are the files' digests


def test_console_plays_the_recorded_clip_with_markers(delivered, tmp_path):
    feed, events = delivered
    store, rec, incidents = _run(feed, events, tmp_path)
    rec.attach(store)
    inc = max(incidents, key=lambda i: i.rounds)
    clip = clip_for(inc, store)
    assert clip.source.startswith("sensor audio (") and "MISMATCH" not in clip.source
    assert len(clip.markers_s) == inc.rounds and 0.9 <= clip.markers_s[0] <= 1.1
    i = int(clip.markers_s[0] * clip.rate_hz)
    loud = np.max(np.abs(clip.samples[i:i + clip.rate_hz // 50]))
    quiet = np.sqrt(np.mean(clip.samples[: clip.rate_hz // 2] ** 2))
    assert loud > 10 * quiet, "the marker sits on the recorded shot"
    # tampering shows, the audio still plays
    first = store.get_incident(store.incident_id_for(inc.id)).audio_clips[0]
    assert clip.source == f"sensor audio ({first['sensor_id']})"      # the best sensor's clip comes first
    with open(first["path"], "r+b") as fh:
        fh.seek(-10, 2)
        fh.write(b"\0" * 10)
    again = clip_for(inc, store).source   # either flagged, or (undecodable) the next sensor's clip
    assert again != f"sensor audio ({first['sensor_id']})"
    assert "MISMATCH" in again or again.startswith("sensor audio (")
    # no store, or an incident without clips: the stand-in
    assert clip_for(inc).source == "synthetic stand-in"


def test_bad_upload_is_skipped(delivered):
    feed, events = delivered
    clip = next(e.clip for e in events if isinstance(e, AudioEvent))
    assert decode_clip(clip).samples.dtype == np.float32
    rec = LiveClipRecorder(feed.sensors, 343.0, "/nonexistent")
    from dataclasses import replace
    rec.add(replace(clip, encoding="mp3"))
    assert rec.covering(next(iter([]), None) or _dummy(feed)) == ([], {})


def _dummy(feed):
    from localization.types import Ellipse, Incident, Shot

    s = feed.sensors[0]
    shot = Shot(10**18, s.x_m, s.y_m, 5.0, Ellipse(5, 5, 0), (s.id,), (None,), (0.0,), 0.0)
    return Incident("X", "single_gunshot", (), (shot,), (0,), s.x_m, s.y_m, 5.0)


def test_an_alerts_stand_in_is_looked_at_again_only_while_audio_can_still_come(delivered):
    """Sensor audio is kept ``KEEP_S`` for incidents to claim: until then the console looks
    for recorded audio again behind a stand-in; after, the stand-in is final."""
    from app.audio.live_clips import KEEP_S
    from app.console_services.clips import may_still_get_audio

    inc = _dummy(delivered[0])
    assert may_still_get_audio(inc, inc.end_ns + int(1e9))
    assert may_still_get_audio(inc, inc.end_ns + int(KEEP_S * 1e9))
    assert not may_still_get_audio(inc, inc.end_ns + int(KEEP_S * 1e9) + 1)
