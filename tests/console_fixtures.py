"""Shared builders for the console tests (Qt-free inputs, manual clock, a training
database in a temporary directory worked through the real dispatch services)."""
from __future__ import annotations

import time

import numpy as np

from app.console_services.console_dispatch import ConsoleDispatch
from app.console_services.demo_seed import DEMO_PASSWORD, create_demo_users
from app.console_services.site import fallback_site
from app.console_services.synthetic import make_incident
from app.dispatch import Retention
from app.store import ManualClock, Store


def incidents(n: int, clock: ManualClock, seed: int = 1, rounds: int | None = None, first: int = 0):
    """n engine incidents starting now, with ids SYN-<first>, SYN-<first + 1> …"""
    rng = np.random.default_rng(seed)
    return [make_incident(rng, first + i, clock.now_ns(), radius_m=600, rounds=rounds) for i in range(n)]


def aged_history(d: ConsoleDispatch, clock: ManualClock, n_old: int, n_new: int):
    """``n_old`` incidents recorded longer ago than the agency keeps records, then ``n_new``
    recorded now — stored as the worker stores them, not yet shown; (old, new)."""
    old = incidents(n_old, clock, seed=21)
    d.record(old)
    clock.advance((d.agency.retention_years + 1) * 365.25 * 86400)
    new = incidents(n_new, clock, seed=22, first=n_old)
    d.record(new)
    return old, new


def purge(d: ConsoleDispatch) -> tuple[int, ...]:
    """The retention purge, as ``tocsin db purge`` runs it; the store ids it removed."""
    return Retention(d.store, d.agency).purge(actor="admin").incident_ids


def open_dispatch(tmp_path, clock: ManualClock, site=None) -> ConsoleDispatch:
    site = site or fallback_site()
    store = Store.open(tmp_path / "training.sqlite3", clock=clock)
    d = ConsoleDispatch(store, site.agency, frame=site.frame, address_locator=site.locator, exercise=True)
    create_demo_users(d.users)
    return d


def reopened(d: ConsoleDispatch) -> ConsoleDispatch:
    """A second console on ``d``'s database, with its own connection and views (as a
    console started later reads what the first one recorded)."""
    site = fallback_site()
    return ConsoleDispatch(Store.open(d.store.path, clock=d.clock), site.agency, frame=site.frame, exercise=True)


def recorded(ctl, incs):
    """What the worker hands the GUI thread: the incidents recorded through Intake."""
    return ctl.dispatch.record(incs, time.perf_counter_ns())


def build_controller(qtbot, role_user: str = "disp1", *, with_map: bool = False, idle_lock_s: float = 0.0,
                     tmp_path=None):
    import tempfile
    from pathlib import Path

    from app.ui.console_controller import ConsoleController

    site = fallback_site()
    clock = ManualClock()
    tmp = Path(tmp_path) if tmp_path is not None else Path(tempfile.mkdtemp(prefix="tocsin-test-"))
    dispatch = open_dispatch(tmp, clock, site)
    session = dispatch.users.login(role_user, DEMO_PASSWORD)
    ctl = ConsoleController(site=site, dispatch=dispatch, session=session, clock=clock, with_map=with_map,
                            use_audio=False, training=True, idle_lock_s=idle_lock_s)
    qtbot.addWidget(ctl.window)
    return ctl, clock
