"""The demo's live incident source: the live pulse simulator feed → the streaming engine.

Runs on the console's worker thread: the feed calls an ``EventQueue`` from its own
thread; each ``poll`` drains it, pushes the pulses into the engine and returns the
incidents the engine emitted (new or updated).  The demo city's sensors are used, so the
shots land in Port Tocsin's streets.
"""
from __future__ import annotations

import time

from localization.engine import Engine, EngineConfig
from localization.types import Incident

from app.console_services.site import ConsoleSite


class SimulatedEngineSource:
    def __init__(self, site: ConsoleSite, *, rate_per_s: float = 0.15, speed: float = 1.0, seed: int = 5,
                 duration_s: float = 4 * 3600.0, profile: str = "busy_weekend") -> None:
        from app.feeds.feed import EventQueue, PulsesEvent
        from app.feeds.scenario import SimPlan
        from app.feeds.simulator import SimulatorFeed
        from localization.sim.city import PROFILES, random_city_events
        from localization.sim.conditions import Conditions

        self._PulsesEvent = PulsesEvent
        xs = [s.x_m for s in site.sensors]
        ys = [s.y_m for s in site.sensors]
        margin = 150.0
        bounds = (min(xs) + margin, min(ys) + margin, max(xs) - margin, max(ys) - margin)
        area_sq_mi = (bounds[2] - bounds[0]) * (bounds[3] - bounds[1]) / 2_589_988.11
        mix = PROFILES[profile]
        per_h = (mix.gunfire_per_sq_mi_h + mix.fireworks_per_sq_mi_h) * area_sq_mi
        rate_scale = max(0.05, rate_per_s * 3600.0 / max(per_h, 1e-9))
        start_ns = time.time_ns()
        events = random_city_events(profile=profile, bounds_m=bounds, duration_s=duration_s, start_ns=start_ns,
                                    rate_scale=rate_scale, seed=seed)
        plan = SimPlan(f"demo {site.name}", tuple(site.sensors), events, Conditions.realistic(), start_ns,
                       duration_s, (), seed)
        self.queue = EventQueue()
        self.feed = SimulatorFeed(plan, speed=speed, rebase_to_now=True)
        self.engine = Engine(self.feed.sensors, EngineConfig())
        self.feed.start(self.queue)
        self.pulses_seen = 0

    def poll(self) -> list[Incident]:
        events = self.queue.drain(max_items=5000)
        pulses = [p for e in events if isinstance(e, self._PulsesEvent) for p in e.pulses]
        self.pulses_seen += len(pulses)
        return self.engine.push(pulses, now_ns=time.time_ns())

    def close(self) -> None:
        self.feed.stop()
