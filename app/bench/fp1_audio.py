"""Shared loading for the audio benchmarks: Pittsburgh FP1 recordings with ShotSpotter's
reported pulses for the same sensors.

Matching rule (used by ``bench detect`` and ``bench classify``): a reported *gunshot*
pulse (one listed in ``nlos-tuples.json``) is *found* when one of our onsets on the same
sensor's recording lies within ±``MATCH_MS`` of its reported arrival time; the nearest
onset is taken and Δt = ours − theirs.  Their times are UTC with 1 ms resolution.
Reported pulses that fall where the recording is digital silence (a gap in the released
audio) cannot be found by any detector; they are counted separately.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.audio.wav_io import Recording, parse_utc_ns, read_recording
from localization.audio.onset import Detection, detect_impulses

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PITTSBURGH = PROJECT_ROOT.parent / "shared" / "data" / "pittsburgh-live-fire" / "data" / "PittsburghPA_DQV_2018-12-18"
MATCH_MS = 10.0
FULL_SCALE_DB = 93.09


@dataclass
class ReportedPulse:
    uuid: str
    sensor: str
    t_ns: int
    snr_db: float
    peak_db: float
    xyz_m: tuple[float, float, float]
    shot_index: int | None  # None: not in ShotSpotter's gunshot tuples


@dataclass
class TestAudio:
    test: str
    firing_position: str
    rounds: int
    survey_xyz_m: tuple[float, float, float]
    temperature_c: float | None
    reported: list[ReportedPulse]
    recordings: list[Recording]
    detections: dict[str, list[Detection]]


def load_tests(root: Path, position: str = "FP1") -> list[TestAudio]:
    d = Path(root) / position
    if not d.is_dir():
        raise FileNotFoundError(f"Pittsburgh data not found at {d}")
    out = []
    for tdir in sorted(p for p in d.iterdir() if p.is_dir()):
        t = tdir.name
        survey = json.loads((tdir / f"{t}.survey.json").read_text())
        loc = survey["survey_location"]
        allp = json.loads((tdir / f"{t}.allpulses.json").read_text())
        tuples = json.loads((tdir / f"{t}.nlos-tuples.json").read_text())
        shot_of = {u: s["shot_index"] for s in tuples for u in s["pulse_uuids"]}
        rep = [ReportedPulse(p["pulse_uuid"], p["serial_number"], parse_utc_ns(p["arrival_time_utc"]),
                             float(p["signal_to_noise_dB"]), float(p["power_dB_SPL"]),
                             (p["location"]["x"], p["location"]["y"], p["location"]["z"]), shot_of.get(p["pulse_uuid"]))
               for p in allp]
        weather = tdir / f"{t}.weather.json"
        temp = json.loads(weather.read_text()).get("temperature") if weather.is_file() else None
        recs = [read_recording(w) for w in sorted(tdir.glob("*.wav"))]
        dets = {r.sensor_id or "": detect_impulses(r.samples, r.sample_rate_hz, full_scale_db=FULL_SCALE_DB) for r in recs}
        out.append(TestAudio(t, position, int(survey["num_rounds"]), (loc["x"], loc["y"], loc["z"]), temp, rep, recs, dets))
    return out


def in_silence(rec: Recording, t_ns: int) -> bool:
    """True when the recording holds only digital silence (or nothing) ±20 ms around t_ns."""
    i = int(round((t_ns - (rec.start_ns or 0)) * 1e-9 * rec.sample_rate_hz))
    w = rec.samples[max(0, i - int(0.02 * rec.sample_rate_hz)) : i + int(0.02 * rec.sample_rate_hz)]
    return len(w) == 0 or not np.any(w)


def match(test: TestAudio) -> list[tuple[ReportedPulse, Recording, Detection | None, float | None, bool]]:
    """For every reported gunshot pulse of a sensor with audio: (pulse, recording,
    our nearest detection or None, Δt ms or None, unrecordable)."""
    rows = []
    by_sensor = {r.sensor_id: r for r in test.recordings}
    for p in test.reported:
        if p.shot_index is None or p.sensor not in by_sensor:
            continue
        rec = by_sensor[p.sensor]
        dets = test.detections[p.sensor]
        silent = in_silence(rec, p.t_ns)
        best, dt = None, None
        if dets:
            on = np.array([rec.start_ns + d.onset_s * 1e9 for d in dets])
            k = int(np.argmin(np.abs(on - p.t_ns)))
            if abs(on[k] - p.t_ns) <= MATCH_MS * 1e6:
                best, dt = dets[k], float((on[k] - p.t_ns) / 1e6)
        rows.append((p, rec, best, dt, silent))
    return rows
