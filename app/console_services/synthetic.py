"""Seeded synthetic incidents (no engine, no audio): for benchmarks, tests and filling a
queue with history.  Live demos use the real simulator + engine instead."""
from __future__ import annotations

import math

import numpy as np

from localization.types import Ellipse, Incident, Shot


def make_incident(rng: np.random.Generator, idx: int, t0_ns: int, *, radius_m: float = 1500.0,
                  rounds: int | None = None, revision: int = 0) -> Incident:
    x = float(rng.uniform(-radius_m, radius_m))
    y = float(rng.uniform(-radius_m, radius_m))
    if rounds is None:
        rounds = int(min(40, max(1, rng.geometric(0.45))))
    shooters = 2 if rounds >= 4 and rng.random() < 0.15 else 1
    mobile = rounds >= 3 and rng.random() < 0.12
    heading = float(rng.uniform(0, 360))
    speed = float(rng.uniform(5, 18)) if mobile else None
    gap_s = 0.09 if rounds >= 6 and rng.random() < 0.3 else 0.55
    shots = []
    owners = []
    for k in range(rounds):
        owner = k % shooters if shooters > 1 else 0
        dx = dy = 0.0
        if mobile:
            d = speed * k * gap_s
            dx, dy = d * math.sin(math.radians(heading)), d * math.cos(math.radians(heading))
        if owner:
            dx += 40.0
        err = float(rng.uniform(6, 30))
        shots.append(Shot(t_ns=t0_ns + int(k * gap_s * 1e9), x_m=x + dx + float(rng.normal(0, 3)),
                          y_m=y + dy + float(rng.normal(0, 3)), err95_m=err,
                          ellipse=Ellipse(err, err * float(rng.uniform(0.4, 0.9)), float(rng.uniform(0, 180))),
                          sensors=("S01", "S02", "S03", "S04"), pulse_ids=(None,) * 4,
                          residuals_ms=(0.1, -0.2, 0.1, 0.0), rms_ms=0.15))
        owners.append(owner)
    tags = []
    if shooters > 1:
        tags.append("multiple_shooters")
    if mobile:
        tags.append("mobile_shooter")
    if gap_s < 0.2:
        tags.append("full_auto")
    kind = "single_gunshot" if rounds == 1 else "multiple_gunshots"
    if rounds == 1 and rng.random() < 0.2:
        kind = "possible_gunfire"
    return Incident(id=f"SYN-{idx:06d}", kind=kind, tags=tuple(tags), shots=tuple(shots),
                    shooter_of_shot=tuple(owners), x_m=float(np.mean([s.x_m for s in shots])),
                    y_m=float(np.mean([s.y_m for s in shots])),
                    err95_m=float(min(s.err95_m for s in shots)),
                    speed_mps=speed, heading_deg=heading if mobile else None, revision=revision)


def history(n: int, *, end_ns: int, span_s: float = 30 * 86400, seed: int = 7) -> list[Incident]:
    """n incidents spread over the span_s seconds before end_ns, oldest first."""
    rng = np.random.default_rng(seed)
    times = np.sort(rng.uniform(end_ns - span_s * 1e9, end_ns, n)).astype(np.int64)
    return [make_incident(rng, i, int(t)) for i, t in enumerate(times)]
