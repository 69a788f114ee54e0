"""The console's one service façade — a thin adapter over ``app.dispatch`` + ``app.store``.

Every rule lives in those services: ``Intake`` records the engine's incidents (on the
engine worker's thread, with its own SQLite connection); ``Workflow``, ``CitizenCalls``
and ``Users`` check roles, states and agency policy and write the records.  This class
only turns the console's vocabulary (engine incident ids, a chosen disposition in words,
a CAD draft) into those calls, and keeps an ``AlertRecord`` view per incident for the
widgets, refreshed from the store after every change.  Errors are the services' own
``PermissionDenied`` / ``ValidationError`` / ``NotFoundError``, and ``IncidentPurged`` when an
alert the console shows has been purged from the store by the retention policy since it was
read (only that purge deletes an engine-located incident: ``app.dispatch.retention``).
"""
from __future__ import annotations

import contextlib
import gc
import logging
from dataclasses import dataclass
from functools import partial
from typing import Iterable, Iterator, Sequence

from localization.geometry import LocalFrame
from localization.types import Incident

from app.console_services.alert_record import AlertRecord, CitizenCall, Revision, split_address
from app.console_services.cad import prefill
from app.dispatch import CitizenCalls, Intake, MonitorStatus, User, Users, Workflow
from app.dispatch.agency import AgencyProfile
from app.dispatch.cad_entry import CadDraft, validate_cad
from app.dispatch.dispositions import choice, label_for
from app.store import (IncidentDetail, IncidentQuery, IncidentSummary, NotFoundError, ShotOutline, Store,
                       ValidationError)

log = logging.getLogger(__name__)


#: a history load this large ends with one full collector pass (see ``load_recent``)
_FULL_PASS_AFTER_VIEWS = 5000
#: a message about purged alerts names at most this many
_NAMED_PURGED = 5


def purged_message(views: Sequence[AlertRecord]) -> str:
    """"Incident PT-0003 (#12) was purged under the retention policy: …", or for several
    "3 incidents were purged …: PT-0003 (#12), …" — one sentence for any number of alerts."""
    names = ", ".join(f"{v.incident_id} (#{v.store_id})" for v in views[:_NAMED_PURGED])
    if len(views) > _NAMED_PURGED:
        names += f" and {len(views) - _NAMED_PURGED} more"
    if len(views) == 1:
        return f"Incident {names} was purged under the retention policy: it can no longer be read or changed"
    # Count and reason first: a status bar cuts a long message off at its end.
    return f"{len(views)} incidents were purged under the retention policy and can no longer be read or changed: {names}"


class IncidentPurged(NotFoundError):
    """The incident of an alert the console shows is no longer in the store: the retention
    purge removed it after the console had read it."""

    def __init__(self, view: AlertRecord) -> None:
        super().__init__(purged_message([view]))
        self.view = view


def unreadable_message(view: AlertRecord, exc: LookupError) -> str:
    """What the console says when an alert's full incident cannot be read (``view.incident``)."""
    if isinstance(exc, IncidentPurged):
        return str(exc)
    return f"Incident {view.incident_id} can no longer be read: {exc}"


@dataclass(frozen=True, slots=True)
class Recorded:
    """One engine incident as recorded by the worker: handed to the GUI thread."""

    incident: Incident
    store_id: int
    created: bool
    t_emit_ns: int = 0


class ConsoleDispatch:
    def __init__(self, store: Store, agency: AgencyProfile, *, frame: LocalFrame | None, address_locator=None,
                 exercise: bool = False) -> None:
        self.store = store
        self.agency = agency
        self.frame = frame
        self.exercise = exercise
        self.clock = store.clock
        self.intake = Intake(store, frame, address_locator, exercise=exercise)
        self.workflow = Workflow(store, agency)
        self.users = Users(store)
        self.calls = CitizenCalls(store, agency)
        self._views: dict[str, AlertRecord] = {}
        self._engine: dict[str, Incident] = {}
        #: how a bulk-loaded view reads its full incident (shared by all; holds the store, not self)
        self._read_incident = partial(_read_engine_incident, store)

    # ---- worker thread -------------------------------------------------------------------
    def record(self, incidents: Iterable[Incident], t_emit_ns: int = 0) -> list[Recorded]:
        """Record engine incidents (call on the worker thread).  Stale or repeated engine
        revisions are dropped by the store; an invalid incident is logged, never raised,
        so one bad result cannot stop the feed."""
        out = []
        for inc in incidents:
            try:
                res = self.intake.record(inc)
            except ValidationError as exc:
                log.error("engine incident %s not recorded: %s", inc.id, exc)
                continue
            if res.changed:
                out.append(Recorded(inc, res.incident_id, res.created, t_emit_ns))
        return out

    def close_thread(self) -> None:
        """Close the calling thread's SQLite connection (the worker, when it stops)."""
        self.store.close()

    # ---- reading (GUI thread) ----------------------------------------------------------------
    def accept(self, rec: Recorded) -> tuple[AlertRecord, bool]:
        """A recorded incident arrived from the worker: refresh its view; (view, is_new)."""
        self._engine[rec.incident.id] = rec.incident
        is_new = rec.incident.id not in self._views
        return self._refresh(rec.incident.id, rec.store_id), is_new

    def get(self, incident_id: str) -> AlertRecord:
        view = self._views.get(incident_id)
        if view is None:
            try:
                return self._refresh(incident_id, self.store.incident_id_for(incident_id))
            except NotFoundError as exc:
                raise KeyError(str(exc)) from None
        return view

    def forget_purged(self) -> list[AlertRecord]:
        """The views whose incident the retention purge has removed from the store (their store
        id names no incident, or another one), oldest first — forgotten, so the console shows
        them no more.  One query for every view: an alert found purged brings the others the
        same purge removed with it."""
        stored = self.store.incident_uids(v.store_id for v in self._views.values())
        gone = sorted((v for v in self._views.values() if stored.get(v.store_id) != v.incident_id),
                      key=lambda v: (v.reported_ns, v.store_id))
        for v in gone:
            del self._views[v.incident_id]
            self._engine.pop(v.incident_id, None)
        return gone

    def shot_outlines(self, views: Sequence[AlertRecord]) -> dict[str, tuple[ShotOutline, ...]]:
        """Each view's shots as the map draws them, by incident id: from its full incident when
        that has been read, else from the store — for all such views in one query, reading no
        full incident (history views keep theirs unread).  Views whose incident has been
        purged from the store are left out."""
        out = {v.incident_id: ShotOutline.of(v.loaded_incident) for v in views if v.loaded_incident is not None}
        unread = {v.store_id: v for v in views if v.loaded_incident is None}
        if unread:
            stored = self.store.shot_outlines({sid: v.summary for sid, v in unread.items()})
            out.update((v.incident_id, stored[sid]) for sid, v in unread.items() if sid in stored)
        return out

    def records(self) -> list[AlertRecord]:
        return list(self._views.values())

    def __len__(self) -> int:
        return len(self._views)

    def load_recent(self, limit: int = 500) -> list[AlertRecord]:
        """Views of the newest ``limit`` engine-located incidents (history at start-up).

        Read in bulk — one query per table for all of them, in one read snapshot — and
        without decoding a single shot: each view's full incident is read from the store
        (the same immutable revision its summary describes) when something first asks for
        it.  A view equals the one ``get`` builds for the same incident."""
        with _collector_paused(), self.store.read_snapshot():
            details = self.store.incident_details(IncidentQuery(exercise=self.exercise), limit=limit)
            summaries = self.store.incident_summaries(d.incident.id for d in details)
            out = []
            for d in details:
                summary = summaries.get(d.incident.id)
                if summary is None:
                    continue   # imported incidents have no shots to draw
                uid = d.incident.uid
                view = self._view(uid, d, summary)
                inc = self._engine.get(uid)
                if inc is not None and IncidentSummary.of(inc) == summary:
                    view.incident = inc
                else:
                    view.defer_incident(summary, self._read_incident)
                out.append(view)
            del details, summaries
        if len(out) >= _FULL_PASS_AFTER_VIEWS and gc.isenabled():
            # The collections put off while building come due now, in one pass (~0.1 s for
            # 50,000 views), not at a random later moment — a dispatcher's first keystroke in
            # the queue filter, say.
            gc.collect()
        return out

    def _refresh(self, uid: str, store_id: int) -> AlertRecord:
        d = self.store.get_incident(store_id)
        inc = self._engine.get(uid)
        if inc is None and uid in self._views:
            inc = self._views[uid].loaded_incident      # a bulk-loaded view read since
        if inc is None or inc.revision != (d.revisions[-1].engine_revision or 0) or inc.kind != d.incident.kind:
            inc = self.store.engine_incident(store_id)
            self._engine[uid] = inc
        view = self._view(uid, d, IncidentSummary.of(inc))
        view.incident = inc
        return view

    def _view(self, uid: str, d: IncidentDetail, summary: IncidentSummary) -> AlertRecord:
        """The view of ``uid`` (made on first sight) with the store's current workflow state."""
        row = d.incident
        words, near = split_address(row.address)
        view = self._views.get(uid)
        if view is None:
            view = AlertRecord(summary=summary, reported_ns=row.created_ns, lat_deg=row.lat or 0.0,
                               lon_deg=row.lon or 0.0, location_words=words, near_words=near, store_id=row.id,
                               training=row.exercise)
            self._views[uid] = view
        disp = next((a for a in d.acknowledgments if a["kind"] == "dispatcher"), None)
        sup = next((a for a in d.acknowledgments if a["kind"] == "supervisor"), None)
        last_disp = d.dispositions[-1] if d.dispositions else None
        view.lat_deg, view.lon_deg = row.lat or 0.0, row.lon or 0.0
        view.location_words, view.near_words = words, near
        view.updated_ns = row.updated_ns
        view.state = row.status
        view.acknowledged_by = disp["user_id"] if disp else None
        view.acknowledged_ns = disp["t_ns"] if disp else None
        view.escalated_ns = d.escalation["t_ns"] if d.escalation else None
        view.supervisor_confirmed_by = sup["user_id"] if sup else None
        view.cad_number = d.cad_entries[-1]["cad_number"] if d.cad_entries else None
        view.disposition = label_for(last_disp["disposition"], last_disp["evidence"], last_disp["other_source"]) \
            if last_disp else None
        view.units = tuple(u["unit"] for u in d.units if not u["self_dispatched"])
        view.self_dispatched = tuple(u["unit"] for u in d.units if u["self_dispatched"])
        view.ems_requested = bool(d.ems_requests)
        view.revisions = tuple([Revision(r.revision, r.created_ns, r.kind, r.rounds, r.shooters, r.err95_m or 0.0,
                                         r.actor) for r in d.revisions])
        view.calls = tuple([CitizenCall(c["received_ns"], c["user_id"], _call_words(c)) for c in d.citizen_calls])
        return view

    # ---- the user's actions (GUI thread) --------------------------------------------------------
    def _stored_id(self, incident_id: str) -> int:
        """The store id of the alert a user acts on, checked to still be that incident's
        (``IncidentPurged`` when the retention purge has removed it)."""
        view = self.get(incident_id)
        try:
            if self.store.get_incident_row(view.store_id).uid == view.incident_id:
                return view.store_id
        except NotFoundError:
            pass
        raise IncidentPurged(view)

    def cad_prefill(self, incident_id: str) -> CadDraft:
        """The CAD entry form's draft for this alert (``app.console_services.cad.prefill``)."""
        self._stored_id(incident_id)
        return prefill(self.get(incident_id), self.agency)

    def acknowledge(self, incident_id: str, user: User) -> AlertRecord:
        self.workflow.acknowledge(self._stored_id(incident_id), user.id)
        return self.get_fresh(incident_id)

    def create_cad(self, incident_id: str, user: User, draft: CadDraft) -> AlertRecord:
        """Acknowledge (when still new), dispatch the units, attach self-dispatched ones and
        record an EMS request — each by the workflow service, which checks it."""
        errors = validate_cad(draft, self.agency)
        if errors:
            raise ValidationError("; ".join(errors.values()))
        sid = self._stored_id(incident_id)
        if self.get(incident_id).state == "new":
            self.workflow.acknowledge(sid, user.id)
        units = list(draft.units) or list(draft.self_dispatched[:1])
        self.workflow.dispatch(sid, user.id, units)
        for unit in draft.self_dispatched:
            if unit not in units:
                self.workflow.attach_unit(sid, user.id, unit, self_dispatched=True)
        if draft.ems_requested:
            self.workflow.request_ems(sid, user.id, reason="requested with the CAD entry")
        return self.get_fresh(incident_id)

    def on_scene(self, incident_id: str, user: User) -> AlertRecord:
        self.workflow.on_scene(self._stored_id(incident_id), user.id)
        return self.get_fresh(incident_id)

    def close(self, incident_id: str, user: User, disposition_label: str) -> AlertRecord:
        c = choice(disposition_label)
        self.workflow.close(self._stored_id(incident_id), user.id, c.disposition, evidence=c.evidence,
                            other_source=c.other_source)
        return self.get_fresh(incident_id)

    def supervisor_confirm(self, incident_id: str, user: User) -> AlertRecord:
        self.workflow.supervisor_confirm(self._stored_id(incident_id), user.id)
        return self.get_fresh(incident_id)

    def link_call(self, incident_id: str, user: User, *, victim_confirmed: bool = False,
                  subject_description: str | None = None, vehicle_description: str | None = None,
                  discarded_weapon: str | None = None) -> AlertRecord:
        self.calls.link_call(self._stored_id(incident_id), user.id, victim_confirmed=victim_confirmed,
                             subject_description=subject_description, vehicle_description=vehicle_description,
                             discarded_weapon=discarded_weapon)
        return self.get_fresh(incident_id)

    def call_prefill(self, incident_id: str) -> dict | None:
        """What the call dialog starts with for this alert (live: nothing, the dispatcher
        types what the caller says; training: the scenario's call)."""
        return None

    def get_fresh(self, incident_id: str) -> AlertRecord:
        return self._refresh(incident_id, self.get(incident_id).store_id)

    # ---- timers ------------------------------------------------------------------------------------
    def escalate_overdue(self) -> list[AlertRecord]:
        """Escalations made now (each incident is escalated once, by the workflow)."""
        out = []
        for esc in self.workflow.escalate_overdue():
            uid = self.store.get_incident_row(esc.incident_id).uid
            out.append(self._refresh(uid, esc.incident_id))
        return out

    def awaiting_supervisor(self) -> list[AlertRecord]:
        out = []
        for sid in self.workflow.awaiting_supervisor():
            uid = self.store.get_incident_row(sid).uid
            try:
                out.append(self._views.get(uid) or self._refresh(uid, sid))
            except NotFoundError:
                continue
        return out

    def monitoring_status(self) -> MonitorStatus:
        return self.workflow.monitoring_status()


def _read_engine_incident(store: Store, view: AlertRecord) -> Incident:
    """A bulk-loaded view's full incident: the shots of the revision its summary describes.
    Revisions are immutable, so that read fails only when the incident has been purged."""
    try:
        return store.engine_incident(view.store_id, summary=view.summary)
    except NotFoundError as exc:
        raise IncidentPurged(view) from exc


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Build many long-lived objects without the cyclic garbage collector walking them again
    and again while they are made (it made seven full passes over the growing heap during a
    50,000-view load: a fifth of the time).  Leaves the collector as it found it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _call_words(c: dict) -> str:
    bits = []
    if c["victim_confirmed"]:
        bits.append("VICTIM CONFIRMED (EMS requested)")
    for key, name in (("subject_description", "subject"), ("vehicle_description", "vehicle"),
                      ("discarded_weapon", "weapon")):
        if c[key]:
            bits.append(f"{name}: {c[key]}")
    return "; ".join(bits) or "duplicate call, nothing new"
