"""One trainee's run of a training scenario inside the console.  No Qt.

The ``TrainingSession`` (``app.training``) plays the scenario on its own clock into the
exercise database; this object paces it with the wall clock (``advance``, called by the
console's worker), keeps what the scenario says for the GUI to drain (``drain``: alerts,
citizen calls, outages, findings), logs what the trainee did through the console's
services (``log``) so it is scored exactly as a headless run is, and writes the
after-action report (HTML + PDF) at the end.

Threads: ``advance`` runs on the worker thread, everything else on the GUI thread; the
session's lists are guarded by one lock.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable

from app.training import Score, Stimulus, TraineeAction, TrainingSession, score_session
from app.training.scenario import MissedGunfire, ScriptedCall


class TrainingRun:
    def __init__(self, session: TrainingSession, *, speed: float = 1.0, out_dir: str | Path = ".",
                 wall_s: Callable[[], float] = time.monotonic) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0 (scenario seconds per wall-clock second), got {speed}")
        self.session = session
        self.speed = float(speed)
        self.out_dir = Path(out_dir)
        self._wall_s = wall_s
        self._t0: float | None = None
        self._lock = threading.RLock()
        self._outbox: deque[Stimulus] = deque()
        self.report_paths: list[Path] = []
        self._reported_at: tuple[int, int] | None = None   # (stimuli, actions) when last written

    @property
    def scenario(self):
        return self.session.scenario

    # ---- the scenario clock (worker thread) ------------------------------------------------------
    def advance(self) -> list[Stimulus]:
        """Play the scenario up to the wall-clock time elapsed since the first call (times
        ``speed``, capped at the scenario's end); returns the new stimuli."""
        now = self._wall_s()
        if self._t0 is None:
            self._t0 = now
        t_s = min((now - self._t0) * self.speed, self.scenario.duration_s)
        with self._lock:
            new = self.session.advance_to(t_s)
        self._outbox.extend(new)
        return new

    def drain(self) -> list[Stimulus]:
        """What the scenario produced since the last drain (GUI thread)."""
        out = []
        while self._outbox:
            out.append(self._outbox.popleft())
        return out

    @property
    def now_s(self) -> float:
        return self.session.now_s

    @property
    def finished(self) -> bool:
        return self.session.finished

    # ---- the trainee's actions (GUI thread) -----------------------------------------------------
    def event_of(self, store_id: int) -> str | None:
        """The scenario event an alert is (None: an alert the scenario did not plan)."""
        return self.session.event_of_incident.get(store_id)

    def ref_of(self, store_id: int) -> str:
        return self.event_of(store_id) or f"alert #{store_id}"

    def log(self, action: str, ref: str, *, ok: bool = True, detail: str = "", data: dict | None = None) -> TraineeAction:
        """Log an action the trainee did through the console's own services (now, on the
        scenario clock) — scored like the session's own ``act``."""
        with self._lock:
            rec = TraineeAction(self.session.now_s, action, ref, ok, detail, dict(data or {}))
            self.session.actions.append(rec)
        return rec

    def act(self, action: str, ref: str, **kw) -> TraineeAction:
        """An action only the training session can do (the role-played supervisor, the
        missed-incident report): done and logged by the session."""
        with self._lock:
            return self.session.act(action, ref, **kw)

    def received_calls(self) -> list[ScriptedCall]:
        with self._lock:
            got = {s.ref for s in self.session.stimuli if s.kind == "call"}
        return [c for c in self.scenario.calls if c.id in got]

    def pending_call(self, store_id: int | None = None) -> ScriptedCall | None:
        """The oldest call received and not yet linked — about this alert's event first."""
        with self._lock:
            linked = {a.ref for a in self.session.actions if a.ok and a.action in ("link_call", "new_incident")}
        waiting = [c for c in self.received_calls() if c.id not in linked]
        ev = self.event_of(store_id) if store_id is not None else None
        mine = [c for c in waiting if ev is not None and c.event == ev]
        return (mine or waiting or [None])[0]

    def call_values(self, store_id: int | None) -> dict | None:
        """The call dialog's fields as the caller gave them (the trainee checks and links)."""
        c = self.pending_call(store_id)
        if c is None:
            return None
        return {"victim_confirmed": c.victim_confirmed, "subject_description": c.subject,
                "vehicle_description": c.vehicle, "discarded_weapon": c.discarded_weapon,
                "caller": c.caller, "says": c.says, "call_id": c.id}

    def victim_call_for(self, event_id: str | None) -> ScriptedCall | None:
        return next((c for c in self.received_calls() if c.victim_confirmed and c.event == event_id), None)

    def pending_missed(self) -> MissedGunfire | None:
        """A missed-gunfire finding reported and no missed-incident report opened for it yet."""
        with self._lock:
            found = {s.ref for s in self.session.stimuli if s.kind == "missed_found"}
            done = {a.ref for a in self.session.actions if a.ok and a.action == "missed_report"}
        return next((m for m in self.scenario.missed if m.id in found and m.id not in done), None)

    # ---- the end -------------------------------------------------------------------------------
    def score(self) -> Score:
        with self._lock:
            return score_session(self.session)

    @property
    def report_stale(self) -> bool:
        with self._lock:
            return self._reported_at != (len(self.session.stimuli), len(self.session.actions))

    def write_report(self, *, pdf: bool = True) -> list[Path]:
        """Write the after-action report (``after-action-<scenario>.html`` and ``.pdf``) to
        ``out_dir``; returns the paths."""
        from app.reports import to_html, to_pdf
        from app.training.after_action import after_action_document

        with self._lock:
            result = score_session(self.session)
            doc = after_action_document(self.session, result)
            self._reported_at = (len(self.session.stimuli), len(self.session.actions))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        html = self.out_dir / f"after-action-{self.scenario.id}.html"
        html.write_text(to_html(doc), encoding="utf-8")
        paths = [html]
        if pdf:
            paths.append(self.out_dir / f"after-action-{self.scenario.id}.pdf")
            to_pdf(doc, paths[-1])
        self.report_paths = paths
        return paths

    def summary(self) -> str:
        r = self.score()
        return (f"score {r.percent:.0f} % ({r.count('met')} met, {r.count('late')} late, {r.count('wrong')} wrong, "
                f"{r.count('missed')} missed)")
