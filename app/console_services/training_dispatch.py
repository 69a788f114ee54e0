"""The console's service façade in training mode: ``ConsoleDispatch`` over the exercise
database, with every action the trainee takes in the console reported to the
``TrainingRun`` (so the trainee is scored), and the two actions only the scenario can
answer — notifying the (role-played) supervisor and opening a missed-incident report.

The actions themselves are the real services' (``ConsoleDispatch`` → ``app.dispatch``);
this class only observes their outcome and translates it into the scenario's words
(alert → scenario event, linked call → scripted call).  A refused action is logged as
refused and re-raised for the console to show.
"""
from __future__ import annotations

from typing import Callable, Iterable

from localization.types import Incident

from app.console_services.alert_record import AlertRecord
from app.console_services.console_dispatch import ConsoleDispatch, Recorded
from app.console_services.training_run import TrainingRun
from app.dispatch import User
from app.dispatch.cad_entry import CadDraft
from app.dispatch.dispositions import choice
from app.store import StoreError, ValidationError


class TrainingDispatch(ConsoleDispatch):
    def __init__(self, run: TrainingRun, *, frame=None, address_locator=None) -> None:
        s = run.session
        super().__init__(s.store, s.agency, frame=frame or s.frame,
                         address_locator=address_locator if address_locator is not None else s.locator, exercise=True)
        self.run = run
        self._seen: set[str] = set()

    # ---- worker thread -------------------------------------------------------------------
    def record(self, incidents: Iterable[Incident], t_emit_ns: int = 0) -> list[Recorded]:
        """The session recorded these already (its own intake, as exercise): pass them on."""
        out = []
        for inc in incidents:
            out.append(Recorded(inc, self.store.incident_id_for(inc.id), inc.id not in self._seen, t_emit_ns))
            self._seen.add(inc.id)
        return out

    # ---- the trainee's actions (GUI thread) ---------------------------------------------------
    def _scored(self, action: str, incident_id: str, fn: Callable[[], AlertRecord]) -> tuple[AlertRecord, str]:
        try:
            ref = self.run.ref_of(self.get(incident_id).store_id)
        except KeyError:
            ref = incident_id
        try:
            return fn(), ref
        except (StoreError, KeyError) as exc:
            self.run.log(action, ref, ok=False, detail=str(exc).strip("'\""))
            raise

    def acknowledge(self, incident_id: str, user: User) -> AlertRecord:
        rec, ref = self._scored("acknowledge", incident_id, lambda: ConsoleDispatch.acknowledge(self, incident_id, user))
        self.run.log("acknowledge", ref, detail=f"acknowledged after {_delay_s(rec):.0f} s")
        return rec

    def create_cad(self, incident_id: str, user: User, draft: CadDraft) -> AlertRecord:
        was_new = self.get(incident_id).state == "new"
        rec, ref = self._scored("cad_entry", incident_id,
                                lambda: ConsoleDispatch.create_cad(self, incident_id, user, draft))
        if was_new:
            self.run.log("acknowledge", ref, detail=f"acknowledged with the CAD entry after {_delay_s(rec):.0f} s")
        units = ", ".join(rec.units + rec.self_dispatched)
        self.run.log("cad_entry", ref, detail=f"CAD {rec.cad_number}: {draft.type_code} priority {draft.priority}, "
                                              f"units {units or 'none'}",
                     data={"type_code": draft.type_code, "priority": int(draft.priority),
                           "cad_number": rec.cad_number})
        if draft.ems_requested:
            ev = self.run.event_of(rec.store_id)
            call = self.run.victim_call_for(ev)
            self.run.log("request_ems", call.id if call else ref, detail="EMS requested with the CAD entry",
                         data={"event": ev})
        return rec

    def on_scene(self, incident_id: str, user: User) -> AlertRecord:
        rec, ref = self._scored("on_scene", incident_id, lambda: ConsoleDispatch.on_scene(self, incident_id, user))
        self.run.log("on_scene", ref, detail="units on scene")
        return rec

    def close(self, incident_id: str, user: User, disposition_label: str) -> AlertRecord:
        rec, ref = self._scored("close", incident_id,
                                lambda: ConsoleDispatch.close(self, incident_id, user, disposition_label))
        disp = choice(disposition_label).disposition
        self.run.log("close", ref, detail=f"closed as {disposition_label}", data={"disposition": disp})
        return rec

    def supervisor_confirm(self, incident_id: str, user: User) -> AlertRecord:
        rec, ref = self._scored("supervisor_confirm", incident_id,
                                lambda: ConsoleDispatch.supervisor_confirm(self, incident_id, user))
        self.run.log("supervisor_confirm", ref, detail=f"confirmed by {user.id}")
        return rec

    def link_call(self, incident_id: str, user: User, *, victim_confirmed: bool = False,
                  subject_description: str | None = None, vehicle_description: str | None = None,
                  discarded_weapon: str | None = None) -> AlertRecord:
        sid = self.get(incident_id).store_id
        call = self.run.pending_call(sid)
        call_ref = call.id if call is not None else f"unscripted call on {self.run.ref_of(sid)}"
        try:
            rec = ConsoleDispatch.link_call(self, incident_id, user, victim_confirmed=victim_confirmed,
                                            subject_description=subject_description,
                                            vehicle_description=vehicle_description,
                                            discarded_weapon=discarded_weapon)
        except (StoreError, KeyError) as exc:
            self.run.log("link_call", call_ref, ok=False, detail=str(exc).strip("'\""))
            raise
        ev = self.run.event_of(sid)
        where = "" if call is None or call.event == ev else f" (the caller described {call.event or 'nothing detected'})"
        self.run.log("link_call", call_ref, detail=f"call linked to alert #{sid}{where}"
                     + ("; EMS requested (victim confirmed)" if victim_confirmed else ""),
                     data={"event": ev, "ems": bool(victim_confirmed and rec.ems_requested)})
        return rec

    def call_prefill(self, incident_id: str) -> dict | None:
        """The oldest scenario call not yet linked, for the call dialog."""
        try:
            return self.run.call_values(self.get(incident_id).store_id)
        except KeyError:
            return self.run.call_values(None)

    # ---- what only the scenario can answer ------------------------------------------------------
    def notify_supervisor(self, incident_id: str, user: User) -> AlertRecord:
        """Tell the (role-played) supervisor about this alert; the scenario's supervisor
        confirms it at once."""
        ref = self.run.ref_of(self.get(incident_id).store_id)
        if ref.startswith("alert #"):
            self.run.log("notify_supervisor", ref, ok=False, detail="not an alert of this scenario")
            raise ValidationError("this alert is not part of the scenario; the supervisor was not notified")
        res = self.run.act("notify_supervisor", ref)
        if not res.ok:
            raise ValidationError(res.detail)
        return self.get_fresh(incident_id)

    def open_missed_report(self, user: User) -> str:
        """Open the missed-incident report for the newest unreported finding; its words."""
        m = self.run.pending_missed()
        if m is None:
            raise ValidationError("no missed-gunfire finding is waiting for a report")
        res = self.run.act("missed_report", m.id)
        if not res.ok:
            raise ValidationError(res.detail)
        return res.detail


def _delay_s(rec: AlertRecord) -> float:
    if rec.acknowledged_ns is None:
        return 0.0
    return (rec.acknowledged_ns - rec.reported_ns) / 1e9
