"""Plain, immutable values the engine takes and gives.

Units are in the names: ``_m`` metres in the site's local east-north-up frame,
``_ns`` integer UTC nanoseconds since the Unix epoch, ``_db`` decibels, ``_mps``
metres per second, ``_deg`` degrees clockwise from true north.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

IncidentKind = Literal["single_gunshot", "multiple_gunshots", "possible_gunfire"]
IncidentTag = Literal["multiple_shooters", "mobile_shooter", "full_auto", "high_capacity"]

INCIDENT_KINDS: tuple[str, ...] = ("single_gunshot", "multiple_gunshots", "possible_gunfire")
INCIDENT_TAGS: tuple[str, ...] = ("multiple_shooters", "mobile_shooter", "full_auto", "high_capacity")
ReviewLabel = Literal["probable_fireworks", "non_gunfire"]
#: What a reviewer is asked to check on an incident the audio says is clearly not gunfire.
REVIEW_LABELS: tuple[str, ...] = ("probable_fireworks", "non_gunfire")


@dataclass(frozen=True, slots=True)
class Sensor:
    """An acoustic sensor at a fixed position in the local frame (metres)."""

    id: str
    x_m: float
    y_m: float
    z_m: float = 0.0


@dataclass(frozen=True, slots=True)
class Pulse:
    """One impulse a sensor reported: the arrival time of its onset at that sensor.

    ``features`` carries optional detector measurements (rise time, spectral centroid …)
    as a tuple of ``(name, value)`` pairs so the value stays hashable and immutable.
    """

    sensor: str
    t_ns: int
    snr_db: float | None = None
    peak_db: float | None = None
    id: str | None = None
    features: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Ellipse:
    """A 95 % confidence ellipse: semi-axes in metres, orientation of the major axis
    in degrees clockwise from north (0–180)."""

    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float


@dataclass(frozen=True, slots=True)
class Shot:
    """One located discharge.

    ``t_ns`` is the estimated *emission* time at the source, not an arrival time.
    ``sensors`` and ``pulse_ids`` list the pulses used (one per sensor), and
    ``residuals_ms`` their arrival-time residuals in the same order.  ``z_m`` is the
    source height the location used; ``height_m`` the source's height above ground when
    it was measured — a source high above the sensors, such as an aerial firework shell
    (else None: the source was taken to be at ground level).
    """

    t_ns: int
    x_m: float
    y_m: float
    err95_m: float
    ellipse: Ellipse
    sensors: tuple[str, ...]
    pulse_ids: tuple[str | None, ...]
    residuals_ms: tuple[float, ...]
    rms_ms: float
    low_confidence: bool = False
    wind_mps: tuple[float, float] | None = None
    z_m: float = 0.0
    height_m: float | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """Shots grouped into one event a dispatcher hears about.

    ``shooter_of_shot[i]`` is the shooter index (0-based, in order of first shot) of
    ``shots[i]``; shots are in time order.  ``revision`` counts updates: a streaming
    engine emits the same ``id`` again with a higher revision as rounds arrive.

    ``gunfire_p`` is the audio classifier's probability (0–1) that the incident is
    gunfire, from the shape of its pulses (``Pulse.features``), the cadence of its rounds
    and the source height; None when no pulse carried detector features.  Below the
    gunfire threshold the kind is ``possible_gunfire``.  ``review_label`` marks an incident
    the audio says is clearly not gunfire — ``probable_fireworks`` or ``non_gunfire``
    (``REVIEW_LABELS``) — kept and emitted for a person to review, never dropped; None
    otherwise.
    """

    id: str
    kind: IncidentKind
    tags: tuple[IncidentTag, ...]
    shots: tuple[Shot, ...]
    shooter_of_shot: tuple[int, ...]
    x_m: float
    y_m: float
    err95_m: float
    speed_mps: float | None = None
    heading_deg: float | None = None
    revision: int = 0
    notes: tuple[str, ...] = field(default=())
    gunfire_p: float | None = None
    review_label: ReviewLabel | None = None

    @property
    def rounds(self) -> int:
        return len(self.shots)

    @property
    def shooters(self) -> int:
        return (max(self.shooter_of_shot) + 1) if self.shooter_of_shot else 0

    @property
    def start_ns(self) -> int:
        return self.shots[0].t_ns

    @property
    def end_ns(self) -> int:
        return self.shots[-1].t_ns
