"""Many emulated sensors at once: play a scenario timeline over the socket (one
connection per sensor, outages as real link drops), or generate steady synthetic
load for benchmarks."""
from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections import Counter
from typing import Any, Callable, Mapping

from app.feeds.emulator import EmulatedSensor, health_body
from app.feeds.timeline import Item, Timeline

log = logging.getLogger("tocsin.feeds.fleet")
NS = 1_000_000_000


def _make(keys: Mapping[str, bytes], ids, host: str, port: int, ssl_context: ssl.SSLContext | None,
          server_hostname: str | None, first_seq: int) -> dict[str, EmulatedSensor]:
    missing = [s for s in ids if s not in keys]
    if missing:
        raise ValueError(f"no key for sensor(s) {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}")
    return {s: EmulatedSensor(s, keys[s], host, port, ssl_context=ssl_context, server_hostname=server_hostname,
                              first_seq=first_seq, seed=k) for k, s in enumerate(ids)}


def fleet_summary(sensors: Mapping[str, EmulatedSensor]) -> dict[str, Any]:
    c: Counter[str] = Counter()
    n: Counter[str] = Counter()
    for e in sensors.values():
        c.update(e.counts)
        n.update(e.nacks)
    return {"sensors": len(sensors), "counts": dict(c), "nacks": dict(n),
            "unacked": sum(len(e.unacked) for e in sensors.values())}


async def _close_all(sensors: Mapping[str, EmulatedSensor], tasks: list[asyncio.Task], drain_timeout_s: float) -> bool:
    ok = all(await asyncio.gather(*(e.flush(drain_timeout_s) for e in sensors.values())))
    await asyncio.gather(*(e.close() for e in sensors.values()))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return ok


async def play_timeline(timeline: Timeline, keys: Mapping[str, bytes], host: str, port: int, *, speed: float = 1.0,
                        ssl_context: ssl.SSLContext | None = None, server_hostname: str | None = None,
                        offset_ns: int = 0, drain_timeout_s: float = 30.0, first_seq: int | None = None,
                        stop: asyncio.Event | None = None,
                        on_item: Callable[[Item], None] | None = None) -> dict[str, Any]:
    """Play ``timeline`` as its sensors would: each item is sent at its delivery time
    (scaled by ``speed``; 0 = as fast as possible).  Network/offline outages drop the
    sensor's connection for their length.  Returns the fleet summary when everything
    is acknowledged (or ``drain_timeout_s`` passed)."""
    from app.feeds.clips import render_clip

    plan = timeline.plan
    ids = [s.id for s in plan.sensors]
    seq0 = first_seq if first_seq is not None else time.time_ns() // 1000  # survives emulator restarts
    sensors = _make(keys, ids, host, port, ssl_context, server_hostname, seq0)
    tasks = [asyncio.create_task(e.run()) for e in sensors.values()]
    t0 = timeline.start_ns
    controls = sorted(((plan.start_ns + int(o.start_s * NS), o) for o in plan.outages if o.kind in ("network", "offline")),
                      key=lambda x: x[0])
    loop = asyncio.get_running_loop()
    wall0 = loop.time()
    ci = 0
    for it in timeline.items:
        if stop is not None and stop.is_set():
            break
        if speed > 0:
            delay = wall0 + (it.deliver_ns - t0) / NS / speed - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        while ci < len(controls) and controls[ci][0] <= it.deliver_ns:
            o = controls[ci][1]
            sensors[o.sensor].link_down((o.end_s - o.start_s) / speed if speed > 0 else 0.2)
            ci += 1
        e = sensors[it.sensor]
        if it.kind == "pulse" and it.pulse is not None:
            p = it.pulse
            e.enqueue("pulse", t_ns=p.t_ns + offset_ns, snr_db=p.snr_db, peak_db=p.peak_db, pulse_id=p.id,
                      features=dict(p.features) or None)
        elif it.kind == "health" and it.health is not None:
            h = it.health
            e.enqueue("health", gps_lock=h.gps_lock, clock_err_ns=h.clock_err_ns, battery_pct=h.battery_pct,
                      on_mains=h.on_mains, temperature_c=h.temperature_c, mic_dbfs=h.mic_dbfs, uptime_s=h.uptime_s)
        elif it.kind == "audio" and it.clip is not None:
            try:
                clip = await loop.run_in_executor(None, render_clip, it.clip, timeline.sim)
            except Exception as exc:
                log.warning("could not render clip %s: %s", it.clip.clip_id, exc)
                continue
            e.enqueue_audio(clip.clip_id, clip.data, start_ns=clip.start_ns + offset_ns,
                            sample_rate_hz=clip.sample_rate_hz, encoding=clip.encoding)
        if on_item is not None:
            on_item(it)
        if speed == 0:
            await asyncio.sleep(0)
    ok = await _close_all(sensors, tasks, drain_timeout_s)
    out = fleet_summary(sensors)
    out["all_acknowledged"] = ok
    return out


async def steady_load(keys: Mapping[str, bytes], host: str, port: int, *, msgs_per_s: float, duration_s: float,
                      ssl_context: ssl.SSLContext | None = None, server_hostname: str | None = None,
                      health_every: int = 10, drain_timeout_s: float = 60.0, first_seq: int = 1,
                      tick_s: float = 0.02, seed: int = 0, during: Callable[[float], Any] | None = None,
                      ) -> tuple[dict[str, Any], dict[str, EmulatedSensor]]:
    """Every key's sensor connects; together they send ``msgs_per_s`` messages (pulses,
    and every ``health_every``-th a health report) for ``duration_s``, round-robin.
    ``during(elapsed_s)`` is awaited each tick if it is a coroutine function (fault injection)."""
    rng = random.Random(seed)
    sensors = _make(keys, list(keys), host, port, ssl_context, server_hostname, first_seq)
    order = list(sensors.values())
    tasks = [asyncio.create_task(e.run()) for e in order]
    loop = asyncio.get_running_loop()
    # wait (bounded) for the fleet to connect before the clock starts
    for _ in range(500):
        if all(e._ready for e in order):
            break
        await asyncio.sleep(0.02)
    start = loop.time()
    sent = 0
    k = 0
    while True:
        elapsed = loop.time() - start
        if elapsed >= duration_s:
            break
        due = int(elapsed * msgs_per_s) - sent
        now_ns = time.time_ns()
        for _ in range(max(0, due)):
            e = order[k % len(order)]
            k += 1
            if k % health_every == 0:
                e.enqueue("health", **health_body(rng))
            else:
                e.enqueue("pulse", t_ns=now_ns - rng.randrange(1_000_000, 500_000_000), snr_db=round(rng.uniform(6, 40), 2),
                          peak_db=round(rng.uniform(74, 93), 2))
            sent += 1
        if during is not None:
            r = during(elapsed)
            if asyncio.iscoroutine(r):
                await r
        await asyncio.sleep(tick_s)
    ok = await _close_all(sensors, tasks, drain_timeout_s)
    out = fleet_summary(sensors)
    out.update(all_acknowledged=ok, enqueued=sent, duration_s=duration_s)
    return out, sensors
