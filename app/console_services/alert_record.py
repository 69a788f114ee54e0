"""The console's read-only view of one incident: the engine's latest description plus the
workflow state as ``app.store`` records it.  ``ConsoleDispatch`` fills these from the
store; widgets only read them.

A view always holds the engine's incident *summary* (kind, tags, rounds, revision … — what a
queue row shows); the full ``Incident`` with its shots is ``incident``.  Views loaded in bulk
(50,000 history rows at start-up) read that full incident from the store the first time
something asks for it (the selected alert, the CAD form), so loading history decodes no shot;
the map draws from the summary and the shots' outlines (``ConsoleDispatch.shot_outlines``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from localization.types import Incident

from app.store import IncidentSummary

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
    summary: IncidentSummary          # the engine's incident without its shots
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
    revisions: tuple[Revision, ...] = ()
    calls: tuple[CitizenCall, ...] = ()
    #: the full incident once known; else ``incident_loader(self)`` reads it (the revision ``summary`` describes)
    loaded_incident: Incident | None = field(default=None, repr=False, compare=False)
    incident_loader: Callable[[AlertRecord], Incident] | None = field(default=None, repr=False, compare=False)

    @property
    def incident(self) -> Incident:
        """The engine's full incident (shots, ellipses, shooters), read on first use when the
        view was loaded in bulk."""
        inc = self.loaded_incident
        if inc is None:
            if self.incident_loader is None:
                raise LookupError(f"alert {self.summary.id}: no incident and no way to read it")
            inc = self.loaded_incident = self.incident_loader(self)
            self.incident_loader = None
        return inc

    @incident.setter
    def incident(self, inc: Incident) -> None:
        self.summary = IncidentSummary.of(inc)
        self.loaded_incident = inc
        self.incident_loader = None

    def defer_incident(self, summary: IncidentSummary, loader: Callable[[AlertRecord], Incident]) -> None:
        """Show ``summary`` now; ``loader(self)`` gives the full incident when first asked (one
        loader shared by every view: no per-view closure)."""
        self.summary = summary
        self.loaded_incident = None
        self.incident_loader = loader

    @property
    def incident_id(self) -> str:
        return self.summary.id

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
