"""The console's record of one incident: the latest engine revision plus workflow state."""
from __future__ import annotations

from dataclasses import dataclass, field

from localization.types import Incident

STATES: tuple[str, ...] = ("new", "acknowledged", "dispatched", "closed")
STATE_WORDS = {"new": "NEW", "acknowledged": "ACK", "dispatched": "CAD", "closed": "CLOSED"}


@dataclass(frozen=True, slots=True)
class Revision:
    revision: int
    t_ns: int
    kind: str
    rounds: int
    shooters: int
    err95_m: float


@dataclass(frozen=True, slots=True)
class CitizenCall:
    t_ns: int
    caller: str
    summary: str


@dataclass(slots=True)
class AlertRecord:
    incident: Incident
    reported_ns: int
    lat_deg: float
    lon_deg: float
    location_words: str
    near_words: str | None = None
    updated_ns: int = 0
    state: str = "new"
    acknowledged_by: str | None = None
    acknowledged_ns: int | None = None
    escalated_ns: int | None = None
    supervisor_confirmed_by: str | None = None
    cad_number: str | None = None
    cad_text: str | None = None
    disposition: str | None = None
    units: tuple[str, ...] = ()
    ems_requested: bool = False
    training: bool = False
    revisions: list[Revision] = field(default_factory=list)
    calls: list[CitizenCall] = field(default_factory=list)

    @property
    def incident_id(self) -> str:
        return self.incident.id

    @property
    def escalated(self) -> bool:
        return self.escalated_ns is not None and self.state == "new"

    def ack_wait_s(self, now_ns: int) -> float:
        """Seconds the alert has waited (still waiting) for acknowledgment."""
        end = self.acknowledged_ns if self.acknowledged_ns is not None else now_ns
        return max(0.0, (end - self.reported_ns) / 1e9)
