"""Audio clip for an incident: shots ±1 s (the industry convention), with shot markers.

Plays the incident's real sensor clip when the store has one (written for live incidents
by ``app.audio.live_clips``; the first registered clip is the best sensor's), its markers
from the clip manifest and its SHA-256 checked against the record.  Otherwise it renders
a stand-in: a seeded noise floor with a decaying muzzle-blast impulse and its echo at
each shot time, so the waveform, markers and playback can be exercised before real audio.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from localization.types import Incident

if TYPE_CHECKING:  # pragma: no cover
    from app.store import Store

log = logging.getLogger(__name__)

STAND_IN = "synthetic stand-in"
"""``Clip.source`` of a rendered stand-in (no sensor audio recorded yet)."""


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
    return Clip(x, rate_hz, start_ns, tuple(markers), tuple(incident.shooter_of_shot), STAND_IN)


def stored_clip(incident: Incident, store: Store) -> Clip | None:
    """The incident's recorded sensor clip (the best sensor's), or None when it has none
    or the file is gone.  A file that no longer matches its recorded SHA-256 still plays,
    but says so in ``source``."""
    from app.store import NotFoundError

    try:
        rows = store.audio_clips(store.incident_id_for(incident.id))
    except NotFoundError:
        return None
    for row in rows:
        path = Path(row["path"])
        if not path.is_file():
            continue
        import soundfile as sf

        try:
            raw = path.read_bytes()  # read once: decoded and hashed
            data, rate = sf.read(io.BytesIO(raw), dtype="float32", always_2d=True)
        except (RuntimeError, OSError) as exc:  # soundfile raises RuntimeError subclasses
            log.warning("audio clip %s unreadable: %s", path, exc)
            continue
        intact = hashlib.sha256(raw).hexdigest() == row["sha256"]
        start_ns = int(row["start_ns"]) if row["start_ns"] is not None else incident.start_ns - int(PAD_S * 1e9)
        markers = _manifest_markers(path) or tuple((s.t_ns - start_ns) / 1e9 for s in incident.shots)
        sensor = row["sensor_id"] or "?"
        source = f"sensor audio ({sensor})" if intact else f"sensor audio ({sensor}) — SHA-256 MISMATCH"
        return Clip(np.ascontiguousarray(data[:, 0]), int(rate), start_ns, markers,
                    tuple(incident.shooter_of_shot), source)
    return None


def _manifest_markers(path: Path) -> tuple[float, ...] | None:
    """Shot markers of a clip file from the ``*.clips.json`` manifest beside it."""
    parts = path.name.split(".")   # <incident>.<sensor>.<ext>; either may hold dots
    for k in range(len(parts) - 2, 0, -1):
        manifest = path.with_name(".".join(parts[:k]) + ".clips.json")
        if not manifest.is_file():
            continue
        try:
            doc = json.loads(manifest.read_text())
        except (OSError, ValueError):
            return None
        for c in doc.get("clips", []):
            if c.get("file") == path.name:
                return tuple(float(m["offset_s"]) for m in c.get("markers", []))
    return None


def recorded_clip(incident: Incident, store: Store) -> Clip | None:
    """``stored_clip``, with any failure logged as no clip: no audio must never stop the console."""
    try:
        return stored_clip(incident, store)
    except Exception:  # noqa: BLE001
        log.exception("stored audio of incident %s could not be loaded", incident.id)
        return None


def may_still_get_audio(incident: Incident, now_ns: int) -> bool:
    """Whether recorded sensor audio can still be attached to ``incident`` (the live recorder
    keeps sensor audio ``KEEP_S`` for incidents to claim): after that a stand-in is final."""
    from app.audio.live_clips import KEEP_S

    return now_ns - incident.end_ns <= KEEP_S * 1e9


def clip_for(incident: Incident, store: Store | None = None) -> Clip:
    """The clip the console shows: the recorded one when ``store`` has it, else a stand-in."""
    clip = recorded_clip(incident, store) if store is not None else None
    return clip if clip is not None else synthetic_clip(incident)
