"""Reading sensor recordings: samples, sample rate, the UTC time of the first sample and
which sensor made them.

ShotSpotter sensor WAVs carry an extra RIFF chunk ``smj0`` holding zlib-compressed JSON
(serial number, latitude/longitude/elevation, ``startTimeUTC``, weather, microphone full
scale).  The Pittsburgh live-fire release instead puts the start time in a JSON file next
to the WAV (``test_xxx.audio.<serial>.json``, field ``timestamp``).  Both are read here.
"""
from __future__ import annotations

from app.timeutil import parse_utc_ns  # noqa: F401  (re-exported for callers)

import json
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf


class AudioFileError(ValueError):
    """A recording that cannot be used, with a message a user can act on."""


@dataclass(frozen=True)
class Recording:
    """One sensor's samples (float64 in [-1, 1], mono) and what is known about them.

    ``start_ns`` is the UTC time of the first sample (ns since the epoch) or None when the
    file does not say; ``full_scale_db`` the dB SPL of a full-scale sample when known.
    """

    path: Path
    samples: np.ndarray
    sample_rate_hz: int
    start_ns: int | None
    sensor_id: str | None
    full_scale_db: float | None = None
    latitude_deg: float | None = None
    longitude_deg: float | None = None
    elevation_m: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate_hz




def format_utc_ns(t_ns: int) -> str:
    """Integer ns since the epoch → ``YYYY-MM-DDTHH:MM:SS.fffffffffZ``."""
    sec, frac = divmod(int(t_ns), 1_000_000_000)
    dt = datetime.fromtimestamp(sec, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def riff_chunks(path: str | Path) -> dict[str, bytes]:
    """The top-level chunks of a RIFF/WAVE file, by id (first occurrence wins).

    Raises AudioFileError when the file is not RIFF/WAVE.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise AudioFileError(f"cannot read {p}: {exc.strerror or exc}") from exc
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFileError(f"{p} is not a RIFF/WAVE file")
    chunks: dict[str, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        cid = data[pos : pos + 4].decode("latin-1")
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        chunks.setdefault(cid, data[pos + 8 : pos + 8 + size])
        pos += 8 + size + (size & 1)
    return chunks


def read_smj0(path: str | Path) -> dict[str, Any] | None:
    """The decoded ``smj0`` metadata of a ShotSpotter WAV, or None when the file has none."""
    raw = riff_chunks(path).get("smj0")
    if raw is None:
        return None
    try:
        return json.loads(zlib.decompress(raw))
    except (zlib.error, ValueError) as exc:
        raise AudioFileError(f"{path}: smj0 chunk is not zlib-compressed JSON ({exc})") from exc


def _sidecar_metadata(p: Path) -> dict[str, Any] | None:
    side = p.with_suffix(".json")
    if not side.is_file():
        return None
    try:
        meta = json.loads(side.read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def read_recording(path: str | Path) -> Recording:
    """Read a mono sensor recording and whatever metadata it carries.

    Metadata sources, in order: the ``smj0`` chunk; a JSON sidecar with the same stem
    (``serial_number`` and ``timestamp`` as in the Pittsburgh release, or ``sensor`` /
    ``start_utc`` as written by Tocsin's own clip writer).  Multi-channel files use channel 0.
    """
    p = Path(path)
    if not p.exists():
        raise AudioFileError(f"{p}: no such file")
    try:
        samples, rate = sf.read(str(p), dtype="float64", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:  # type: ignore[attr-defined]
        raise AudioFileError(f"{p} is not a readable audio file ({exc})") from exc
    samples = np.ascontiguousarray(samples[:, 0])
    meta: dict[str, Any] = {}
    start_ns = sensor = full_scale = lat = lon = elev = None
    smj = None
    if p.suffix.lower() == ".wav":
        try:
            smj = read_smj0(p)
        except AudioFileError:
            smj = None
    if smj:
        meta = smj
        if smj.get("startTimeUTC"):
            start_ns = parse_utc_ns(str(smj["startTimeUTC"]))
        sensor = smj.get("serialNumber") or smj.get("friendlyName")
        geo = smj.get("geolocation") or {}
        lat, lon, elev = geo.get("latitude"), geo.get("longitude"), geo.get("elevation")
        for tr in smj.get("transducers") or []:
            if tr.get("channel", 0) == 0 and tr.get("fullScale") is not None:
                full_scale = float(tr["fullScale"])
                break
    else:
        side = _sidecar_metadata(p)
        if side:
            meta = side
            ts = side.get("timestamp") or side.get("start_utc")
            if ts:
                start_ns = parse_utc_ns(str(ts))
            elif side.get("start_ns") is not None:
                start_ns = int(side["start_ns"])
            sensor = side.get("serial_number") or side.get("sensor")
            if side.get("full_scale_db") is not None:
                full_scale = float(side["full_scale_db"])
    return Recording(
        path=p,
        samples=samples,
        sample_rate_hz=int(rate),
        start_ns=start_ns,
        sensor_id=str(sensor) if sensor else None,
        full_scale_db=full_scale,
        latitude_deg=lat,
        longitude_deg=lon,
        elevation_m=elev,
        metadata=meta,
    )
