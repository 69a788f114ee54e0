"""Incident clips: ±1 s window, best sensors first, markers, SHA-256 manifest."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from app.audio.clips import verify_clips, write_incident_clips
from app.fileutil import sha256_file
from app.audio.wav_io import Recording
from localization.audio import synthesize, gunfire


def _recordings(tmp_path):
    sensors = [[0, 0, 10], [150, 0, 10], [600, 300, 10]]
    ev = gunfire(50.0, 20.0, 3_000_000_000, rounds=2, rng=np.random.default_rng(1))
    a = synthesize(sensors, ev, start_ns=1_000_000_000, duration_s=8.0, seed=1, sample_rate_hz=12000)
    recs = [Recording(tmp_path / f"s{i}.wav", a.samples[i].astype(float), 12000, a.start_ns, f"S{i}") for i in range(3)]
    arrivals = {f"S{i}": [x.t_ns for x in a.arrivals if x.sensor_index == i] for i in range(3)}
    return recs, arrivals, [e.t_ns for e in ev]


@pytest.mark.parametrize("fmt", ["flac", "wav"])
def test_clips_window_markers_and_hashes(tmp_path, fmt):
    recs, arrivals, shots = _recordings(tmp_path)
    clips, manifest = write_incident_clips("INC-1", shots, recs, tmp_path / "out", arrivals_ns=arrivals,
                                           max_sensors=2, fmt=fmt)
    assert len(clips) == 2 and {c.sensor for c in clips} <= {"S0", "S1", "S2"}
    assert clips[0].snr_db >= clips[1].snr_db
    for c in clips:
        data, sr = sf.read(c.path)
        assert sr == 12000 and c.path.suffix == f".{fmt}"
        marks = arrivals[c.sensor]
        assert c.markers_s[0] == pytest.approx(1.0, abs=1e-3)
        assert len(data) / sr == pytest.approx((marks[-1] - marks[0]) / 1e9 + 2.0, abs=2e-3)
        assert c.sha256 == sha256_file(c.path)
    doc = json.loads(manifest.read_text())
    assert doc["clips"][0]["markers"][0]["label"] == "shot 1"
    assert verify_clips(manifest) == []
    clips[0].path.write_bytes(clips[0].path.read_bytes()[:-10])
    assert verify_clips(manifest) == [f"{clips[0].path.name}: SHA-256 mismatch"]


def test_clip_argument_errors(tmp_path):
    recs, _, shots = _recordings(tmp_path)
    with pytest.raises(ValueError, match="fmt"):
        write_incident_clips("I", shots, recs, tmp_path, fmt="mp3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one shot"):
        write_incident_clips("I", [], recs, tmp_path)
