"""Plain values read from (or handed to) the store.  Rows are frozen snapshots."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, fields
from typing import Any

from app.store.schema import STATUSES
from localization.types import Ellipse, Incident

#: The ``incidents`` columns in ``IncidentRow`` field order (``IncidentRow.from_tuple``).
INCIDENT_ROW_COLS = ("id", "uid", "source", "exercise", "kind", "tags", "start_ns", "end_ns", "rounds", "shooters",
                     "x_m", "y_m", "lat", "lon", "err95_m", "address", "status", "disposition", "legal_hold",
                     "current_revision", "created_ns", "updated_ns", "gunfire_p", "review_label")

@functools.lru_cache(maxsize=4096)
def split_tags(text: str) -> tuple[str, ...]:
    """``"full_auto,mobile_shooter"`` → ``("full_auto", "mobile_shooter")`` (memoised: a
    database holds a handful of distinct tag sets, read back 50,000 times)."""
    return tuple(t for t in text.split(",") if t)


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """The current view of one incident (its latest revision plus workflow state).

    ``gunfire_p`` / ``review_label``: the audio verdict (``localization.types.Incident``);
    None when the engine had no detector features or the incident was imported."""

    id: int
    uid: str
    source: str
    exercise: bool
    kind: str
    tags: tuple[str, ...]
    start_ns: int
    end_ns: int
    rounds: int
    shooters: int
    x_m: float | None
    y_m: float | None
    lat: float | None
    lon: float | None
    err95_m: float | None
    address: str | None
    status: str
    disposition: str | None
    legal_hold: bool
    current_revision: int
    created_ns: int
    updated_ns: int
    gunfire_p: float | None = None
    review_label: str | None = None

    @classmethod
    def from_sql(cls, r: Any) -> IncidentRow:
        """From a row read by column name (any column order)."""
        return cls.from_tuple(tuple(r[c] for c in INCIDENT_ROW_COLS))

    @classmethod
    def from_tuple(cls, t: tuple) -> IncidentRow:
        """From a plain row of ``INCIDENT_ROW_COLS`` (bulk reads: no per-column name lookups)."""
        (id_, uid, source, exercise, kind, tags, start_ns, end_ns, rounds, shooters, x_m, y_m, lat, lon, err95_m,
         address, status, disposition, legal_hold, current_revision, created_ns, updated_ns, gunfire_p,
         review_label) = t
        return cls(id_, uid, source, bool(exercise), kind, split_tags(tags), start_ns, end_ns, rounds, shooters,
                   x_m, y_m, lat, lon, err95_m, address, status, disposition, bool(legal_hold), current_revision,
                   created_ns, updated_ns, gunfire_p, review_label)


@dataclass(frozen=True, slots=True)
class Revision:
    """One immutable revision: what the incident looked like, who made it, when and why.

    ``payload_json`` is the revision's stored payload as written; ``payload`` decodes it
    (a new dict on every access), so reading thousands of revisions decodes none."""

    revision: int
    engine_revision: int | None
    created_ns: int
    actor: str
    reason: str
    kind: str
    tags: tuple[str, ...]
    start_ns: int
    end_ns: int
    rounds: int
    shooters: int
    x_m: float | None
    y_m: float | None
    lat: float | None
    lon: float | None
    err95_m: float | None
    address: str | None
    payload_json: str
    gunfire_p: float | None = None
    review_label: str | None = None

    @property
    def payload(self) -> dict:
        return json.loads(self.payload_json)


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    """The engine's incident without its shots: what a queue row shows, read in bulk without
    decoding any shot (``Store.incident_summaries``).  The attributes are ``Incident``'s, with
    the same meaning and values: ``rounds``/``shooters`` count the shots of the newest
    revision that holds located shots, ``revision`` is that revision's engine revision, and
    kind, tags, position and audio verdict are the incident's current ones (a human revision
    may have changed them).  ``Store.engine_incident(id, summary=...)`` adds the shots."""

    id: str
    kind: str
    tags: tuple[str, ...]
    rounds: int
    shooters: int
    x_m: float
    y_m: float
    err95_m: float
    speed_mps: float | None = None
    heading_deg: float | None = None
    revision: int = 0
    notes: tuple[str, ...] = ()
    gunfire_p: float | None = None
    review_label: str | None = None

    @classmethod
    def of(cls, inc: Incident) -> IncidentSummary:
        # Every field is the engine incident's own (the summary is the incident less its shots).
        return cls(**{f.name: getattr(inc, f.name) for f in fields(cls)})


@dataclass(frozen=True, slots=True)
class ShotOutline:
    """Where one located shot was — position, 95 % ellipse and shooter, as in the engine's
    ``Shot`` and ``Incident.shooter_of_shot`` — without its sensors, pulses and residuals:
    what a map draws of it (``Store.shot_outlines``)."""

    x_m: float
    y_m: float
    ellipse: Ellipse
    shooter: int

    @classmethod
    def of(cls, inc: Incident) -> tuple[ShotOutline, ...]:
        """The outlines of an incident's shots, in order."""
        return tuple(cls(s.x_m, s.y_m, s.ellipse, int(inc.shooter_of_shot[i]) if i < len(inc.shooter_of_shot) else 0)
                     for i, s in enumerate(inc.shots))


@dataclass(frozen=True, slots=True)
class IncidentDetail:
    incident: IncidentRow
    revisions: tuple[Revision, ...]
    status_events: tuple[dict, ...] = ()
    acknowledgments: tuple[dict, ...] = ()
    units: tuple[dict, ...] = ()
    cad_entries: tuple[dict, ...] = ()
    citizen_calls: tuple[dict, ...] = ()
    ems_requests: tuple[dict, ...] = ()
    dispositions: tuple[dict, ...] = ()
    audio_clips: tuple[dict, ...] = ()
    escalation: dict | None = None


@dataclass(frozen=True, slots=True)
class IncidentQuery:
    """Filters for listing incidents; every field optional.  Newest first."""

    status: tuple[str, ...] | str | None = None
    kind: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    bbox: tuple[float, float, float, float] | None = None  # (lat_min, lon_min, lat_max, lon_max)
    text: str | None = None  # substring of the address or uid
    exercise: bool | None = None
    source: str | None = None

    def where(self) -> tuple[str, list]:
        clauses, params = [], []
        if self.status is not None:
            statuses = (self.status,) if isinstance(self.status, str) else tuple(self.status)
            bad = [s for s in statuses if s not in STATUSES]
            if bad:
                raise ValueError(f"unknown status {bad[0]!r}; expected one of {', '.join(STATUSES)}")
            clauses.append(f"status IN ({', '.join('?' * len(statuses))})")
            params += statuses
        if self.kind is not None:
            clauses.append("kind = ?")
            params.append(self.kind)
        if self.since_ns is not None:
            clauses.append("start_ns >= ?")
            params.append(int(self.since_ns))
        if self.until_ns is not None:
            clauses.append("start_ns < ?")
            params.append(int(self.until_ns))
        if self.bbox is not None:
            lat0, lon0, lat1, lon1 = self.bbox
            clauses.append("lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?")
            params += [lat0, lat1, lon0, lon1]
        if self.text:
            clauses.append("(address LIKE ? ESCAPE '\\' OR uid LIKE ? ESCAPE '\\')")
            pat = "%" + self.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pat, pat]
        if self.exercise is not None:
            clauses.append("exercise = ?")
            params.append(int(self.exercise))
        if self.source is not None:
            clauses.append("source = ?")
            params.append(self.source)
        return (" AND ".join(clauses) or "1"), params


@dataclass(frozen=True, slots=True)
class ImportedIncident:
    """One historical incident read from another vendor's export."""

    uid: str
    start_ns: int
    kind: str
    rounds: int
    lat: float | None
    lon: float | None
    address: str | None = None
    disposition: str | None = None
    evidence: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordResult:
    incident_id: int
    revision: int
    created: bool
    changed: bool


@dataclass(frozen=True, slots=True)
class SensorRecord:
    id: str
    x_m: float
    y_m: float
    z_m: float
    lat: float | None
    lon: float | None
    status: str
    updated_ns: int
