"""Yesterday's shift for the demo/training console: earlier incidents already worked
through the normal workflow (so the queue shows every state)."""
from __future__ import annotations

import numpy as np

from app.console_services.access import User
from app.console_services.cad import prefill
from app.console_services.console_dispatch import ConsoleDispatch
from app.console_services.synthetic import make_incident

SYSTEM_TRAINER = User("trainer1", "Trainer M. Osei", "trainer")


def seed_history(dispatch: ConsoleDispatch, n: int, *, span_s: float = 6 * 3600, seed: int = 3,
                 radius_m: float = 900.0, open_fraction: float = 0.15) -> None:
    """Ingest n past incidents and work most of them through ack → CAD → disposition."""
    rng = np.random.default_rng(seed)
    now = dispatch.clock.now_ns()
    times = np.sort(rng.uniform(now - span_s * 1e9, now - 120e9, n)).astype(np.int64)
    for i, t in enumerate(times):
        inc = make_incident(rng, 900_000 + i, int(t), radius_m=radius_m)
        rec, _ = dispatch.ingest(inc, reported_ns=int(t))
        if now - t < 1800e9 and rng.random() < open_fraction * 3:
            continue   # the last half hour still has a few open alerts
        rec.state, rec.acknowledged_by = "acknowledged", SYSTEM_TRAINER.user_id
        rec.acknowledged_ns = int(t + rng.uniform(5, 40) * 1e9)
        draft = prefill(rec, dispatch.profile).with_(units=(dispatch.profile.units[i % len(dispatch.profile.units)],))
        dispatch.create_cad(rec.incident_id, SYSTEM_TRAINER, draft)
        if rng.random() < 0.8:
            dispatch.set_disposition(rec.incident_id, SYSTEM_TRAINER,
                                     dispatch.profile.dispositions[int(rng.integers(len(dispatch.profile.dispositions)))])
