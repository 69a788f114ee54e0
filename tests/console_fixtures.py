"""Shared builders for the console tests (Qt-free inputs, fake clock)."""
from __future__ import annotations

import numpy as np

from app.console_services.access import demo_access
from app.console_services.clock import FakeClock
from app.console_services.console_dispatch import ConsoleDispatch
from app.console_services.site import fallback_site
from app.console_services.synthetic import make_incident


def incidents(n: int, clock: FakeClock, seed: int = 1, rounds: int | None = None):
    rng = np.random.default_rng(seed)
    return [make_incident(rng, i, clock.now_ns(), radius_m=600, rounds=rounds) for i in range(n)]


def build_controller(qtbot, role_user: str = "disp1", *, with_map: bool = False, idle_lock_s: float = 0.0):
    from app.ui.console_controller import ConsoleController

    site = fallback_site()
    clock = FakeClock()
    access = demo_access()
    user = access.sign_in(role_user, role_user)
    dispatch = ConsoleDispatch(site.locator, clock, site.profile, training=True)
    ctl = ConsoleController(site=site, dispatch=dispatch, access=access, user=user, clock=clock, with_map=with_map,
                            use_audio=False, training=True, idle_lock_s=idle_lock_s)
    qtbot.addWidget(ctl.window)
    return ctl, clock
