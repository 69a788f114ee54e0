"""The training console's database: a fresh SQLite file apart from the real records, the
training accounts, and yesterday's shift worked through the real workflow (so the queue
shows every state).  Everything goes through ``app.dispatch`` — no shortcuts."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from app.console_services.cad import prefill
from app.console_services.console_dispatch import ConsoleDispatch
from app.console_services.synthetic import make_incident
from app.dispatch import Users
from app.dispatch.dispositions import CHOICES
from app.store import ManualClock, Store


DEMO_PASSWORD = "training"
#: (user id, name, role); the first must be the admin who creates the others
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("admin", "Administrator", "admin"),
    ("disp1", "Dispatcher R. Ortiz", "dispatcher"),
    ("sup1", "Supervisor K. Lam", "supervisor"),
    ("analyst1", "Analyst J. Berg", "analyst"),
    ("trainer1", "Trainer M. Osei", "trainer"),
)
HINT = (f"Training accounts: {', '.join(u for u, _, _ in DEMO_USERS)} (password: {DEMO_PASSWORD}).")


def training_db_path() -> Path:
    """A new database file for one training session — never the real records."""
    return Path(tempfile.mkdtemp(prefix="tocsin-training-")) / "training.sqlite3"


def create_demo_users(users: Users, ids: tuple[str, ...] | None = None) -> None:
    for uid, name, role in DEMO_USERS:
        if ids is None or uid in ids or uid == "admin":
            users.create(uid, name, role, DEMO_PASSWORD, actor=None if uid == "admin" else "admin")


def seed_history(dispatch: ConsoleDispatch, n: int, *, span_s: float = 6 * 3600, seed: int = 3,
                 radius_m: float = 900.0, open_fraction: float = 0.15, user_id: str = "trainer1") -> None:
    """Record n past incidents (at their past times) and work most of them through
    acknowledge → CAD → on scene → (supervisor confirm) → disposition as ``user_id``."""
    if n <= 0:
        return
    rng = np.random.default_rng(seed)
    now = dispatch.clock.now_ns()
    times = np.sort(rng.uniform(now - span_s * 1e9, now - 120e9, n)).astype(np.int64)
    clock = ManualClock(int(times[0]))
    past = Store.open(dispatch.store.path, clock=clock)
    try:
        d = ConsoleDispatch(past, dispatch.agency, frame=dispatch.frame, address_locator=dispatch.intake.locator,
                            exercise=dispatch.exercise)
        user = d.users.get(user_id)
        units = dispatch.agency.units or ("1A12", "1A14", "2B03", "K9-4")
        for i, t in enumerate(times):
            t = int(t)
            step = iter(np.cumsum(rng.uniform(5, 40, 5) * [1, 3, 8, 1, 20]) * 1e9)

            def at_next() -> None:   # each later step happens after the alert, never after now
                clock.set(min(t + int(next(step)), now - 10**9))

            clock.set(t)
            inc = make_incident(rng, 900_000 + i, t, radius_m=radius_m)
            rec = d.record([inc])[0]
            view, _ = d.accept(rec)
            if now - t < 1800e9 and rng.random() < open_fraction * 3:
                continue   # the last half hour still has a few open alerts
            at_next()
            d.acknowledge(view.incident_id, user)
            at_next()
            d.create_cad(view.incident_id, user, prefill(view, d.agency).with_(units=(units[i % len(units)],)))
            if rng.random() < 0.8:
                at_next()
                d.on_scene(view.incident_id, user)
                if d.agency.supervisor_confirmation_required:
                    at_next()
                    d.supervisor_confirm(view.incident_id, user)
                at_next()
                d.close(view.incident_id, user, CHOICES[int(rng.integers(len(CHOICES)))].label)
    finally:
        past.close_all()

