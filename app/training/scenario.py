"""Training scenario files (TOML): the simulation part is the live simulator's own
scenario format (``app.feeds.scenario``: events, outages, conditions), plus what a
trainer scripts around it — citizen calls, a missed incident, and the actions expected
from the trainee with time limits.  The format is documented in ``docs/scenarios.md``.

Validation is strict: an unknown table or key, a wrong type, an unknown event reference
or an impossible time is a ``ScenarioError`` naming the file, the entry and the rule.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.feeds.scenario import EVENT_BUILDERS, OUTAGE_KINDS, Outage
from app.paths import RESOURCES

FORMAT = "tocsin-training/1"
SCENARIOS_DIR = RESOURCES / "scenarios"
DECOY_KINDS = ("firecracker_string", "aerial_shells")
ACTIONS = ("acknowledge", "cad_entry", "on_scene", "link_call", "request_ems", "notify_supervisor", "close",
           "missed_report", "no_dispatch")
"""What a trainee can be expected to do.  ``no_dispatch``: must NOT create a CAD entry
(a decoy); ``link_call``: link the call to the existing incident, never a new incident."""
REFERENCE = {"acknowledge": "alert", "cad_entry": "alert", "on_scene": "alert", "notify_supervisor": "alert",
             "close": "alert", "no_dispatch": "alert", "link_call": "call", "request_ems": "call",
             "missed_report": "missed"}
DISPOSITIONS = ("founded", "unfounded", "other_source")


class ScenarioError(ValueError):
    """A scenario file that does not load; the message says where and why."""


@dataclass(frozen=True, slots=True)
class ScenarioEvent:
    id: str
    kind: str
    at_s: float
    x_m: float
    y_m: float
    params: dict = field(default_factory=dict)

    @property
    def decoy(self) -> bool:
        return self.kind in DECOY_KINDS


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    id: str
    at_s: float
    event: str | None          # the incident the caller is describing (None: nothing detected)
    caller: str
    says: str
    victim_confirmed: bool = False
    subject: str | None = None
    vehicle: str | None = None
    discarded_weapon: str | None = None


@dataclass(frozen=True, slots=True)
class MissedGunfire:
    """Gunfire the sensors did not detect; an officer finds evidence at ``at_s``."""
    id: str
    at_s: float
    x_m: float
    y_m: float
    officer: str
    evidence: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Expectation:
    action: str
    ref: str                   # event id, call id or missed id (see REFERENCE)
    within_s: float
    disposition: str | None = None
    note: str = ""

    @property
    def reference(self) -> str:
        return REFERENCE[self.action]


@dataclass(frozen=True)
class TrainingScenario:
    id: str
    title: str
    description: str
    general_order: str
    agency: str
    site: str
    duration_s: float
    seed: int
    events: tuple[ScenarioEvent, ...]
    calls: tuple[ScriptedCall, ...]
    missed: tuple[MissedGunfire, ...]
    outages: tuple[Outage, ...]
    expectations: tuple[Expectation, ...]
    conditions: dict
    trainee_script: tuple[dict, ...] = ()
    source: str = ""

    def event(self, event_id: str) -> ScenarioEvent:
        return next(e for e in self.events if e.id == event_id)

    def plan_doc(self, sensors: list[dict]) -> dict:
        """The simulation part as an ``app.feeds.scenario`` document."""
        evs = []
        for e in self.events:
            evs.append({"kind": e.kind, "at_s": e.at_s, "x_m": e.x_m, "y_m": e.y_m, "incident_id": e.id, **e.params})
        return {"name": self.title, "seed": self.seed, "duration_s": self.duration_s, "sensor": sensors,
                "conditions": dict(self.conditions), "event": evs,
                "outage": [{"sensor": o.sensor, "kind": o.kind, "start_s": o.start_s, "end_s": o.end_s}
                           for o in self.outages]}


_TOP = {"format": str, "scenario": dict, "conditions": dict, "event": list, "call": list, "missed": list,
        "outage": list, "expect": list, "trainee": list}
_SCENARIO_KEYS = {"title": (str, True), "description": (str, False), "general_order": (str, False),
                  "agency": (str, False), "site": (str, False), "duration_s": ((int, float), True),
                  "seed": (int, False)}
_EVENT_KEYS = {"id": (str, True), "kind": (str, True), "at_s": ((int, float), True), "x_m": ((int, float), True),
               "y_m": ((int, float), True)}
_CALL_KEYS = {"id": (str, False), "at_s": ((int, float), True), "event": (str, False), "caller": (str, True),
              "says": (str, True), "victim_confirmed": (bool, False), "subject": (str, False),
              "vehicle": (str, False), "discarded_weapon": (str, False)}
_MISSED_KEYS = {"id": (str, True), "at_s": ((int, float), True), "x_m": ((int, float), True),
                "y_m": ((int, float), True), "officer": (str, True), "evidence": (list, True), "note": (str, False)}
_OUTAGE_KEYS = {"sensor": (str, True), "kind": (str, True), "start_s": ((int, float), True),
                "end_s": ((int, float), True)}
_EXPECT_KEYS = {"action": (str, True), "event": (str, False), "call": (str, False), "missed": (str, False),
                "within_s": ((int, float), True), "disposition": (str, False), "note": (str, False)}
_TRAINEE_KEYS = {"action": (str, True), "event": (str, False), "call": (str, False), "missed": (str, False),
                 "after_s": ((int, float), True), "disposition": (str, False), "type_code": (str, False),
                 "priority": (int, False), "evidence": (list, False)}
SITES = ("port-tocsin", "grid")


def _names(t) -> str:
    if isinstance(t, tuple):
        return "a number"
    return {str: "a string", int: "an integer", bool: "true or false", list: "a list", dict: "a table"}[t]


def _check(where: str, table: Any, spec: dict, fail, *, extra_ok: bool = False) -> None:
    if not isinstance(table, dict):
        raise fail(f"{where} must be a table")
    for k in table:
        if k not in spec and not extra_ok:
            raise fail(f"{where}: unknown key {k!r}; known keys: {', '.join(spec)}")
    for k, (typ, required) in spec.items():
        if k not in table:
            if required:
                raise fail(f"{where}: missing key {k!r}")
            continue
        v = table[k]
        if (isinstance(v, bool) and typ is not bool) or not isinstance(v, typ):
            raise fail(f"{where}: {k} must be {_names(typ)}, got {v!r}")


def load_scenario(path: str | Path) -> TrainingScenario:
    p = Path(path)
    if not p.suffix and not p.exists():
        p = SCENARIOS_DIR / f"{path}.toml"
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"no scenario file {p}; `tocsin train --list` shows the shipped ones") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{p}: not valid TOML: {exc}") from None
    return scenario_from_dict(doc, source=str(p), scenario_id=p.stem)


def scenario_from_dict(doc: dict, *, source: str = "<scenario>", scenario_id: str = "scenario") -> TrainingScenario:
    def fail(msg: str) -> ScenarioError:
        return ScenarioError(f"{source}: {msg}")

    for k, v in doc.items():
        if k not in _TOP:
            raise fail(f"unknown top-level key {k!r}; known: {', '.join(_TOP)}")
        if not isinstance(v, _TOP[k]):
            raise fail(f"{k} must be {'an array of tables [[' + k + ']]' if _TOP[k] is list else _names(_TOP[k])}")
    if doc.get("format") != FORMAT:
        raise fail(f"format must be {FORMAT!r}, got {doc.get('format')!r}")
    if "scenario" not in doc:
        raise fail("missing [scenario] table")
    sc = doc["scenario"]
    _check("[scenario]", sc, _SCENARIO_KEYS, fail)
    duration = float(sc["duration_s"])
    if not 10 <= duration <= 4 * 3600:
        raise fail(f"[scenario] duration_s must be 10 s … 4 h, got {duration:g}")
    site = sc.get("site", "port-tocsin")
    if site not in SITES:
        raise fail(f"[scenario] site must be one of {', '.join(SITES)}, got {site!r}")
    agency = sc.get("agency", "port-tocsin")
    from app.dispatch.agency import AgencyProfileError, load_agency

    try:
        load_agency(agency)
    except AgencyProfileError as exc:
        raise fail(f"[scenario] agency: {exc}") from None

    def at(where: str, t: float, name: str = "at_s") -> float:
        t = float(t)
        if not 0 <= t <= duration:
            raise fail(f"{where}: {name} must be within the scenario (0 … {duration:g} s), got {t:g}")
        return t

    events, ids = [], set()
    for i, e in enumerate(doc.get("event", []), start=1):
        where = f"[[event]] {i}"
        _check(where, e, _EVENT_KEYS, fail, extra_ok=True)
        if e["kind"] not in EVENT_BUILDERS:
            raise fail(f"{where}: kind must be one of {', '.join(EVENT_BUILDERS)}, got {e['kind']!r}")
        if e["id"] in ids:
            raise fail(f"{where}: id {e['id']!r} is used twice")
        ids.add(e["id"])
        params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in e.items() if k not in _EVENT_KEYS}
        if "incident_id" in params or "t_ns" in params or "seed" in params:
            raise fail(f"{where}: incident_id, t_ns and seed are set by the scenario; use id and at_s")
        events.append(ScenarioEvent(e["id"], e["kind"], at(where, e["at_s"]), float(e["x_m"]), float(e["y_m"]), params))
    calls, call_ids = [], set()
    for i, c in enumerate(doc.get("call", []), start=1):
        where = f"[[call]] {i}"
        _check(where, c, _CALL_KEYS, fail)
        cid = c.get("id", f"call-{i}")
        if cid in call_ids:
            raise fail(f"{where}: id {cid!r} is used twice")
        call_ids.add(cid)
        if "event" in c and c["event"] not in ids:
            raise fail(f"{where}: event {c['event']!r} is not an [[event]] id (known: {', '.join(sorted(ids)) or 'none'})")
        calls.append(ScriptedCall(cid, at(where, c["at_s"]), c.get("event"), c["caller"], c["says"],
                                  bool(c.get("victim_confirmed", False)), c.get("subject"), c.get("vehicle"),
                                  c.get("discarded_weapon")))
    missed, missed_ids = [], set()
    for i, m in enumerate(doc.get("missed", []), start=1):
        where = f"[[missed]] {i}"
        _check(where, m, _MISSED_KEYS, fail)
        from app.dispatch.missed import EVIDENCE

        ev = tuple(m["evidence"])
        if not ev or any(x not in EVIDENCE for x in ev):
            raise fail(f"{where}: evidence must be one or more of {', '.join(EVIDENCE)}, got {list(ev)}")
        missed_ids.add(m["id"])
        missed.append(MissedGunfire(m["id"], at(where, m["at_s"]), float(m["x_m"]), float(m["y_m"]), m["officer"], ev,
                                    m.get("note", "")))
    outages = []
    for i, o in enumerate(doc.get("outage", []), start=1):
        where = f"[[outage]] {i}"
        _check(where, o, _OUTAGE_KEYS, fail)
        if o["kind"] not in OUTAGE_KINDS:
            raise fail(f"{where}: kind must be one of {', '.join(OUTAGE_KINDS)}, got {o['kind']!r}")
        a, b = at(where, o["start_s"], "start_s"), at(where, o["end_s"], "end_s")
        if a >= b:
            raise fail(f"{where}: start_s must be before end_s")
        outages.append(Outage(o["sensor"], o["kind"], a, b))
    refs = {"event": ids, "call": call_ids, "missed": missed_ids}

    def ref_of(where: str, x: dict, action: str) -> str:
        kind = REFERENCE[action] if action in REFERENCE else "event"
        kind = "event" if kind == "alert" else kind
        given = [k for k in ("event", "call", "missed") if k in x]
        if given != [kind]:
            raise fail(f"{where}: action {action!r} refers to one {kind} (key {kind!r}), got {given or 'none'}")
        if x[kind] not in refs[kind]:
            raise fail(f"{where}: {kind} {x[kind]!r} is not defined (known: {', '.join(sorted(refs[kind])) or 'none'})")
        return x[kind]

    expectations = []
    for i, x in enumerate(doc.get("expect", []), start=1):
        where = f"[[expect]] {i}"
        _check(where, x, _EXPECT_KEYS, fail)
        if x["action"] not in ACTIONS:
            raise fail(f"{where}: action must be one of {', '.join(ACTIONS)}, got {x['action']!r}")
        ref = ref_of(where, x, x["action"])
        if not 0 < float(x["within_s"]) <= 24 * 3600:
            raise fail(f"{where}: within_s must be > 0 and at most a day, got {x['within_s']}")
        disp = x.get("disposition")
        if disp is not None and (x["action"] != "close" or disp not in DISPOSITIONS):
            raise fail(f"{where}: disposition belongs to action 'close' and is one of {', '.join(DISPOSITIONS)}")
        expectations.append(Expectation(x["action"], ref, float(x["within_s"]), disp, x.get("note", "")))
    script = []
    for i, x in enumerate(doc.get("trainee", []), start=1):
        where = f"[[trainee]] {i}"
        _check(where, x, _TRAINEE_KEYS, fail)
        action = x["action"]
        if action not in ACTIONS + ("new_incident", "dispatch_decoy") or action == "no_dispatch":
            raise fail(f"{where}: action {action!r} cannot be scripted")
        kind = "call" if action == "new_incident" else None
        if kind:
            if x.get("call") not in call_ids:
                raise fail(f"{where}: new_incident needs a call id")
        else:
            ref_of(where, x, action if action in REFERENCE else "acknowledge")
        script.append(dict(x))
    return TrainingScenario(
        id=scenario_id, title=sc["title"], description=sc.get("description", ""),
        general_order=sc.get("general_order", ""), agency=agency, site=site, duration_s=duration,
        seed=int(sc.get("seed", 0)), events=tuple(events), calls=tuple(calls), missed=tuple(missed),
        outages=tuple(outages), expectations=tuple(expectations), conditions=dict(doc.get("conditions", {})),
        trainee_script=tuple(script), source=source)


def shipped_scenarios() -> list[Path]:
    return sorted(SCENARIOS_DIR.glob("*.toml"))
