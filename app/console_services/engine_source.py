"""The demo's live incident source: the live pulse simulator feed → the streaming engine.

Runs on the console's worker thread: the feed calls an ``EventQueue`` from its own
thread; each ``poll`` drains it, in order:

- pulses are recorded in the store as received (``Store.record_pulses``) and pushed into
  the engine;
- sensor statuses are recorded (``Store.set_sensor_status``, the sensors having been
  registered with ``upsert_sensor`` when the source starts), and when a sensor's timing
  trust changes the engine stops (or resumes) using it (``Engine.set_sensor_enabled``);
- operational alerts are logged; audio clips are kept and, once the worker has
  recorded an incident, written as its evidence clips (``app.audio.live_clips``).

It returns the incidents the engine emitted (new or updated).  The store is used from
this thread only, so its writes go through the worker's own SQLite connection.  The demo
city's sensors are used, so the shots land in Port Tocsin's streets.
"""
from __future__ import annotations

import logging
import time

from localization.engine import Engine, EngineConfig
from localization.types import Incident, Pulse

from app.audio.live_clips import LiveClipRecorder
from app.console_services.site import ConsoleSite
from app.feeds.events import SensorStatus
from app.feeds.feed import AlertEvent, AudioEvent, EventQueue, PulsesEvent, StatusEvent
from app.store import Store, StoreError

log = logging.getLogger(__name__)

#: a feed's sensor state → the store's sensor status word
STORE_STATUS = {"ok": "online", "degraded": "degraded", "gps_lost": "degraded", "clock_untrusted": "degraded",
                "unknown": "degraded", "offline": "offline"}


class SimulatedEngineSource:
    def __init__(self, site: ConsoleSite, *, rate_per_s: float = 0.15, speed: float = 1.0, seed: int = 5,
                 duration_s: float = 4 * 3600.0, profile: str = "busy_weekend", store: Store | None = None,
                 feed=None) -> None:
        """``store``: where pulses and sensor statuses are recorded (None: not recorded).
        ``feed``: a started-by-us ``Feed`` to use instead of the city simulator (tests)."""
        self.site = site
        self.store = store
        self.queue = EventQueue()
        self.feed = feed if feed is not None else _city_feed(site, rate_per_s=rate_per_s, speed=speed, seed=seed,
                                                              duration_s=duration_s, profile=profile)
        self.engine = Engine(self.feed.sensors, EngineConfig())
        self.trusted: dict[str, bool] = {s.id: True for s in self.feed.sensors}
        self._status: dict[str, str] = {}
        self.pulses_seen = 0
        self.pulses_recorded = 0
        self.audio_seen = 0
        self.clips = LiveClipRecorder.for_store(self.feed.sensors, self.engine.config.c_mps, store)
        if store is not None:
            for s in self.feed.sensors:
                store.upsert_sensor(s, frame=site.frame, status="online", actor="feed")
                self._status[s.id] = "online"
        self.feed.start(self.queue)

    def poll(self) -> list[Incident]:
        out: list[Incident] = []
        batch: list[Pulse] = []
        for ev in self.queue.drain(max_items=5000):
            if isinstance(ev, PulsesEvent):
                batch.extend(ev.pulses)
            elif isinstance(ev, StatusEvent):
                if batch and self.trusted.get(ev.status.sensor, True) != ev.status.timing_trusted:
                    out += self._push(batch)   # pulses that came before the change use the old trust
                    batch = []
                self._on_status(ev.status)
            elif isinstance(ev, AlertEvent):
                a = ev.alert
                log.log(logging.WARNING if a.active and a.severity != "info" else logging.INFO,
                        "sensor %s %s (%s): %s", a.sensor, a.kind, "active" if a.active else "cleared", a.message)
            elif isinstance(ev, AudioEvent):
                self.audio_seen += 1
                if self.clips is not None:
                    self.clips.add(ev.clip)
        if batch:
            out += self._push(batch)
        if self.clips is not None and self.store is not None:
            self.clips.update(out, self.store)   # evidence clips of recorded incidents
        return out

    def _push(self, pulses: list[Pulse]) -> list[Incident]:
        self.pulses_seen += len(pulses)
        if self.store is not None:
            try:
                self.pulses_recorded += self.store.record_pulses(pulses)
            except StoreError as exc:   # the alerts matter more than the raw record: go on
                log.error("%d pulses not recorded: %s", len(pulses), exc)
        known = [p for p in pulses if p.sensor in self.trusted]
        if len(known) < len(pulses):
            log.warning("%d pulses from unknown sensors dropped", len(pulses) - len(known))
        return self.engine.push(known, now_ns=time.time_ns())

    def _on_status(self, st: SensorStatus) -> None:
        if st.sensor not in self.trusted:
            log.warning("status for unknown sensor %r ignored", st.sensor)
            return
        if self.trusted[st.sensor] != st.timing_trusted:
            self.trusted[st.sensor] = st.timing_trusted
            self.engine.set_sensor_enabled(st.sensor, st.timing_trusted)
            log.info("sensor %s %s by the engine (%s)", st.sensor,
                     "used again" if st.timing_trusted else "no longer used", st.state)
        status = STORE_STATUS.get(st.state, "degraded")
        if self.store is not None and status != self._status.get(st.sensor):
            detail = f"{st.state}; timing {'trusted' if st.timing_trusted else 'NOT trusted'}" + \
                     (f"; {st.detail}" if st.detail else "")
            try:
                self.store.set_sensor_status(st.sensor, status, detail=detail, actor="feed")
                self._status[st.sensor] = status
            except StoreError as exc:
                log.error("status of sensor %s not recorded: %s", st.sensor, exc)

    def close(self) -> None:
        self.feed.stop()


def _city_feed(site: ConsoleSite, *, rate_per_s: float, speed: float, seed: int, duration_s: float, profile: str):
    from app.feeds.scenario import SimPlan
    from app.feeds.simulator import SimulatorFeed
    from localization.sim.city import PROFILES, random_city_events
    from localization.sim.conditions import Conditions

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
    return SimulatorFeed(plan, speed=speed, rebase_to_now=True, audio=True)
