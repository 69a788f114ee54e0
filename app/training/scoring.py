"""Scores a trainee against the scenario's expected actions and time limits.

Each expectation gets one result: ``met`` (done, right, in time: 1 point), ``late``
(done right after the limit: ½), ``wrong`` (done in time but with the wrong type code,
priority or disposition, or a duplicate call made into a new incident: ¼), ``missed``
(not done: 0).  ``no_dispatch`` is met when no CAD entry was made for that (decoy) alert.
Times run from the reference: the event's first alert, the call, or the missed-incident
finding; when the sensors never alerted on an event, from the event itself.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.training.scenario import Expectation, TrainingScenario

POINTS = {"met": 1.0, "late": 0.5, "wrong": 0.25, "missed": 0.0}
LABEL = {"acknowledge": "Acknowledge the alert", "cad_entry": "CAD entry (type code, priority, location)",
         "on_scene": "Units on scene", "link_call": "Link the call to the alert (no new incident)",
         "request_ems": "Request EMS for the victim", "notify_supervisor": "Notify the supervisor",
         "close": "Close with the right disposition", "missed_report": "Open a missed-incident report",
         "no_dispatch": "Do not dispatch (not gunfire)"}


@dataclass(frozen=True, slots=True)
class Result:
    expectation: Expectation
    status: str
    reference_s: float
    done_s: float | None
    detail: str

    @property
    def delay_s(self) -> float | None:
        return None if self.done_s is None else self.done_s - self.reference_s

    @property
    def points(self) -> float:
        return POINTS[self.status]


@dataclass(frozen=True)
class Score:
    results: tuple[Result, ...]

    @property
    def points(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def percent(self) -> float:
        return 100.0 if not self.results else 100.0 * self.points / len(self.results)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


def reference_time(scenario: TrainingScenario, x: Expectation, alert_t: dict[str, float]) -> tuple[float, str]:
    if x.reference == "call":
        return next(c.at_s for c in scenario.calls if c.id == x.ref), "from the call"
    if x.reference == "missed":
        return next(m.at_s for m in scenario.missed if m.id == x.ref), "from the finding"
    if x.ref in alert_t:
        return alert_t[x.ref], "from the alert"
    return scenario.event(x.ref).at_s, "from the gunfire (no alert was raised)"


def score(scenario: TrainingScenario, actions, alert_t: dict[str, float], *, type_code: str, priority: int) -> Score:
    """``actions``: the session's ``TraineeAction`` log; ``alert_t``: event id → first alert (s)."""
    ok = [a for a in actions if a.ok]
    results = []
    for x in scenario.expectations:
        ref_s, ref_words = reference_time(scenario, x, alert_t)
        if x.action == "no_dispatch":
            cad = next((a for a in ok if a.action == "cad_entry" and a.ref == x.ref), None)
            results.append(Result(x, "met" if cad is None else "missed", ref_s, None if cad is None else cad.t_s,
                                  "no CAD entry made" if cad is None else f"dispatched at +{cad.t_s - ref_s:.0f} s"))
            continue
        if x.action == "request_ems":
            call = next(c for c in scenario.calls if c.id == x.ref)
            hit = next((a for a in ok if (a.action == "request_ems" and a.ref == x.ref)
                        or (a.action == "link_call" and a.ref == x.ref and a.data.get("ems"))
                        or (a.action == "request_ems" and a.data.get("event") == call.event)), None)
        else:
            hit = next((a for a in ok if a.action == x.action and a.ref == x.ref), None)
        if hit is None:
            why = "not done"
            if x.action == "link_call" and any(a.action == "new_incident" and a.ref == x.ref for a in actions):
                results.append(Result(x, "wrong", ref_s, next(a.t_s for a in actions if a.action == "new_incident"
                                                                and a.ref == x.ref),
                                      "made a new incident instead of linking the call as a duplicate"))
                continue
            refused = [a for a in actions if not a.ok and a.action == x.action and a.ref == x.ref]
            if refused:
                why = f"tried, refused: {refused[0].detail}"
            results.append(Result(x, "missed", ref_s, None, why))
            continue
        delay = hit.t_s - ref_s
        problems = []
        if x.action == "cad_entry":
            if hit.data.get("type_code") != type_code:
                problems.append(f"type code {hit.data.get('type_code')} (expected {type_code})")
            if hit.data.get("priority") != priority:
                problems.append(f"priority {hit.data.get('priority')} (expected {priority})")
        if x.action == "close" and x.disposition and hit.data.get("disposition") != x.disposition:
            problems.append(f"disposition {hit.data.get('disposition')} (expected {x.disposition})")
        timing = f"{delay:.0f} s {ref_words} (limit {x.within_s:.0f} s)"
        if problems:
            results.append(Result(x, "wrong", ref_s, hit.t_s, "; ".join(problems) + f"; {timing}"))
        elif delay <= x.within_s:
            results.append(Result(x, "met", ref_s, hit.t_s, timing))
        else:
            results.append(Result(x, "late", ref_s, hit.t_s, timing))
    return Score(tuple(results))
