"""From located shots to incidents: grouping, rounds, shooters, movement and tags.

Grouping keeps a mobile shooter's shots together and simultaneous incidents a few
blocks apart separate: a shot joins an open incident when it is within
``join_radius_m + max_vehicle_speed_mps·Δt`` of one of its recent shots and less than
``gap_s`` after its last one.

``describe`` turns a list of shots into what the dispatcher reads out: shooters
(spatial clusters of shots), a moving shooter's speed and heading (a straight-line
track that explains the shots far better than a fixed point), cadence tags and the
kind.  It is a pure function, tested on its own.

``audio_verdict`` adds what the pulses' audio says: when the sensors' detectors sent
shape features with their pulses, the incident's gunfire probability (pulse shape over
all sensors and rounds, and the cadence of the rounds — ``localization.audio.classify``)
turns an incident below the gunfire threshold into ``possible_gunfire`` and marks a
clearly non-gunfire one ``probable_fireworks`` / ``non_gunfire`` for review.  It is kept
and emitted either way: the engine never drops an incident on the audio's word.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from localization.audio.classify import GUNFIRE_THRESHOLD, Verdict, verdict_from_logits
from localization.geometry import bearing_deg
from localization.types import REVIEW_LABELS, Incident, Shot


@dataclass(frozen=True, slots=True)
class IncidentParams:
    gap_s: float = 30.0
    join_radius_m: float = 175.0
    max_vehicle_speed_mps: float = 25.0
    shooter_radius_m: float = 12.0
    min_mobile_speed_mps: float = 2.0
    #: A car at 5 m/s (11 mph) covers 10 m in the two seconds three rounds take.
    min_mobile_track_m: float = 10.0
    #: A shorter track (down to this) counts when at least ``short_track_min_shots`` shots
    #: lie on it: more shots on one line cannot be scatter about one place.
    min_short_track_m: float = 6.0
    short_track_min_shots: int = 4
    #: A lone round apart from a shooter's cluster is another shooter's when heard by this
    #: many sensors and located within this (95 %); otherwise it joins the nearest cluster.
    lone_shooter_min_sensors: int = 5
    lone_shooter_max_err95_m: float = 1.0
    full_auto_rounds_per_s: float = 7.0
    high_capacity_rounds: int = 15
    possible_err95_m: float = 25.0
    possible_rms_ms: float = 20.0


@dataclass(frozen=True, slots=True)
class Description:
    kind: str
    tags: tuple[str, ...]
    shooter_of_shot: tuple[int, ...]
    x_m: float
    y_m: float
    err95_m: float
    speed_mps: float | None
    heading_deg: float | None


def shot_is_confident(shot: Shot, p: IncidentParams) -> bool:
    return (not shot.low_confidence) and shot.err95_m <= p.possible_err95_m and shot.rms_ms <= p.possible_rms_ms


def describe(shots: list[Shot] | tuple[Shot, ...], p: IncidentParams = IncidentParams()) -> Description:
    """Classify a time-ordered, non-empty list of shots from one incident."""
    if not shots:
        raise ValueError("an incident needs at least one shot")
    n = len(shots)
    xy = np.array([[s.x_m, s.y_m] for s in shots])
    t = np.array([s.t_ns for s in shots], dtype=np.int64)
    t_s = (t - t[0]) / 1e9
    # ≈ 1-σ radius; a shot without a usable error estimate counts as very uncertain
    sig = np.array([min(max(s.err95_m, 0.5), 1e4) if math.isfinite(s.err95_m) else 1e4 for s in shots]) / 2.45

    tags: list[str] = []
    speed = heading = None
    mobile = _mobile_track(xy, t_s, sig, p)
    if mobile is not None:
        shooter = np.zeros(n, dtype=int)
        speed, heading = mobile
        tags.append("mobile_shooter")
    else:
        shooter = _cluster(xy, sig, p.shooter_radius_m)
        sure = np.array([len(s.sensors) >= p.lone_shooter_min_sensors and s.err95_m <= p.lone_shooter_max_err95_m
                         and not s.low_confidence for s in shots])
        shooter = _absorb_lone_shots(shooter, xy, sure)
    n_shooters = int(shooter.max()) + 1
    if n_shooters >= 2:
        tags.append("multiple_shooters")
    # Cadence per shooter: full-auto when a run of ≥ 3 shots fires faster than the rate.
    per_shooter_rounds = np.bincount(shooter)
    for k in range(n_shooters):
        tk = t_s[shooter == k]
        if len(tk) >= 3:
            gaps = np.diff(tk)
            # Three consecutive rounds (two gaps) both faster than the full-auto rate.
            if np.any(np.maximum(gaps[:-1], gaps[1:]) <= 1.0 / p.full_auto_rounds_per_s):
                tags.append("full_auto")
                break
    if per_shooter_rounds.max() >= p.high_capacity_rounds:
        tags.append("high_capacity")

    confident = [shot_is_confident(s, p) for s in shots]
    if not any(confident):
        kind = "possible_gunfire"
    elif n == 1:
        kind = "single_gunshot"
    else:
        kind = "multiple_gunshots"

    if mobile is not None:
        x, y, err = shots[-1].x_m, shots[-1].y_m, shots[-1].err95_m
    else:
        first = shooter == 0
        w = 1.0 / sig[first] ** 2
        x = float(np.sum(xy[first, 0] * w) / w.sum())
        y = float(np.sum(xy[first, 1] * w) / w.sum())
        err = float(np.median([min(s.err95_m, 1e4) for s, f in zip(shots, first) if f]))
    order = ("multiple_shooters", "mobile_shooter", "full_auto", "high_capacity")
    return Description(
        kind=kind,
        tags=tuple(tg for tg in order if tg in tags),
        shooter_of_shot=tuple(int(k) for k in shooter),
        x_m=float(x),
        y_m=float(y),
        err95_m=float(err),
        speed_mps=None if speed is None else float(speed),
        heading_deg=None if heading is None else float(heading),
    )


def _cluster(xy: np.ndarray, sig: np.ndarray, radius_m: float) -> np.ndarray:
    """Single-linkage clusters; labels numbered in order of each cluster's first shot."""
    n = len(xy)
    label = -np.ones(n, dtype=int)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    thr = np.maximum(radius_m, 3.0 * np.sqrt(sig[:, None] ** 2 + sig[None, :] ** 2))
    linked = d <= thr
    nxt = 0
    for i in range(n):
        if label[i] >= 0:
            continue
        stack = [i]
        label[i] = nxt
        while stack:
            j = stack.pop()
            for k in np.flatnonzero(linked[j] & (label < 0)):
                label[k] = nxt
                stack.append(k)
        nxt += 1
    return label


def _absorb_lone_shots(label: np.ndarray, xy: np.ndarray, sure: np.ndarray) -> np.ndarray:
    """A shooter is a place fired from more than once: a lone shot apart from the others
    (often one badly located round) joins the nearest multi-shot cluster — unless it is
    ``sure`` (well heard and tightly located: a shooter who fired once).  Labels are
    renumbered in order of first shot."""
    counts = np.bincount(label)
    multi = np.flatnonzero(counts >= 2)
    if len(multi) == 0 or len(multi) == len(counts):
        return label
    out = label.copy()
    centres = np.array([xy[label == k].mean(axis=0) for k in multi])
    for i in np.flatnonzero((counts[label] == 1) & ~sure):
        out[i] = multi[int(np.argmin(np.hypot(*(centres - xy[i]).T)))]
    _, first = np.unique(out, return_index=True)
    order = np.argsort(first)
    remap = np.empty(out.max() + 1, dtype=int)
    remap[np.unique(out)[order]] = np.arange(len(order))
    return remap[out]


def _mobile_track(xy: np.ndarray, t_s: np.ndarray, sig: np.ndarray, p: IncidentParams):
    """(speed_mps, heading_deg) when a constant-velocity track explains the shots, else None."""
    n = len(xy)
    if n < 3:
        return None
    span = t_s[-1] - t_s[0]
    if span <= 0.2:
        return None
    w = 1.0 / sig**2
    tm = np.sum(w * t_s) / w.sum()
    A = np.stack([np.ones(n), t_s - tm], axis=1)
    Aw = A * np.sqrt(w)[:, None]
    coef, *_ = np.linalg.lstsq(Aw, xy * np.sqrt(w)[:, None], rcond=None)
    v = coef[1]
    speed = float(np.hypot(v[0], v[1]))
    track_m = speed * span
    min_track = p.min_mobile_track_m if n < p.short_track_min_shots else p.min_short_track_m
    if speed < p.min_mobile_speed_mps or track_m < max(min_track, 4.0 * float(np.median(sig))):
        return None
    # Misfits weighted like the fit: a round located only roughly (three sensors, a wide
    # ellipse) may lie metres off the track without making it a different shooter.
    resid_lin = xy - A @ coef
    centre = np.sum(xy * w[:, None], axis=0) / w.sum()
    resid_fix = xy - centre
    rms_lin = float(np.sqrt(np.sum(w * np.sum(resid_lin**2, axis=1)) / w.sum()))
    rms_fix = float(np.sqrt(np.sum(w * np.sum(resid_fix**2, axis=1)) / w.sum()))
    if rms_lin > max(4.0, 3.0 * float(np.median(sig))) or rms_lin > 0.35 * rms_fix:
        return None
    # Shots must progress along the track (no back-and-forth between two places) — by
    # more than the two shots' errors allow.
    o = np.argsort(t_s)
    along = ((xy - centre) @ (v / speed))[o]
    slack = np.maximum(6.0, 3.0 * np.hypot(sig[o][1:], sig[o][:-1]))
    if np.any(np.diff(along) < -slack):
        return None
    return speed, float(bearing_deg(v[0], v[1]))


@dataclass(frozen=True, slots=True)
class AudioVerdict:
    """What the audio changes on an incident: its kind, gunfire probability, review label, note."""

    kind: str
    gunfire_p: float
    review_label: str | None
    note: str


def measured_height(shots: Sequence[Shot]) -> float | None:
    """The median measured source height above ground (m) of the shots whose height was
    measured (``Shot.height_m``); None when none was."""
    h = [s.height_m for s in shots if s.height_m is not None]
    return float(np.median(h)) if h else None


def audio_verdict(kind: str, shots: list[Shot] | tuple[Shot, ...], pulse_logits: np.ndarray, *,
                  height_m: float | None = None) -> AudioVerdict:
    """Apply the audio classifier to an incident described as ``kind``.

    ``pulse_logits``: the pulse model's gunfire log-odds of every pulse of the incident's
    shots that carried detector features (``localization.audio.classify.pulse_logits``),
    shape (n,), n ≥ 1.  ``height_m``: the source height above ground when it was measured
    (``measured_height``), None when the shots were located at ground level.
    """
    times = [(s.t_ns - shots[0].t_ns) / 1e9 for s in shots]
    v: Verdict = verdict_from_logits(pulse_logits, times, height_m=height_m)
    review = v.label if v.label in REVIEW_LABELS else None
    new_kind = kind if v.probability >= GUNFIRE_THRESHOLD else "possible_gunfire"
    words = {"gunfire": "gunfire", "possible_gunfire": "possible gunfire",
             "probable_fireworks": "probable fireworks — review", "non_gunfire": "not gunfire — review"}[v.label]
    note = f"audio: gunfire probability {v.probability:.2f}, {words} ({'; '.join(v.reasons)})"
    return AudioVerdict(new_kind, v.probability, review, note)


class IncidentTracker:
    """Open incidents, their shots, and the grouping rule."""

    def __init__(self, params: IncidentParams, id_prefix: str = "INC") -> None:
        self.p = params
        self._open: dict[str, list[Shot]] = {}
        self._revision: dict[str, int] = {}
        self._logits: dict[str, list[float]] = {}
        self._counter = 0
        self._prefix = id_prefix

    def add(self, shot: Shot, pulse_logits: np.ndarray | None = None) -> str:
        """Put a shot into an incident (new or existing); returns the incident id.

        ``pulse_logits``: gunfire log-odds of the shot's pulses that carried detector
        features (see ``audio_verdict``); None or empty when none did."""
        best, best_d = None, math.inf
        for iid, shots in self._open.items():
            last = shots[-1].t_ns
            if abs(shot.t_ns - last) / 1e9 > self.p.gap_s and shot.t_ns > last:
                continue
            for s in shots[-12:]:
                dt = abs(shot.t_ns - s.t_ns) / 1e9
                d = math.hypot(shot.x_m - s.x_m, shot.y_m - s.y_m)
                slack = d - (self.p.join_radius_m + self.p.max_vehicle_speed_mps * dt)
                if slack <= 0 and d < best_d:
                    best, best_d = iid, d
        if best is None:
            self._counter += 1
            best = f"{self._prefix}-{self._counter:06d}"
            self._open[best] = []
            self._revision[best] = -1
            self._logits[best] = []
        if pulse_logits is not None:
            self._logits[best].extend(float(v) for v in np.asarray(pulse_logits, float).reshape(-1))
        shots = self._open[best]
        shots.append(shot)
        shots.sort(key=lambda s: s.t_ns)
        return best

    def snapshot(self, iid: str) -> Incident:
        """The incident as it stands now, with its revision number bumped."""
        shots = tuple(self._open[iid])
        d = describe(shots, self.p)
        self._revision[iid] += 1
        kind, gunfire_p, review, notes = d.kind, None, None, ()
        height = measured_height(shots)
        if self._logits[iid]:
            a = audio_verdict(d.kind, shots, np.array(self._logits[iid]), height_m=height)
            kind, gunfire_p, review, notes = a.kind, a.gunfire_p, a.review_label, (a.note,)
        if height is not None:
            notes += (f"height: source {height:.0f} m above ground — an aerial firework shell, "
                      "or a shooter high in a building",)
        return Incident(
            id=iid,
            kind=kind,  # type: ignore[arg-type]
            tags=d.tags,  # type: ignore[arg-type]
            shots=shots,
            shooter_of_shot=d.shooter_of_shot,
            x_m=d.x_m,
            y_m=d.y_m,
            err95_m=d.err95_m,
            speed_mps=d.speed_mps,
            heading_deg=d.heading_deg,
            revision=self._revision[iid],
            notes=notes,
            gunfire_p=gunfire_p,
            review_label=review,  # type: ignore[arg-type]
        )

    def close_before(self, t_ns: int) -> list[str]:
        """Close incidents whose last shot is older than ``t_ns``; returns their ids."""
        done = [iid for iid, shots in self._open.items() if shots[-1].t_ns < t_ns]
        for iid in done:
            del self._open[iid]
            del self._revision[iid]
            del self._logits[iid]
        return done
