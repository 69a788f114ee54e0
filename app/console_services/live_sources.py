"""Incident sources the console's worker polls (each: ``poll() -> list[Incident]``).

``SimulatedEngineSource`` is the demo's real path — live pulse simulator → engine; it is
used when those are importable.  ``SyntheticLiveSource`` is the stand-in (synthetic
incidents arriving in real time, with revisions as more rounds come in), used by tests,
the benchmark, and the demo until the simulator feed is available.
"""
from __future__ import annotations

import time

import numpy as np

from localization.types import Incident

from app.console_services.synthetic import make_incident


class SyntheticLiveSource:
    def __init__(self, *, rate_per_s: float = 0.1, seed: int = 11, radius_m: float = 900.0,
                 clock_ns=time.time_ns, first_after_s: float = 0.5) -> None:
        self.rate_per_s = rate_per_s
        self.rng = np.random.default_rng(seed)
        self.radius_m = radius_m
        self.clock_ns = clock_ns
        self._next_ns = clock_ns() + int(first_after_s * 1e9)
        self._n = 0
        self._pending: list[tuple[int, Incident]] = []   # (due_ns, revision)

    def poll(self) -> list[Incident]:
        now = self.clock_ns()
        out: list[Incident] = []
        while now >= self._next_ns:
            inc = make_incident(self.rng, self._n, self._next_ns, radius_m=self.radius_m)
            self._n += 1
            # First revision with the first rounds, later revisions as the rest "arrive".
            k = max(1, min(inc.rounds, 1 + inc.rounds // 3))
            first = _truncate(inc, k, 0)
            out.append(first)
            if k < inc.rounds:
                self._pending.append((self._next_ns + int(2e9), _truncate(inc, inc.rounds, 1)))
            self._next_ns += int(self.rng.exponential(1.0 / self.rate_per_s) * 1e9) if self.rate_per_s < 50 else \
                int(1e9 / self.rate_per_s)
        due = [p for p in self._pending if p[0] <= now]
        self._pending = [p for p in self._pending if p[0] > now]
        out.extend(inc for _, inc in due)
        return out


def _truncate(inc: Incident, k: int, revision: int) -> Incident:
    from dataclasses import replace

    shots = inc.shots[:k]
    kind = inc.kind if k > 1 or inc.kind != "multiple_gunshots" else "single_gunshot"
    tags = inc.tags if k >= 3 else tuple(t for t in inc.tags if t not in ("mobile_shooter", "full_auto"))
    return replace(inc, shots=shots, shooter_of_shot=inc.shooter_of_shot[:k], kind=kind, tags=tags,
                   speed_mps=inc.speed_mps if "mobile_shooter" in tags else None,
                   heading_deg=inc.heading_deg if "mobile_shooter" in tags else None, revision=revision)
