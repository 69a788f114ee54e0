"""The console's read-only view of one incident: the engine's latest description plus the
workflow state as ``app.store`` records it.  ``ConsoleDispatch`` fills these from the
store; widgets only read them."""
from __future__ import annotations

from dataclasses import dataclass, field

from localization.types import Incident

STATES: tuple[str, ...] = ("new", "acknowledged", "dispatched", "on_scene", "closed")
STATE_WORDS = {"new": "NEW", "acknowledged": "ACK", "dispatched": "CAD", "on_scene": "SCENE", "closed": "CLOSED"}


@dataclass(frozen=True, slots=True)
class Revision:
    revision: int
    t_ns: int
    kind: str
    rounds: int
    shooters: int
    err95_m: float
    actor: str = "engine"


@dataclass(frozen=True, slots=True)
class CitizenCall:
    t_ns: int
    caller: str      # who took the call
    summary: str     # the pertinent information recorded


@dataclass(slots=True)
class AlertRecord:
    incident: Incident
    reported_ns: int
    lat_deg: float
    lon_deg: float
    location_words: str
    near_words: str | None = None
    store_id: int = 0
    updated_ns: int = 0
    state: str = "new"
    acknowledged_by: str | None = None
    acknowledged_ns: int | None = None
    escalated_ns: int | None = None
    supervisor_confirmed_by: str | None = None
    cad_number: str | None = None
    disposition: str | None = None
    units: tuple[str, ...] = ()
    self_dispatched: tuple[str, ...] = ()
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


def search_text(rec: AlertRecord) -> str:
    """The lowercase text the alert queue's filter box searches: location words, near words,
    incident id and CAD number.  Kept per row by the queue model (recomputed when the record
    changes) so that filtering never builds strings per row per keystroke."""
    return f"{rec.location_words} {rec.near_words or ''} {rec.incident_id} {rec.cad_number or ''}".lower()


def split_address(text: str | None) -> tuple[str, str | None]:
    """``"in front of 12 Elm St (near Elm St & 4th Ave)"`` → (words, "near Elm St & 4th Ave")."""
    if not text:
        return "location not described", None
    words, sep, near = text.partition(" (near ")
    return words, (f"near {near.rstrip(')')}" if sep else None)
