"""Plays a training scenario: the simulator's pulses through the real engine into a
separate exercise database, on a scenario clock.  Alerts, citizen calls, sensor outages
and the missed incident come out as ``Stimulus`` items in time order; the trainee's
actions go through the real dispatch services (``act``) and are logged as
``TraineeAction`` for scoring.

The same session serves the headless run (``run_headless``: a scripted trainee, or none)
and the console (which polls ``advance_to`` with the elapsed wall-clock time).  Nothing
here touches a real database: the store is opened by the caller on a training file, and
every incident is recorded with ``exercise=True`` (CAP status Exercise).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from app.store import Store
from app.store.clock import NS_PER_S, ManualClock
from app.store.errors import StoreError
from app.training.scenario import TrainingScenario
from localization.types import Incident

TRAINEE = "trainee"
SUPERVISOR = "sup.trainer"
STEP_S = 0.5
MATCH_RADIUS_M = 300.0


@dataclass(frozen=True, slots=True)
class Stimulus:
    t_s: float
    kind: str          # alert | alert_update | call | outage_start | outage_end | missed_found
    ref: str           # event id, call id, sensor id or missed id
    text: str
    incident_id: int | None = None


@dataclass(frozen=True, slots=True)
class TraineeAction:
    t_s: float
    action: str
    ref: str
    ok: bool = True
    detail: str = ""
    data: dict = field(default_factory=dict)


def _site(name: str):
    """(sensors, frame, locator-or-None, coverage ring) of the scenario's site."""
    if name == "port-tocsin":
        from app.geo import AddressLocator, load_democity

        city = load_democity()
        try:
            locator = AddressLocator(city.layers())
        except Exception:  # noqa: BLE001 - addresses are a nicety; the run goes on without
            locator = None
        return list(city.sensors), city.frame, locator
    from localization.geometry import LocalFrame
    from localization.types import Sensor

    sensors = [Sensor(f"G{i * 5 + j:02d}", (i - 2) * 450.0, (j - 2) * 450.0) for i in range(5) for j in range(5)]
    return sensors, LocalFrame(29.5, -140.5), None


class TrainingSession:
    def __init__(self, scenario: TrainingScenario, store: Store, *, trainee: str = TRAINEE) -> None:
        from app.dispatch import CitizenCalls, Intake, MissedIncidents, Workflow, load_agency
        from app.dispatch.users import Users
        from app.feeds.scenario import DEFAULT_START_NS, plan_from_dict
        from app.feeds.timeline import build_timeline

        if not isinstance(store.clock, ManualClock):
            raise ValueError("a training session needs a store opened with a ManualClock (the scenario clock)")
        self.scenario = scenario
        self.store = store
        self.clock: ManualClock = store.clock
        self.trainee = trainee
        self.agency = load_agency(scenario.agency)
        self.sensors, self.frame, self.locator = _site(scenario.site)
        plan = plan_from_dict(scenario.plan_doc([{"id": s.id, "x_m": s.x_m, "y_m": s.y_m, "z_m": s.z_m}
                                                 for s in self.sensors]))
        self.start_ns = plan.start_ns if plan.start_ns else DEFAULT_START_NS
        self.clock.set(self.start_ns)
        self.timeline = build_timeline(plan)
        self.plan = plan
        users = Users(store)
        if not users.list():
            users.create("admin", "Training admin", "admin", "training-admin", actor=None)
        have = {u.id for u in users.list()}
        if trainee not in have:
            users.create(trainee, "Trainee", "dispatcher", f"{trainee}-training", actor="admin")
        if SUPERVISOR not in have:
            users.create(SUPERVISOR, "Training supervisor", "supervisor", f"{SUPERVISOR}-training", actor="admin")
        if not store.sensors():
            for sensor in self.sensors:
                store.upsert_sensor(sensor, frame=self.frame, actor="training")
        self.intake = Intake(store, self.frame, self.locator, exercise=True)
        self.workflow = Workflow(store, self.agency, clock=self.clock)
        self.calls_svc = CitizenCalls(store, self.agency)
        self.missed_svc = MissedIncidents(store, self.agency)
        self._engine_out = self._run_engine()
        self._pending = sorted(self._scripted_stimuli() + [(t, "engine", inc) for t, inc in self._engine_out],
                               key=lambda x: (x[0], 0 if x[1] == "engine" else 1))
        self.now_s = 0.0
        self.stimuli: list[Stimulus] = []
        self.actions: list[TraineeAction] = []
        self.alert_of: dict[str, int] = {}          # scenario event id → store incident id
        self.alert_t: dict[str, float] = {}         # scenario event id → first alert time (s)
        self.event_of_incident: dict[int, str] = {}
        self.unmatched_alerts: list[int] = []

    # ------------------------------------------------------------------ engine
    def _run_engine(self) -> list[tuple[float, Incident]]:
        """Every incident revision the engine emits, with the scenario time it was emitted."""
        from localization.engine import Engine, EngineConfig

        engine = Engine(self.plan.sensors, EngineConfig())
        out: list[tuple[float, Incident]] = []
        pulses = [it for it in self.timeline.items if it.kind == "pulse"]
        if not pulses:
            return out
        step = int(STEP_S * NS_PER_S)
        t = self.start_ns
        i = 0
        end = max(self.plan.end_ns, pulses[-1].deliver_ns) + 30 * NS_PER_S
        while t <= end:
            t += step
            batch = []
            while i < len(pulses) and pulses[i].deliver_ns <= t:
                batch.append(pulses[i].pulse)
                i += 1
            for inc in engine.push(batch, now_ns=t):
                out.append(((t - self.start_ns) / NS_PER_S, inc))
            if i >= len(pulses) and t > pulses[-1].deliver_ns + 20 * NS_PER_S:
                break
        for inc in engine.flush():
            out.append(((t - self.start_ns) / NS_PER_S, inc))
        return out

    def _scripted_stimuli(self) -> list[tuple[float, str, object]]:
        items: list[tuple[float, str, object]] = []
        for c in self.scenario.calls:
            items.append((c.at_s, "call", c))
        for m in self.scenario.missed:
            items.append((m.at_s, "missed", m))
        for o in self.scenario.outages:
            items.append((o.start_s, "outage_start", o))
            items.append((o.end_s, "outage_end", o))
        return items

    def match_event(self, inc: Incident) -> str | None:
        """The scenario event this engine incident is (truth: time and place)."""
        best = None
        for e in self.scenario.events:
            shots = [s for s in self.plan.events.shots if s.incident_id == e.id]
            if not shots:
                continue
            t0 = min(s.t_ns for s in shots) - 3 * NS_PER_S
            t1 = max(s.t_ns for s in shots) + 3 * NS_PER_S
            if not t0 <= inc.start_ns <= t1:
                continue
            d = min(math.hypot(inc.x_m - s.x_m, inc.y_m - s.y_m) for s in shots)
            if d <= MATCH_RADIUS_M and (best is None or d < best[0]):
                best = (d, e.id)
        return None if best is None else best[1]

    # ---------------------------------------------------------------- playing
    @property
    def finished(self) -> bool:
        return not self._pending and self.now_s >= self.scenario.duration_s

    def next_due_s(self) -> float | None:
        return self._pending[0][0] if self._pending else None

    def advance_to(self, t_s: float) -> list[Stimulus]:
        """Play everything due up to scenario time ``t_s``; returns the new stimuli."""
        new: list[Stimulus] = []
        while self._pending and self._pending[0][0] <= t_s:
            at, kind, obj = self._pending.pop(0)
            self._set_time(at)
            s = self._play(at, kind, obj)
            if s is not None:
                new.append(s)
        self._set_time(max(self.now_s, t_s))
        self.stimuli += new
        return new

    def _set_time(self, t_s: float) -> None:
        self.now_s = max(self.now_s, t_s)
        self.clock.set(self.start_ns + int(round(self.now_s * NS_PER_S)))

    def _play(self, at: float, kind: str, obj) -> Stimulus | None:
        if kind == "engine":
            inc: Incident = obj  # type: ignore[assignment]
            res = self.intake.record(inc)
            ev = self.match_event(inc)
            if ev is not None:
                self.event_of_incident[res.incident_id] = ev
            elif res.created:
                self.unmatched_alerts.append(res.incident_id)
            what = f"{inc.kind.replace('_', ' ')}, {inc.rounds} round(s)"
            if res.created:
                if ev is not None and ev not in self.alert_of:
                    self.alert_of[ev] = res.incident_id
                    self.alert_t[ev] = at
                return Stimulus(at, "alert", ev or "?", f"alert #{res.incident_id}: {what}", res.incident_id)
            if res.changed:
                return Stimulus(at, "alert_update", ev or "?", f"alert #{res.incident_id} revised: {what}",
                                res.incident_id)
            return None
        if kind == "call":
            c = obj
            return Stimulus(at, "call", c.id, f"911 call from {c.caller}: \"{c.says}\"")
        if kind == "missed":
            m = obj
            return Stimulus(at, "missed_found", m.id, f"{m.officer} reports evidence of gunfire "
                                                     f"({', '.join(m.evidence)}) with no alert")
        if kind in ("outage_start", "outage_end"):
            o = obj
            word = "starts" if kind == "outage_start" else "ends"
            return Stimulus(at, kind, o.sensor, f"sensor {o.sensor}: {o.kind.replace('_', ' ')} {word}")
        return None

    # ---------------------------------------------------------------- trainee
    def incident_for(self, event_id: str) -> int | None:
        return self.alert_of.get(event_id)

    def act(self, action: str, ref: str, **kw) -> TraineeAction:
        """Do ``action`` now (scenario clock) through the dispatch services.  ``ref`` is
        the event id (alert actions), call id (link_call, request_ems, new_incident) or
        missed id.  A refused action is logged with ok=False and the service's reason."""
        t = self.now_s
        data: dict = {}
        try:
            detail = self._do(action, ref, data, **kw)
            rec = TraineeAction(t, action, ref, True, detail, data)
        except (StoreError, KeyError, ValueError) as exc:
            rec = TraineeAction(t, action, ref, False, str(exc).strip("'\""), data)
        self.actions.append(rec)
        return rec

    def _need_incident(self, event_id: str | None) -> int:
        iid = self.alert_of.get(event_id or "")
        if iid is None:
            raise ValueError(f"no alert has been raised for {event_id!r}")
        return iid

    def _do(self, action: str, ref: str, data: dict, **kw) -> str:
        sc = self.scenario
        if action == "acknowledge":
            delay = self.workflow.acknowledge(self._need_incident(ref), self.trainee)
            return f"acknowledged after {delay:.0f} s"
        if action == "cad_entry":
            iid = self._need_incident(ref)
            data["type_code"] = kw.get("type_code") or self.agency.type_code
            data["priority"] = int(kw.get("priority") or self.agency.priority)
            units = list(self.agency.units[:1]) or ["TRN-1"]
            if self.store.get_incident_row(iid).status == "new":
                self.workflow.acknowledge(iid, self.trainee)
            cad = self.workflow.dispatch(iid, self.trainee, units, cad_number=f"TRN-{iid:06d}")
            data["cad_number"] = cad
            return f"CAD {cad}: {data['type_code']} priority {data['priority']}, units {', '.join(units)}"
        if action == "on_scene":
            self.workflow.on_scene(self._need_incident(ref), self.trainee)
            return "units on scene"
        if action == "close":
            iid = self._need_incident(ref)
            disp = kw.get("disposition") or "unfounded"
            ev = tuple(kw.get("evidence") or (("casings",) if disp == "founded" else ()))
            self.workflow.close(iid, self.trainee, disp, evidence=ev,
                                other_source="fireworks" if disp == "other_source" else None)
            data["disposition"] = disp
            return f"closed as {disp.replace('_', ' ')}"
        if action == "notify_supervisor":
            iid = self._need_incident(ref)
            with self.store.transaction() as conn:
                self.store.audit(conn, actor=self.trainee, action="training.notify_supervisor", entity="incident",
                                 entity_id=iid, details={"event": ref})
            # The role-played supervisor answers at once with a confirmation (the orders that
            # require one before closing, e.g. Pasadena, can then be followed through).
            try:
                self.workflow.supervisor_confirm(iid, SUPERVISOR, note="training: confirmed on notification")
                return "supervisor notified; supervisor confirmed the alert"
            except StoreError as exc:
                return f"supervisor notified ({exc})"
        if action in ("link_call", "request_ems", "new_incident"):
            call = next(c for c in sc.calls if c.id == ref)
            data["event"] = call.event
            if action == "new_incident":
                return "created a new incident for the call (not linked)"
            iid = self._need_incident(call.event)
            if action == "request_ems":
                with self.store.transaction() as conn:
                    conn.execute("INSERT INTO ems_requests (incident_id, call_id, t_ns, user_id, reason) VALUES "
                                 "(?, NULL, ?, ?, ?)", (iid, self.clock.now_ns(), self.trainee, "requested by trainee"))
                    self.store.audit(conn, actor=self.trainee, action="ems.request", entity="incident",
                                     entity_id=iid, details={"call": ref})
                return "EMS requested"
            res = self.calls_svc.link_call(iid, self.trainee, received_ns=self.start_ns + int(call.at_s * NS_PER_S),
                                           victim_confirmed=call.victim_confirmed, subject_description=call.subject,
                                           vehicle_description=call.vehicle, discarded_weapon=call.discarded_weapon)
            data["ems"] = res.ems_request_id is not None
            return f"call linked to alert #{iid}" + ("; EMS requested (victim confirmed)" if data["ems"] else "")
        if action == "missed_report":
            m = next(x for x in sc.missed if x.id == ref)
            lat, lon, _ = self.frame.to_geodetic(m.x_m, m.y_m)
            rep = self.missed_svc.open(officer=m.officer, found_ns=self.start_ns + int(m.at_s * NS_PER_S),
                                       lat=float(lat), lon=float(lon), evidence=m.evidence, user_id=self.trainee)
            return f"missed-incident report #{rep.id} opened"
        raise ValueError(f"unknown trainee action {action!r}")


def script_reference_s(session: TrainingSession, step: dict) -> float | None:
    """When a scripted trainee step happens: ``after_s`` after its reference (the event's
    first alert, the call, or the missed-incident finding); None if the alert never came."""
    sc = session.scenario
    if "call" in step:
        return next(c.at_s for c in sc.calls if c.id == step["call"]) + float(step["after_s"])
    if "missed" in step:
        return next(m.at_s for m in sc.missed if m.id == step["missed"]) + float(step["after_s"])
    t = session.alert_t.get(step.get("event", ""))
    return None if t is None else t + float(step["after_s"])


def run_headless(scenario: TrainingScenario, db_path: str | Path, *, script: list[dict] | None = None,
                 trainee: str = TRAINEE, on_stimulus=None) -> TrainingSession:
    """Play the whole scenario with a scripted trainee (``script``, default: the scenario's
    own ``[[trainee]]`` steps; pass [] for an absent trainee).  Returns the session, whose
    ``stimuli`` and ``actions`` feed the scoring and the after-action report."""
    store = Store.open(db_path, clock=ManualClock())
    session = TrainingSession(scenario, store, trainee=trainee)
    steps = list(scenario.trainee_script if script is None else script)
    done: set[int] = set()
    while True:
        # the next thing due: a scenario item or a scripted step whose reference is known
        due = [(script_reference_s(session, s), i) for i, s in enumerate(steps) if i not in done]
        due = [(t, i) for t, i in due if t is not None]
        t_next = session.next_due_s()
        t_step = min(due)[0] if due else None
        if t_step is not None and (t_next is None or t_step < t_next):
            i = min(due)[1]
            session.advance_to(t_step)
            s = steps[i]
            ref = s.get("event") or s.get("call") or s.get("missed")
            session.act(s["action"], ref, **{k: v for k, v in s.items()
                                             if k in ("disposition", "type_code", "priority", "evidence")})
            done.add(i)
            continue
        if t_next is None:
            break
        for st in session.advance_to(t_next):
            if on_stimulus is not None:
                on_stimulus(st)
    session.advance_to(scenario.duration_s)
    for i, s in enumerate(steps):   # steps whose alert never came: logged as impossible
        if i not in done:
            session.actions.append(TraineeAction(session.now_s, s["action"], s.get("event") or s.get("call") or "",
                                                 False, "no alert was raised to act on"))
    return session
