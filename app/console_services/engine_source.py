"""Incident sources from a feed: ``FeedEngineSource`` (any feed → the streaming engine),
``SimulatedEngineSource`` (the demo: the city simulator, with a few sensor outages) and,
in ``socket_source``, the live console's authenticated sensor socket.

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

import numpy as np

from localization.engine import Engine, EngineConfig
from localization.types import Incident, Pulse

from app.audio.live_clips import LiveClipRecorder
from app.console_services.sensor_board import LastHeard
from app.console_services.site import ConsoleSite
from app.feeds.events import SensorStatus
from app.feeds.feed import AlertEvent, AudioEvent, EventQueue, PulsesEvent, StatusEvent
from app.store import Store, StoreError

log = logging.getLogger(__name__)

#: a feed's sensor state → the store's sensor status word
STORE_STATUS = {"ok": "online", "degraded": "degraded", "gps_lost": "degraded", "clock_untrusted": "degraded",
                "unknown": "degraded", "offline": "offline"}


class FeedEngineSource:
    """Any started-by-us ``Feed`` → the engine (and the store).  Besides the incidents
    ``poll`` returns, it collects sensor health for the console's Sensors panel:
    ``take_sensor_updates()`` gives the ``SensorStatus`` changes and ``OperationalAlert``s
    since the last call, and about once a second a ``LastHeard`` snapshot from the feed's
    health monitor (when the feed has one).

    ``initial_status``: the store status sensors are registered with (the demo's simulated
    sensors start online; a real sensor is offline until it is heard)."""

    #: seconds between engine ticks without new pulses (an incident is emitted once its
    #: wait window has passed, even when no further pulse arrives)
    TICK_S = 0.5

    def __init__(self, site: ConsoleSite, feed, *, store: Store | None = None,
                 engine_config: EngineConfig | None = None, initial_status: str = "online") -> None:
        self.site = site
        self.store = store
        self.queue = EventQueue()
        self.feed = feed
        self.engine = Engine(self.feed.sensors, engine_config or EngineConfig())
        self.trusted: dict[str, bool] = {s.id: True for s in self.feed.sensors}
        self._status: dict[str, str] = {}
        self._updates: list[object] = []
        self._last_tick = 0.0
        self._last_heard_at = 0.0
        self.pulses_seen = 0
        self.pulses_recorded = 0
        self.audio_seen = 0
        self.clips = LiveClipRecorder.for_store(self.feed.sensors, self.engine.config.c_mps, store)
        if store is not None:
            for s in self.feed.sensors:
                store.upsert_sensor(s, frame=site.frame, status=initial_status, actor="feed")
                self._status[s.id] = initial_status
        self.feed.start(self.queue)

    def take_sensor_updates(self) -> list[object]:
        """Sensor statuses, operational alerts and a last-heard snapshot since the last call."""
        now = time.monotonic()
        if now - self._last_heard_at >= 1.0:
            self._last_heard_at = now
            heard = _last_heard(self.feed)
            if heard is not None:
                self._updates.append(heard)
        out, self._updates = self._updates, []
        return out

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
                self._updates.append(a)
                log.log(logging.WARNING if a.active and a.severity != "info" else logging.INFO,
                        "sensor %s %s (%s): %s", a.sensor, a.kind, "active" if a.active else "cleared", a.message)
            elif isinstance(ev, AudioEvent):
                self.audio_seen += 1
                if self.clips is not None:
                    self.clips.add(ev.clip)
        if batch:
            out += self._push(batch)
        elif time.monotonic() - self._last_tick >= self.TICK_S:
            self._last_tick = time.monotonic()
            out += self.engine.push([], now_ns=time.time_ns())
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
        self._updates.append(st)
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


class SimulatedEngineSource(FeedEngineSource):
    """The demo: the city simulator (or ``feed``, a scripted stand-in in tests) → engine."""

    def __init__(self, site: ConsoleSite, *, rate_per_s: float = 0.15, speed: float = 1.0, seed: int = 5,
                 duration_s: float = 4 * 3600.0, profile: str = "busy_weekend", store: Store | None = None,
                 feed=None) -> None:
        """``store``: where pulses and sensor statuses are recorded (None: not recorded).
        ``feed``: a started-by-us ``Feed`` to use instead of the city simulator (tests)."""
        if feed is None:
            feed = city_feed(site, rate_per_s=rate_per_s, speed=speed, seed=seed, duration_s=duration_s,
                              profile=profile)
        super().__init__(site, feed, store=store)


def _last_heard(feed) -> LastHeard | None:
    """When each sensor was last heard, from the feed's health monitor (UTC ns; the
    simulator's times shifted to the wall clock like its events)."""
    monitor = getattr(feed, "health", None)
    if monitor is None or not hasattr(monitor, "statuses"):
        return None
    off = int(getattr(feed, "offset_ns", 0) or 0)
    return LastHeard({s: st.last_seen_ns + off for s, st in monitor.statuses().items() if st.last_seen_ns is not None})


#: the demo's sensor problems (seconds after start): visible in the Sensors panel within a
#: minute of opening the demo, cleared again later
DEMO_OUTAGES = (("gps_lost", 2.0, 400.0), ("clock_drift", 4.0, 300.0), ("offline", 30.0, 600.0),
                ("network", 900.0, 1200.0))


def city_feed(site: ConsoleSite, *, rate_per_s: float, speed: float, seed: int, duration_s: float, profile: str):
    """The simulated city feed the demo console runs on: ``duration_s`` of random incidents of
    ``profile`` over the site's sensor area at about ``rate_per_s`` incidents a second, with
    audio and the demo's sensor outages (``speed``: simulated seconds per wall-clock second,
    0 for as fast as possible).  Also the classifier benchmark's feed."""
    from app.feeds.scenario import Outage, SimPlan
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
    ids = [s.id for s in site.sensors]
    pick = np.random.default_rng(seed).choice(len(ids), size=min(len(ids), len(DEMO_OUTAGES)), replace=False)
    outages = tuple(Outage(ids[int(i)], kind, a, min(b, duration_s))  # type: ignore[arg-type]
                    for i, (kind, a, b) in zip(pick, DEMO_OUTAGES) if a < duration_s)
    plan = SimPlan(f"demo {site.name}", tuple(site.sensors), events, Conditions.realistic(), start_ns,
                   duration_s, outages, seed)
    return SimulatorFeed(plan, speed=speed, rebase_to_now=True, audio=True)
