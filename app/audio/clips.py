"""Incident audio clips: the best sensors' audio from 1 s before the first shot to 1 s after
the last, written with soundfile (FLAC by default, WAV on request), each clip's SHA-256
recorded next to it so evidence integrity can be shown later.

Layout for incident ``ID`` in ``out_dir``::

    ID.<sensor>.flac        one clip per chosen sensor (16-bit PCM)
    ID.clips.json           manifest: per clip file, sensor, UTC start, sample rate,
                            duration, shot markers (s from clip start), SNR, distance, sha256

``verify_clips(manifest)`` re-hashes the files and lists any that changed or vanished.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Mapping, Protocol, Sequence

import numpy as np
import soundfile as sf

from app.audio.wav_io import format_utc_ns
from app.fileutil import sha256_file

ClipFormat = Literal["flac", "wav"]
MANIFEST_FORMAT = "tocsin-incident-clips/1"


class AudioSource(Protocol):
    """Anything with a sensor's samples and their UTC start (``Recording`` fits)."""

    sensor_id: str | None
    samples: np.ndarray
    sample_rate_hz: int
    start_ns: int | None


@dataclass(frozen=True, slots=True)
class ClipInfo:
    path: Path
    sensor: str
    start_ns: int
    sample_rate_hz: int
    duration_s: float
    markers_s: tuple[float, ...]
    sha256: str
    snr_db: float | None
    distance_m: float | None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "x"


def _window_snr_db(src: AudioSource, t_ns: Sequence[int]) -> float:
    """Peak in ±50 ms around the marks over the RMS of the 0.5 s before the first."""
    x = np.asarray(src.samples, float)
    sr = src.sample_rate_hz
    idx = [int(round((t - (src.start_ns or 0)) * 1e-9 * sr)) for t in t_ns]
    peaks = [np.max(np.abs(x[max(0, i - sr // 20) : i + sr // 20]), initial=0.0) for i in idx]
    i0 = min(idx)
    noise = x[max(0, i0 - sr // 2) : max(0, i0 - sr // 50)]
    rms = float(np.sqrt(np.mean(noise**2))) if len(noise) else 1e-6
    return float(20 * np.log10(max(max(peaks, default=0.0), 1e-9) / max(rms, 1e-9)))


def write_incident_clips(
    incident_id: str,
    shot_times_ns: Sequence[int],
    sources: Sequence[AudioSource],
    out_dir: str | Path,
    *,
    arrivals_ns: Mapping[str, Sequence[int]] | None = None,
    snr_db: Mapping[str, float] | None = None,
    distance_m: Mapping[str, float] | None = None,
    max_sensors: int = 3,
    fmt: ClipFormat = "flac",
    pre_s: float = 1.0,
    post_s: float = 1.0,
) -> tuple[list[ClipInfo], Path]:
    """Write clips from the best ``max_sensors`` sources; return them and the manifest path.

    ``arrivals_ns[sensor]`` are the shots' arrival times at that sensor (markers and
    window); without them the shot times themselves are used.  Sensors are ranked by
    ``snr_db`` (highest first), then ``distance_m`` (closest first); SNR is measured from
    the audio when not given.  Sources without audio over the window are skipped.
    """
    if fmt not in ("flac", "wav"):
        raise ValueError(f"fmt must be 'flac' or 'wav', got {fmt!r}")
    if not shot_times_ns:
        raise ValueError("an incident needs at least one shot time")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ranked = []
    for src in sources:
        if not src.sensor_id or src.start_ns is None or len(src.samples) == 0:
            continue
        marks = sorted(int(t) for t in (arrivals_ns or {}).get(src.sensor_id, shot_times_ns))
        end_ns = src.start_ns + int(len(src.samples) / src.sample_rate_hz * 1e9)
        if marks[-1] < src.start_ns or marks[0] > end_ns:
            continue
        snr = (snr_db or {}).get(src.sensor_id)
        if snr is None:
            snr = _window_snr_db(src, marks)
        dist = (distance_m or {}).get(src.sensor_id)
        ranked.append((-snr, dist if dist is not None else np.inf, src.sensor_id, src, marks, snr, dist))
    ranked.sort(key=lambda r: (r[0], r[1], r[2]))
    clips: list[ClipInfo] = []
    for _, _, sensor, src, marks, snr, dist in ranked[:max_sensors]:
        sr = src.sample_rate_hz
        i0 = int(np.floor((marks[0] - pre_s * 1e9 - src.start_ns) * 1e-9 * sr))
        i1 = int(np.ceil((marks[-1] + post_s * 1e9 - src.start_ns) * 1e-9 * sr))
        i0, i1 = max(0, i0), min(len(src.samples), i1)
        data = np.clip(np.asarray(src.samples[i0:i1], dtype=np.float64), -1.0, 1.0)
        start_ns = src.start_ns + int(round(i0 / sr * 1e9))
        path = out / f"{_safe(incident_id)}.{_safe(sensor)}.{fmt}"
        sf.write(str(path), data, sr, format=fmt.upper(), subtype="PCM_16")
        markers = tuple(round((t - start_ns) * 1e-9, 6) for t in marks)
        clips.append(ClipInfo(path, sensor, start_ns, sr, len(data) / sr, markers, sha256_file(path),
                              None if snr is None else round(float(snr), 2), dist))
    manifest = out / f"{_safe(incident_id)}.clips.json"
    doc = {
        "format": MANIFEST_FORMAT,
        "incident": incident_id,
        "shot_times_utc": [format_utc_ns(t) for t in sorted(shot_times_ns)],
        "clips": [
            {"file": c.path.name, "sensor": c.sensor, "start_utc": format_utc_ns(c.start_ns), "start_ns": c.start_ns,
             "sample_rate_hz": c.sample_rate_hz, "duration_s": round(c.duration_s, 6), "format": fmt,
             "markers": [{"label": f"shot {k + 1}", "offset_s": m} for k, m in enumerate(c.markers_s)],
             "snr_db": c.snr_db, "distance_m": c.distance_m, "sha256": c.sha256}
            for c in clips
        ],
    }
    manifest.write_text(json.dumps(doc, indent=1) + "\n")
    return clips, manifest


def verify_clips(manifest: str | Path) -> list[str]:
    """Problems found re-hashing a manifest's clips (empty list: all intact)."""
    m = Path(manifest)
    doc = json.loads(m.read_text())
    problems = []
    for c in doc.get("clips", []):
        p = m.parent / c["file"]
        if not p.is_file():
            problems.append(f"{c['file']}: missing")
        elif sha256_file(p) != c["sha256"]:
            problems.append(f"{c['file']}: SHA-256 mismatch")
    return problems
