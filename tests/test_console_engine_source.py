"""The demo's live source on the worker: feed events → store (pulses, sensor statuses) and
→ engine (an untrusted sensor's timing is no longer used).  A scripted feed stands in for
the city simulator so the events are exactly these."""
from __future__ import annotations

import threading

from app.console_services.engine_source import SimulatedEngineSource
from app.console_services.site import fallback_site
from app.feeds.events import SensorStatus
from app.store import ManualClock, Store
from localization.types import Pulse


class ScriptedFeed:
    def __init__(self, sensors) -> None:
        self.sensors = list(sensors)
        self.listener = None
        self.stopped = False

    def start(self, listener) -> None:
        self.listener = listener

    def stop(self) -> None:
        self.stopped = True


def _enabled(engine, sensor_id: str) -> bool:
    # The engine has a setter but no getter; read its association mask.
    return bool(engine._assoc.enabled[engine._index[sensor_id]])


def test_untrusted_timing_disables_the_sensor_and_pulses_and_statuses_are_stored(tmp_path):
    site = fallback_site()
    clock = ManualClock()
    store = Store.open(tmp_path / "training.sqlite3", clock=clock)
    feed = ScriptedFeed(site.sensors)
    src = SimulatedEngineSource(site, store=store, feed=feed)
    sid = feed.sensors[0].id
    other = feed.sensors[1].id
    assert {s.id for s in store.sensors()} == {s.id for s in feed.sensors}
    assert _enabled(src.engine, sid)

    t0 = clock.now_ns()
    feed.listener.on_pulses([Pulse(sensor=sid, t_ns=t0, snr_db=20.0), Pulse(sensor=other, t_ns=t0 + 1000)])
    feed.listener.on_status(SensorStatus(sensor=sid, state="gps_lost", timing_trusted=False, since_ns=t0,
                                         last_seen_ns=t0, detail="GPS lost beyond holdover"))
    feed.listener.on_pulses([Pulse(sensor=sid, t_ns=t0 + 2000)])
    src.poll()

    assert not _enabled(src.engine, sid) and _enabled(src.engine, other)
    stored = store.pulses_between(t0, t0 + 10_000)
    assert [(p.sensor, p.t_ns) for p in stored] == [(sid, t0), (other, t0 + 1000), (sid, t0 + 2000)]
    rec = {s.id: s for s in store.sensors()}
    assert rec[sid].status == "degraded" and rec[other].status == "online"
    assert "timing NOT trusted" in store.sensor_history(sid)[-1]["detail"]

    # Trusted again: used again, recorded once (a repeated status writes nothing new).
    ok = SensorStatus(sensor=sid, state="ok", timing_trusted=True, since_ns=t0, last_seen_ns=t0)
    feed.listener.on_status(ok)
    feed.listener.on_status(ok)
    src.poll()
    assert _enabled(src.engine, sid)
    assert [h["status"] for h in store.sensor_history(sid)] == ["online", "degraded", "online"]
    src.close()
    assert feed.stopped
    store.close_all()


def test_the_source_writes_on_the_thread_that_polls_it(tmp_path):
    """Built and polled on a worker thread (as the console does), the writes use that
    thread's own connection and the data is visible from another thread's."""
    site = fallback_site()
    store = Store.open(tmp_path / "training.sqlite3", clock=ManualClock())
    feed = ScriptedFeed(site.sensors)
    sid = feed.sensors[0].id
    errors = []

    def worker() -> None:
        try:
            src = SimulatedEngineSource(site, store=store, feed=feed)
            feed.listener.on_pulses([Pulse(sensor=sid, t_ns=5_000)])
            src.poll()
            src.close()
            store.close()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    t.join(10)
    assert not errors
    assert [p.sensor for p in store.pulses_between(0, 10_000)] == [sid]
    store.close_all()
