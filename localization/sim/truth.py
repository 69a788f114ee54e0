"""Ground truth of a simulation: the shots fired (and decoy bangs) and the incidents they form.

Positions are metres in the site's local east-north-up frame (ground at z = 0);
times are integer UTC nanoseconds (``_ns``) of *emission* at the source.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Weapon = Literal["handgun", "rifle", "shotgun", "firecracker", "aerial_shell"]
WEAPONS: tuple[str, ...] = ("handgun", "rifle", "shotgun", "firecracker", "aerial_shell")
GUNS: tuple[str, ...] = ("handgun", "rifle", "shotgun")

SOURCE_LEVEL_DB: dict[str, tuple[float, float]] = {
    "handgun": (150.0, 158.0),
    "rifle": (156.0, 165.0),
    "shotgun": (153.0, 162.0),
    "firecracker": (140.0, 152.0),
    "aerial_shell": (155.0, 165.0),
}
"""Peak source level range at 1 m (dB SPL) per source type; each bang draws uniformly."""

TruthKind = Literal["single_gunshot", "multiple_gunshots", "non_gunfire"]
Scenario = Literal["single", "string", "gunfight", "mobile", "full_auto", "fireworks", "aerial_shells"]

FULL_AUTO_MIN_RPS = 7.0
HIGH_CAPACITY_MIN_ROUNDS = 15


@dataclass(frozen=True, slots=True)
class TruthShot:
    """One bang: where and when it was emitted.  ``shooter`` is 0-based within its incident,
    numbered in order of first shot.  ``source_db`` is the peak level at 1 m."""

    incident_id: str
    shooter: int
    x_m: float
    y_m: float
    z_m: float
    t_ns: int
    weapon: Weapon
    is_gunfire: bool
    source_db: float


@dataclass(frozen=True, slots=True)
class TruthIncident:
    """What the engine should report for a group of shots.

    ``kind`` is ``single_gunshot`` / ``multiple_gunshots`` for gunfire and ``non_gunfire``
    for decoys (fireworks), which should not raise a gunfire alert.  ``tags`` follow
    :data:`localization.types.INCIDENT_TAGS`.  ``speed_mps`` / ``heading_deg`` (clockwise from
    north) are set for a mobile shooter only.
    """

    id: str
    kind: TruthKind
    tags: tuple[str, ...]
    scenario: Scenario
    rounds: int
    shooters: int
    start_ns: int
    end_ns: int
    is_gunfire: bool
    speed_mps: float | None = None
    heading_deg: float | None = None


@dataclass(frozen=True, slots=True)
class Events:
    """Truth of a simulation: incidents and all their shots, shots sorted by emission time.

    A shot's *index* (its position in ``shots``) is what pulse labels refer to.
    """

    incidents: tuple[TruthIncident, ...]
    shots: tuple[TruthShot, ...]

    @staticmethod
    def combine(*parts: "Events") -> "Events":
        """Merge event sets (incident ids must be unique); shots re-sorted by time (stable)."""
        incidents = tuple(i for p in parts for i in p.incidents)
        ids = [i.id for i in incidents]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"incident ids must be unique across combined events; repeated: {dup[:5]}")
        shots = [s for p in parts for s in p.shots]
        order = np.argsort(np.array([s.t_ns for s in shots], dtype=np.int64), kind="stable")
        return Events(incidents=incidents, shots=tuple(shots[i] for i in order))

    def __add__(self, other: "Events") -> "Events":
        return Events.combine(self, other)

    def incident(self, incident_id: str) -> TruthIncident:
        for inc in self.incidents:
            if inc.id == incident_id:
                return inc
        raise KeyError(incident_id)

    def shot_indices(self) -> dict[str, np.ndarray]:
        """Incident id → indices of its shots in ``shots`` (time order)."""
        out: dict[str, list[int]] = {i.id: [] for i in self.incidents}
        for k, s in enumerate(self.shots):
            out[s.incident_id].append(k)
        return {k: np.asarray(v, dtype=np.int64) for k, v in out.items()}

    def shot_arrays(self) -> dict[str, np.ndarray]:
        """Column arrays of the shots: ``x_m, y_m, z_m`` (float), ``t_ns`` (int64),
        ``source_db`` (float), ``is_gunfire`` (bool), ``shooter`` (int)."""
        s = self.shots
        return {
            "x_m": np.fromiter((v.x_m for v in s), float, len(s)),
            "y_m": np.fromiter((v.y_m for v in s), float, len(s)),
            "z_m": np.fromiter((v.z_m for v in s), float, len(s)),
            "t_ns": np.fromiter((v.t_ns for v in s), np.int64, len(s)),
            "source_db": np.fromiter((v.source_db for v in s), float, len(s)),
            "is_gunfire": np.fromiter((v.is_gunfire for v in s), bool, len(s)),
            "shooter": np.fromiter((v.shooter for v in s), np.int64, len(s)),
        }


def truth_tags(t_ns: np.ndarray, shooter: np.ndarray, *, mobile: bool) -> tuple[str, ...]:
    """Tags a correct engine would give these shots.

    ``full_auto``: some shooter fired ≥ 3 rounds with a median interval ≤ 1/7 s (≥ 7 rounds/s);
    ``high_capacity``: ≥ 15 rounds in the incident; ``multiple_shooters``: ≥ 2 shooters.
    """
    tags = []
    if len(np.unique(shooter)) >= 2:
        tags.append("multiple_shooters")
    if mobile:
        tags.append("mobile_shooter")
    for sh in np.unique(shooter):
        t = np.sort(t_ns[shooter == sh])
        if len(t) >= 3 and np.median(np.diff(t)) * 1e-9 <= 1.0 / FULL_AUTO_MIN_RPS:
            tags.append("full_auto")
            break
    if len(t_ns) >= HIGH_CAPACITY_MIN_ROUNDS:
        tags.append("high_capacity")
    return tuple(tags)
