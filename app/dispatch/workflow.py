"""The incident lifecycle as the general orders describe it.

    new → acknowledged → dispatched → on_scene → closed (with a disposition)

Each step checks the acting user's role, the current status and the agency's policy,
then writes the status event, its records and an audit entry in one transaction.
Exercise incidents may also be worked by trainers; real ones never.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.dispatch.agency import AgencyProfile
from app.dispatch.roles import roles_for
from app.dispatch.users import Users
from app.store import Store
from app.store.clock import NS_PER_S, Clock
from app.store.errors import PermissionDenied, ValidationError

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged",),
    "acknowledged": ("dispatched",),
    "dispatched": ("on_scene",),
    "on_scene": ("closed",),
    "closed": (),
}
FOUNDED_EVIDENCE = ("casings", "victim", "property_damage", "witness")
OTHER_SOURCES = ("fireworks", "backfire", "construction", "helicopter", "other")
WORK_ROLES = roles_for("acknowledge")


class IllegalTransition(ValidationError):
    """A lifecycle step that the incident's current status does not allow."""


@dataclass(frozen=True, slots=True)
class Escalation:
    incident_id: int
    delay_s: float
    to_role: str


@dataclass(frozen=True, slots=True)
class MonitorStatus:
    on_duty: tuple[str, ...]
    required: int

    @property
    def ok(self) -> bool:
        return len(self.on_duty) >= self.required

    @property
    def message(self) -> str:
        if self.ok:
            return f"{len(self.on_duty)} monitor(s) on duty (policy: {self.required})"
        return f"only {len(self.on_duty)} of the {self.required} required monitors are logged in"


class Workflow:
    def __init__(self, store: Store, agency: AgencyProfile, *, clock: Clock | None = None) -> None:
        self.store = store
        self.agency = agency
        self.clock = clock or store.clock
        self.users = Users(store)

    # ---------------------------------------------------------------- helpers
    def _actor(self, conn, user_id: str, incident_id: int, permission: str, action: str):
        inc = self.store._require_incident(conn, incident_id)
        allowed = roles_for(permission, exercise=bool(inc["exercise"]))
        user = self.users.require(user_id, allowed, action=action + ("" if inc["exercise"] else " on a live incident"))
        return inc, user

    def _move(self, conn, inc, to: str, user_id: str, now: int, note: str | None = None) -> None:
        frm = inc["status"]
        if to not in TRANSITIONS[frm]:
            allowed = ", ".join(TRANSITIONS[frm]) or "nothing (it is closed)"
            raise IllegalTransition(f"incident #{inc['id']} is {frm}; it cannot become {to} (allowed next: {allowed})")
        conn.execute("UPDATE incidents SET status = ?, updated_ns = ? WHERE id = ?", (to, now, inc["id"]))
        conn.execute("INSERT INTO status_events (incident_id, from_status, to_status, t_ns, user_id, note) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (inc["id"], frm, to, now, user_id, note))

    def _alert_ns(self, conn, incident_id: int, fallback: int) -> int:
        r = conn.execute("SELECT min(created_ns) FROM alerts WHERE incident_id = ?", (incident_id,)).fetchone()
        return r[0] if r and r[0] is not None else fallback

    # -------------------------------------------------------------- lifecycle
    def acknowledge(self, incident_id: int, user_id: str) -> float:
        """Dispatcher acknowledgment; returns the delay in seconds since the alert."""
        now = self.clock.now_ns()
        with self.store.transaction() as conn:
            inc, _ = self._actor(conn, user_id, incident_id, "acknowledge", "acknowledge incidents")
            self._move(conn, inc, "acknowledged", user_id, now)
            delay = (now - self._alert_ns(conn, incident_id, inc["created_ns"])) / NS_PER_S
            conn.execute("INSERT INTO acknowledgments (incident_id, user_id, kind, t_ns, delay_s) VALUES (?, ?, 'dispatcher', ?, ?)",
                         (incident_id, user_id, now, delay))
            self.store.audit(conn, actor=user_id, action="incident.acknowledge", entity="incident",
                             entity_id=incident_id, details={"delay_s": round(delay, 3)}, t_ns=now)
        return delay

    def supervisor_confirm(self, incident_id: int, user_id: str, *, note: str | None = None) -> float:
        """A field supervisor's acknowledgment, recorded separately from the dispatcher's."""
        now = self.clock.now_ns()
        with self.store.transaction() as conn:
            inc, _ = self._actor(conn, user_id, incident_id, "supervisor_confirm", "confirm incidents as supervisor")
            if inc["status"] == "closed":
                raise IllegalTransition(f"incident #{incident_id} is closed; it can no longer be confirmed")
            if conn.execute("SELECT 1 FROM acknowledgments WHERE incident_id = ? AND kind = 'supervisor'",
                            (incident_id,)).fetchone():
                raise ValidationError(f"incident #{incident_id} already has a supervisor confirmation")
            delay = (now - self._alert_ns(conn, incident_id, inc["created_ns"])) / NS_PER_S
            conn.execute("INSERT INTO acknowledgments (incident_id, user_id, kind, t_ns, delay_s) VALUES (?, ?, 'supervisor', ?, ?)",
                         (incident_id, user_id, now, delay))
            self.store.audit(conn, actor=user_id, action="incident.supervisor_confirm", entity="incident",
                             entity_id=incident_id, details={"delay_s": round(delay, 3), "note": note}, t_ns=now)
        return delay

    def dispatch(self, incident_id: int, user_id: str, units: list[str] | tuple[str, ...], *,
                 cad_number: str | None = None) -> str:
        """Create the CAD entry (agency type code and priority) and assign units.  Returns the CAD number."""
        units = [u.strip() for u in units if u and u.strip()]
        if not units:
            raise ValidationError("dispatch needs at least one unit")
        if len(set(units)) != len(units):
            raise ValidationError("a unit is listed twice")
        self._check_roster(units)
        now = self.clock.now_ns()
        with self.store.transaction() as conn:
            inc, _ = self._actor(conn, user_id, incident_id, "cad_entry", "dispatch units")
            self._move(conn, inc, "dispatched", user_id, now)
            cad = cad_number or f"{self.agency.type_code}-{incident_id:07d}"
            if conn.execute("SELECT 1 FROM cad_entries WHERE cad_number = ?", (cad,)).fetchone():
                raise ValidationError(f"CAD number {cad!r} is already used by another incident")
            conn.execute("INSERT INTO cad_entries (incident_id, cad_number, type_code, priority, created_ns, user_id) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (incident_id, cad, self.agency.type_code, self.agency.priority,
                                                       now, user_id))
            for u in units:
                conn.execute("INSERT OR IGNORE INTO unit_assignments (incident_id, unit, assigned_ns, self_dispatched, user_id) "
                             "VALUES (?, ?, ?, 0, ?)", (incident_id, u, now, user_id))
            self.store.audit(conn, actor=user_id, action="incident.dispatch", entity="incident", entity_id=incident_id,
                             details={"cad_number": cad, "type_code": self.agency.type_code,
                                      "priority": self.agency.priority, "units": units}, t_ns=now)
        return cad

    def attach_unit(self, incident_id: int, user_id: str, unit: str, *, self_dispatched: bool = True) -> None:
        """A unit that went on its own (or joins later) is attached to the original incident —
        never a second incident."""
        unit = (unit or "").strip()
        if not unit:
            raise ValidationError("unit name must not be empty")
        self._check_roster([unit])
        now = self.clock.now_ns()
        with self.store.transaction() as conn:
            inc, _ = self._actor(conn, user_id, incident_id, "cad_entry", "attach units")
            if inc["status"] == "closed":
                raise IllegalTransition(f"incident #{incident_id} is closed; units cannot be attached")
            if conn.execute("SELECT 1 FROM unit_assignments WHERE incident_id = ? AND unit = ?", (incident_id, unit)).fetchone():
                raise ValidationError(f"unit {unit} is already assigned to incident #{incident_id}")
            conn.execute("INSERT INTO unit_assignments (incident_id, unit, assigned_ns, self_dispatched, user_id) "
                         "VALUES (?, ?, ?, ?, ?)", (incident_id, unit, now, int(self_dispatched), user_id))
            self.store.audit(conn, actor=user_id, action="incident.attach_unit", entity="incident", entity_id=incident_id,
                             details={"unit": unit, "self_dispatched": self_dispatched}, t_ns=now)

    def on_scene(self, incident_id: int, user_id: str, *, note: str | None = None) -> None:
        now = self.clock.now_ns()
        with self.store.transaction() as conn:
            inc, _ = self._actor(conn, user_id, incident_id, "on_scene", "mark units on scene")
            self._move(conn, inc, "on_scene", user_id, now, note)
            self.store.audit(conn, actor=user_id, action="incident.on_scene", entity="incident", entity_id=incident_id,
                             details={"note": note}, t_ns=now)

    def close(self, incident_id: int, user_id: str, disposition: str, *, evidence: tuple[str, ...] | list[str] = (),
              other_source: str | None = None, notes: str | None = None) -> None:
        """Close with a disposition: ``founded`` (needs evidence: casings, victim,
        property_damage, witness), ``unfounded`` (no evidence) or ``other_source``
        (fireworks, backfire, …)."""
        evidence = tuple(dict.fromkeys(evidence))
        if disposition == "founded":
            if not evidence:
                raise ValidationError(f"a founded disposition needs evidence: one or more of {', '.join(FOUNDED_EVIDENCE)}")
            bad = [e for e in evidence if e not in FOUNDED_EVIDENCE]
            if bad:
                raise ValidationError(f"unknown evidence {bad[0]!r}; expected {', '.join(FOUNDED_EVIDENCE)}")
            if other_source:
                raise ValidationError("other_source is only for the other_source disposition")
        elif disposition == "unfounded":
            if evidence or other_source:
                raise ValidationError("an unfounded disposition takes no evidence and no other source")
        elif disposition == "other_source":
            if other_source not in OTHER_SOURCES:
                raise ValidationError(f"other_source must be one of {', '.join(OTHER_SOURCES)}, got {other_source!r}")
            if evidence:
                raise ValidationError("an other_source disposition takes no gunfire evidence")
        else:
            raise ValidationError(f"disposition must be founded, unfounded or other_source, got {disposition!r}")
        now = self.clock.now_ns()
        with self.store.transaction() as conn:
            inc, _ = self._actor(conn, user_id, incident_id, "disposition", "close incidents")
            if self.agency.supervisor_confirmation_required and inc["status"] != "closed" and not conn.execute(
                    "SELECT 1 FROM acknowledgments WHERE incident_id = ? AND kind = 'supervisor'", (incident_id,)).fetchone():
                raise PermissionDenied(f"{self.agency.name} requires a supervisor's confirmation before "
                                       f"incident #{incident_id} is closed")
            self._move(conn, inc, "closed", user_id, now, notes)
            conn.execute("UPDATE incidents SET disposition = ? WHERE id = ?", (disposition, incident_id))
            conn.execute("INSERT INTO dispositions (incident_id, t_ns, user_id, disposition, evidence, other_source, notes) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (incident_id, now, user_id, disposition, ",".join(evidence), other_source, notes))
            self.store.audit(conn, actor=user_id, action="incident.close", entity="incident", entity_id=incident_id,
                             details={"disposition": disposition, "evidence": list(evidence),
                                      "other_source": other_source, "notes": notes}, t_ns=now)

    def request_ems(self, incident_id: int, user_id: str, *, reason: str) -> int:
        """Record an EMS request made with the CAD entry (a caller's confirmed victim goes
        through ``CitizenCalls.link_call``).  Returns the request id."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("an EMS request needs a reason")
        now = self.clock.now_ns()
        with self.store.transaction() as conn:
            inc, _ = self._actor(conn, user_id, incident_id, "cad_entry", "request EMS")
            if inc["status"] == "closed":
                raise IllegalTransition(f"incident #{incident_id} is closed; EMS cannot be requested on it")
            cur = conn.execute("INSERT INTO ems_requests (incident_id, call_id, t_ns, user_id, reason) VALUES (?, NULL, ?, ?, ?)",
                               (incident_id, now, user_id, reason))
            self.store.audit(conn, actor=user_id, action="ems.request", entity="incident", entity_id=incident_id,
                             details={"ems_request_id": cur.lastrowid, "reason": reason}, t_ns=now)
        return cur.lastrowid

    def reclassify(self, incident_id: int, user_id: str, *, reason: str, **changes) -> int:
        """A human revision (kind, rounds, location …) by a supervisor or analyst; adds a revision."""
        self.users.require(user_id, ("supervisor", "analyst"), action="revise incidents")
        return self.store.revise_incident(incident_id, actor=user_id, reason=reason, **changes)

    def _check_roster(self, units: list[str]) -> None:
        if self.agency.units:
            unknown = [u for u in units if u not in self.agency.units]
            if unknown:
                raise ValidationError(f"unit {unknown[0]!r} is not on {self.agency.name}'s roster")

    # ------------------------------------------------------- timers and staff
    def unacknowledged(self) -> list[tuple[int, float]]:
        """(incident id, seconds since the alert) of every incident still ``new``, oldest first."""
        now = self.clock.now_ns()
        return [(r[0], (now - r[1]) / NS_PER_S) for r in self.store.conn.execute(
            "SELECT i.id, coalesce(min(a.created_ns), i.created_ns) AS t FROM incidents i "
            "LEFT JOIN alerts a ON a.incident_id = i.id WHERE i.status = 'new' GROUP BY i.id ORDER BY t")]

    def escalate_overdue(self) -> list[Escalation]:
        """Escalate every incident unacknowledged past the agency timeout (once each),
        recording the delay.  Call it on a timer."""
        out = []
        now = self.clock.now_ns()
        with self.store.transaction() as conn:
            for iid, age_s in self.unacknowledged():
                if age_s <= self.agency.ack_timeout_s:
                    continue
                if conn.execute("SELECT 1 FROM escalations WHERE incident_id = ?", (iid,)).fetchone():
                    continue
                conn.execute("INSERT INTO escalations (incident_id, t_ns, delay_s, to_role) VALUES (?, ?, ?, ?)",
                             (iid, now, age_s, self.agency.escalate_to))
                self.store.audit(conn, actor="system", action="incident.escalate", entity="incident", entity_id=iid,
                                 details={"delay_s": round(age_s, 3), "timeout_s": self.agency.ack_timeout_s,
                                          "to_role": self.agency.escalate_to}, t_ns=now)
                out.append(Escalation(iid, age_s, self.agency.escalate_to))
        return out

    def awaiting_supervisor(self) -> list[int]:
        """Incidents a supervisor should look at, oldest alert first: every one still
        unacknowledged, and every escalated one not yet confirmed by a supervisor (until closed)."""
        return [r[0] for r in self.store.conn.execute(
            "SELECT i.id FROM incidents i LEFT JOIN escalations e ON e.incident_id = i.id "
            "WHERE i.status != 'closed' AND (i.status = 'new' OR (e.id IS NOT NULL AND NOT EXISTS ("
            "SELECT 1 FROM acknowledgments a WHERE a.incident_id = i.id AND a.kind = 'supervisor'))) "
            "ORDER BY i.created_ns, i.id")]

    def monitoring_status(self) -> MonitorStatus:
        return MonitorStatus(tuple(self.users.monitors_on_duty()), self.agency.min_monitors)
