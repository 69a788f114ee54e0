"""The single service façade the console's widgets talk to.

Holds the console's view of every incident (``AlertRecord``) and applies the workflow:
acknowledge → CAD entry → disposition, supervisor confirmation, escalation of alerts left
unacknowledged past the agency timeout.  Permission checks happen here, not in widgets.

It is a stand-in for the ``app/dispatch`` + ``app/store`` services while those land: the
public methods are the API the console expects from them, and ``sink`` receives every
change so a store can persist it.
"""
from __future__ import annotations

from typing import Callable, Iterable, Protocol

from localization.types import Incident

from app.console_services.access import PermissionDenied, User, can
from app.console_services.agency import ConsoleProfile
from app.console_services.alert_record import AlertRecord, CitizenCall, Revision
from app.console_services.cad import CadDraft, validate_cad


class Locator(Protocol):
    """Turns local metres into (lat, lon, location words, near words)."""

    def describe(self, x_m: float, y_m: float) -> tuple[float, float, str, str | None]: ...


class Clock(Protocol):
    def now_ns(self) -> int: ...


class ConsoleDispatch:
    def __init__(self, locator: Locator, clock: Clock, profile: ConsoleProfile | None = None,
                 *, training: bool = False, sink: Callable[[str, AlertRecord], None] | None = None) -> None:
        self.locator = locator
        self.clock = clock
        self.profile = profile or ConsoleProfile()
        self.training = training
        self._records: dict[str, AlertRecord] = {}
        self._sink = sink
        self._cad_seq = 0
        self.on_duty: set[str] = set()

    # ---- reading -------------------------------------------------------------------------
    def get(self, incident_id: str) -> AlertRecord:
        try:
            return self._records[incident_id]
        except KeyError:
            raise KeyError(f"no incident {incident_id!r}") from None

    def records(self) -> list[AlertRecord]:
        return list(self._records.values())

    def __len__(self) -> int:
        return len(self._records)

    # ---- engine side ---------------------------------------------------------------------
    def ingest(self, incident: Incident, reported_ns: int | None = None) -> tuple[AlertRecord, bool]:
        """Record a new incident or a new revision; returns (record, is_new)."""
        now = self.clock.now_ns() if reported_ns is None else reported_ns
        rev = Revision(incident.revision, now, incident.kind, incident.rounds, incident.shooters, incident.err95_m)
        rec = self._records.get(incident.id)
        if rec is not None:
            if incident.revision < rec.incident.revision:
                return rec, False  # stale revision: keep the newer one
            moved = (incident.x_m, incident.y_m) != (rec.incident.x_m, rec.incident.y_m)
            rec.incident = incident
            rec.updated_ns = now
            rec.revisions.append(rev)
            if moved:
                rec.lat_deg, rec.lon_deg, rec.location_words, rec.near_words = self.locator.describe(
                    incident.x_m, incident.y_m)
            self._emit("revised", rec)
            return rec, False
        lat, lon, words, near = self.locator.describe(incident.x_m, incident.y_m)
        rec = AlertRecord(incident=incident, reported_ns=now, lat_deg=lat, lon_deg=lon, location_words=words,
                          near_words=near, updated_ns=now, training=self.training, revisions=[rev])
        self._records[incident.id] = rec
        self._emit("created", rec)
        return rec, True

    def load_history(self, records: Iterable[AlertRecord]) -> None:
        for rec in records:
            self._records[rec.incident_id] = rec

    # ---- workflow --------------------------------------------------------------------------
    def _require(self, user: User, permission: str) -> None:
        if not can(user.role, permission):
            raise PermissionDenied(f"{user.role} may not {permission.replace('_', ' ')}")

    def acknowledge(self, incident_id: str, user: User) -> AlertRecord:
        self._require(user, "acknowledge")
        rec = self.get(incident_id)
        if rec.state == "new":
            rec.state = "acknowledged"
            rec.acknowledged_by = user.user_id
            rec.acknowledged_ns = self.clock.now_ns()
            self._emit("acknowledged", rec)
        return rec

    def next_cad_number(self) -> str:
        self._cad_seq += 1
        prefix = "TRN" if self.training else self.profile.short_name
        return f"{prefix}-{self._cad_seq:06d}"

    def create_cad(self, incident_id: str, user: User, draft: CadDraft) -> AlertRecord:
        """Validate and record the CAD entry; raises ValueError with field messages."""
        self._require(user, "cad_entry")
        errors = validate_cad(draft, self.profile)
        if errors:
            raise ValueError("; ".join(f"{k}: {v}" for k, v in errors.items()))
        rec = self.get(incident_id)
        if rec.state == "new":
            self.acknowledge(incident_id, user)
        rec.cad_number = rec.cad_number or self.next_cad_number()
        rec.cad_text = draft.copy_text(rec.cad_number)
        rec.units = tuple(draft.units)
        rec.ems_requested = draft.ems_requested
        rec.state = "dispatched"
        self._emit("cad_created", rec)
        return rec

    def set_disposition(self, incident_id: str, user: User, disposition: str) -> AlertRecord:
        self._require(user, "disposition")
        if disposition not in self.profile.dispositions:
            raise ValueError(f"unknown disposition {disposition!r}")
        rec = self.get(incident_id)
        if rec.state == "new":
            raise ValueError("acknowledge the alert before closing it")
        rec.disposition = disposition
        rec.state = "closed"
        self._emit("closed", rec)
        return rec

    def supervisor_confirm(self, incident_id: str, user: User) -> AlertRecord:
        self._require(user, "supervisor_confirm")
        rec = self.get(incident_id)
        rec.supervisor_confirmed_by = user.user_id
        self._emit("confirmed", rec)
        return rec

    def add_citizen_call(self, incident_id: str, user: User, caller: str, summary: str) -> AlertRecord:
        self._require(user, "citizen_call")
        rec = self.get(incident_id)
        rec.calls.append(CitizenCall(self.clock.now_ns(), caller, summary))
        self._emit("call_linked", rec)
        return rec

    def check_escalations(self) -> list[AlertRecord]:
        """Alerts that have just passed the acknowledgment timeout (each reported once)."""
        now = self.clock.now_ns()
        limit_ns = int(self.profile.ack_timeout_s * 1e9)
        out = []
        for rec in self._records.values():
            if rec.state == "new" and rec.escalated_ns is None and now - rec.reported_ns >= limit_ns:
                rec.escalated_ns = now
                out.append(rec)
                self._emit("escalated", rec)
        return out

    def awaiting_supervisor(self) -> list[AlertRecord]:
        """Unacknowledged or escalated alerts, oldest first."""
        recs = [r for r in self._records.values() if r.state == "new" or r.escalated_ns is not None and
                r.supervisor_confirmed_by is None and r.state != "closed"]
        return sorted(recs, key=lambda r: r.reported_ns)

    def _emit(self, event: str, rec: AlertRecord) -> None:
        if self._sink is not None:
            self._sink(event, rec)
