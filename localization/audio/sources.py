"""Sound sources for synthesis: gunfire and the decoys a detector must not call gunfire.

A ``SourceEvent`` is one impulse emitted at a point and time.  Helpers turn a scenario
line ("3 rounds from a handgun", "a firecracker string") into events with a realistic
cadence.  Each kind has a source signature (level at 1 m and waveform parameters) drawn
from ranges in ``SOURCE_SPECS``; levels are peak dB SPL at 1 m.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

SourceKind = Literal[
    "gunshot", "firecracker", "aerial_shell", "backfire", "nail_gun", "hammer", "door_slam", "balloon_pop"
]
Weapon = Literal["handgun", "rifle", "shotgun"]

SOURCE_KINDS: tuple[str, ...] = (
    "gunshot", "firecracker", "aerial_shell", "backfire", "nail_gun", "hammer", "door_slam", "balloon_pop"
)
DECOY_KINDS: tuple[str, ...] = SOURCE_KINDS[1:]
WEAPONS: tuple[str, ...] = ("handgun", "rifle", "shotgun")


@dataclass(frozen=True, slots=True)
class SourceEvent:
    """One impulse: where (local metres, ``z_m`` above the sensors' datum), when (UTC ns of
    emission), what.  ``level_db`` (peak dB SPL at 1 m) is drawn from the kind's range when
    None.  ``heading_deg`` is the bullet's direction (rifle N-wave), clockwise from north."""

    x_m: float
    y_m: float
    t_ns: int
    kind: str = "gunshot"
    weapon: str | None = "handgun"
    z_m: float = 1.5
    level_db: float | None = None
    heading_deg: float | None = None


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """Ranges a source signature is drawn from (uniform between the pair)."""

    level_db: tuple[float, float]
    positive_ms: tuple[float, float]  # Friedlander positive-phase duration at the source
    rise_ms: tuple[float, float]  # rise time of the front
    ring_hz: tuple[float, float] = (0.0, 0.0)  # damped ringing (0 = none)
    ring_ms: tuple[float, float] = (0.0, 0.0)  # ringing decay time constant
    ring_rel: tuple[float, float] = (0.0, 0.0)  # ringing amplitude relative to the blast


SOURCE_SPECS: dict[str, SourceSpec] = {
    "handgun": SourceSpec((156.0, 164.0), (0.45, 0.75), (0.05, 0.2)),
    "rifle": SourceSpec((159.0, 167.0), (0.3, 0.5), (0.05, 0.15)),
    "shotgun": SourceSpec((158.0, 165.0), (0.5, 0.8), (0.05, 0.2)),
    "firecracker": SourceSpec((138.0, 150.0), (0.12, 0.3), (0.01, 0.05), (2500.0, 4500.0), (1.0, 3.0), (0.2, 0.5)),
    "aerial_shell": SourceSpec((162.0, 172.0), (2.5, 5.0), (0.3, 1.0), (40.0, 90.0), (40.0, 120.0), (0.3, 0.6)),
    "backfire": SourceSpec((140.0, 152.0), (1.6, 3.5), (0.3, 0.8), (80.0, 180.0), (15.0, 40.0), (0.4, 0.8)),
    "nail_gun": SourceSpec((122.0, 132.0), (0.15, 0.3), (0.05, 0.15), (1800.0, 3500.0), (15.0, 40.0), (0.6, 1.2)),
    "hammer": SourceSpec((116.0, 126.0), (0.2, 0.4), (0.1, 0.3), (900.0, 2500.0), (20.0, 60.0), (0.8, 1.5)),
    "door_slam": SourceSpec((108.0, 118.0), (3.0, 6.0), (0.8, 2.0), (50.0, 140.0), (30.0, 80.0), (0.8, 1.4)),
    "balloon_pop": SourceSpec((132.0, 146.0), (0.06, 0.12), (0.005, 0.02), (3000.0, 5000.0), (0.3, 1.0), (0.3, 0.6)),
}


def spec_for(event: SourceEvent) -> SourceSpec:
    if event.kind == "gunshot":
        weapon = event.weapon or "handgun"
        if weapon not in WEAPONS:
            raise ValueError(f"unknown weapon {weapon!r}; expected one of {WEAPONS}")
        return SOURCE_SPECS[weapon]
    if event.kind not in SOURCE_SPECS:
        raise ValueError(f"unknown source kind {event.kind!r}; expected one of {SOURCE_KINDS}")
    return SOURCE_SPECS[event.kind]


# ---------------------------------------------------------------- scenario helpers

def gunfire(
    x_m: float, y_m: float, t_ns: int, *, rounds: int = 1, weapon: str = "handgun",
    rounds_per_min: float | None = None, heading_deg: float | None = None, z_m: float = 1.5,
    rng: np.random.Generator,
) -> list[SourceEvent]:
    """``rounds`` shots; semi-automatic cadence (≈ 0.56 s median, jittered) unless
    ``rounds_per_min`` is given (e.g. 800 for full-auto, ±5 % jitter)."""
    if rounds < 1:
        raise ValueError(f"rounds must be ≥ 1, got {rounds}")
    if rounds_per_min is None:
        gaps = rng.lognormal(np.log(0.56), 0.35, rounds - 1)
    else:
        gaps = (60.0 / rounds_per_min) * rng.uniform(0.95, 1.05, rounds - 1)
    times = t_ns + np.concatenate(([0.0], np.cumsum(gaps))) * 1e9
    if heading_deg is None and weapon == "rifle":
        heading_deg = float(rng.uniform(0, 360))
    return [SourceEvent(x_m, y_m, int(t), "gunshot", weapon, z_m, None, heading_deg) for t in times]


def decoy(kind: str, x_m: float, y_m: float, t_ns: int, *, rng: np.random.Generator) -> list[SourceEvent]:
    """A typical occurrence of a decoy ``kind`` with its natural cadence."""
    ev = lambda t, z=1.0, k=kind: SourceEvent(x_m, y_m, int(t), k, None, z)  # noqa: E731
    if kind == "firecracker":
        n = int(rng.integers(8, 60))
        gaps = rng.lognormal(np.log(0.06), 0.8, n - 1)  # irregular crackle, 10–300 ms
        times = t_ns + np.concatenate(([0.0], np.cumsum(gaps))) * 1e9
        return [ev(t, 0.3) for t in times]
    if kind == "aerial_shell":
        n = int(rng.integers(1, 4))
        gaps = rng.uniform(0.8, 4.0, n - 1)
        times = t_ns + np.concatenate(([0.0], np.cumsum(gaps))) * 1e9
        return [ev(t, float(rng.uniform(80.0, 250.0))) for t in times]
    if kind == "backfire":
        n = int(rng.integers(1, 4))
        gaps = rng.uniform(0.05, 1.5, n - 1)
        times = t_ns + np.concatenate(([0.0], np.cumsum(gaps))) * 1e9
        return [ev(t, 0.4) for t in times]
    if kind in ("nail_gun", "hammer"):
        n = int(rng.integers(4, 20))
        period = rng.uniform(0.35, 1.2) if kind == "hammer" else rng.uniform(0.4, 2.0)
        gaps = period * rng.uniform(0.9, 1.1, n - 1)
        times = t_ns + np.concatenate(([0.0], np.cumsum(gaps))) * 1e9
        return [ev(t, float(rng.uniform(1.0, 8.0))) for t in times]
    if kind in ("door_slam", "balloon_pop"):
        return [ev(t_ns, 1.2)]
    raise ValueError(f"unknown decoy kind {kind!r}; expected one of {DECOY_KINDS}")
