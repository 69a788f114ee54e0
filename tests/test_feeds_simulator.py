"""Live simulator feed: determinism, truth, outages, health rules, pacing, scenario files."""
from __future__ import annotations

import time
from collections import Counter

import pytest

from app.feeds.events import HealthReport
from app.feeds.feed import AlertEvent, AudioEvent, EventQueue, StatusEvent
from app.feeds.health import HealthMonitor, HealthPolicy
from app.feeds.scenario import Outage, SimPlan, load_plan, plan_from_dict, random_plan
from app.feeds.simulator import SimulatorFeed
from app.feeds.timeline import build_timeline

NS = 1_000_000_000


def _scenario(**extra):
    doc = {
        "seed": 7, "duration_s": 150,
        "layout": {"area_sq_mi": 1.0, "density_per_sq_mi": 16},
        "conditions": {"preset": "clean"},
        "event": [{"kind": "round_string", "at_s": 20, "x_m": 100, "y_m": -250, "rounds": 3},
                  {"kind": "single_round", "at_s": 100, "x_m": -300, "y_m": 200}],
    }
    doc.update(extra)
    return plan_from_dict(doc)


def test_same_seed_same_deliveries_and_truth_is_kept():
    a, b = EventQueue(), EventQueue()
    SimulatorFeed(random_plan("july_4th", duration_s=300, seed=5), speed=0).run(a)
    SimulatorFeed(random_plan("july_4th", duration_s=300, seed=5), speed=0).run(b)
    pa, pb = a.pulses(a.drain()), b.pulses(b.drain())
    assert pa and pa == pb
    c = EventQueue()
    SimulatorFeed(random_plan("july_4th", duration_s=300, seed=6), speed=0).run(c)
    assert c.pulses(c.drain()) != pa


def test_truth_labels_the_delivered_pulses():
    feed = SimulatorFeed(_scenario(), speed=0)
    q = EventQueue()
    feed.run(q)
    pulses = q.pulses(q.drain())
    truth = feed.truth
    assert len(pulses) == len(feed.delivered_truth_indices) > 0
    for p, i in zip(pulses, feed.delivered_truth_indices):
        assert truth.pulses[i] == p
    shots = {truth.events.shots[k].incident_id for k in truth.label[truth.label >= 0]}
    assert shots == {"E0001", "E0002"}


def test_gps_loss_makes_timing_untrusted_and_its_pulses_withheld():
    base = _scenario()
    t0 = base.start_ns
    late = Counter(it.sensor for it in build_timeline(base).items
                   if it.kind == "pulse" and t0 + 60 * NS < it.deliver_ns < t0 + 140 * NS)
    victim = late.most_common(1)[0][0]
    plan = _scenario(outage=[{"sensor": victim, "kind": "gps_lost", "start_s": 5, "end_s": 140}])
    feed = SimulatorFeed(plan, speed=0)
    q = EventQueue()
    feed.run(q)
    events = q.drain()
    alerts = [(e.alert.sensor, e.alert.kind, e.alert.active) for e in events if isinstance(e, AlertEvent)]
    assert (victim, "gps_lost", True) in alerts and (victim, "clock_untrusted", True) in alerts
    tl = feed.timeline
    s5_during = [it for it in tl.items if it.kind == "pulse" and it.sensor == victim
                 and it.deliver_ns > plan.start_ns + 60 * NS and it.deliver_ns < plan.start_ns + 140 * NS]
    assert s5_during, "scenario should give S005 pulses while its clock is bad"
    delivered = {p.id for p in q.pulses(events)}
    assert not any(it.pulse.id in delivered for it in s5_during)
    assert feed.counts["pulses_untrusted_withheld"] >= len(s5_during)


def test_offline_outage_raises_and_clears_an_alert():
    plan = _scenario(outage=[{"sensor": "S002", "kind": "offline", "start_s": 10, "end_s": 100}])
    q = EventQueue()
    SimulatorFeed(plan, speed=0).run(q)
    alerts = [(e.alert.kind, e.alert.active) for e in q.drain() if isinstance(e, AlertEvent) and e.alert.sensor == "S002"]
    assert alerts == [("offline", True), ("offline", False)]


def test_network_outage_delivers_the_backlog_late_not_lost():
    plan = _scenario(outage=[{"sensor": "S007", "kind": "network", "start_s": 15, "end_s": 90}])
    tl = build_timeline(plan)
    clean = build_timeline(SimPlan(plan.name, plan.sensors, plan.events, plan.conditions, plan.start_ns,
                                   plan.duration_s, (), plan.seed))
    ids = lambda t: sorted(it.pulse.id for it in t.items if it.kind == "pulse")  # noqa: E731
    assert ids(tl) == ids(clean)
    late = [it for it in tl.items if it.kind == "pulse" and it.sensor == "S007" and it.pulse.t_ns < plan.start_ns + 90 * NS
            and it.pulse.t_ns >= plan.start_ns + 15 * NS]
    assert late and all(it.deliver_ns >= plan.start_ns + 90 * NS for it in late)


def test_accelerated_pacing_follows_the_speed():
    plan = random_plan("busy_weekend", duration_s=120, seed=1, outages=0)
    feed = SimulatorFeed(plan, speed=60)
    q = EventQueue()
    t = time.monotonic()
    feed.start(q)
    time.sleep(1.0)
    sim_s = (feed.sim_now_ns() - feed.timeline.start_ns) / NS
    assert feed.done.wait(10)
    wall = time.monotonic() - t
    assert 40 <= sim_s <= 80
    assert 1.5 <= wall <= 4.0


def test_audio_clips_are_delivered_after_their_pulses():
    pytest.importorskip("localization.audio.synthesis")
    feed = SimulatorFeed(_scenario(), speed=0, audio=True)
    q = EventQueue()
    feed.run(q)
    events = q.drain()
    clips = [e.clip for e in events if isinstance(e, AudioEvent)]
    assert clips and all(c.encoding == "pcm_s16le" and len(c.data) >= 2 * 16000 * 2 for c in clips)
    first_clip = next(i for i, e in enumerate(events) if isinstance(e, AudioEvent))
    assert q.pulses(events[:first_clip]), "a clip comes after the pulses it explains"


def test_speed_and_scenario_validation(tmp_path):
    with pytest.raises(ValueError, match="speed must be 0"):
        SimulatorFeed(_scenario(), speed=61)
    with pytest.raises(ValueError, match="kind must be one of"):
        _scenario(event=[{"kind": "explosion"}])
    with pytest.raises(ValueError, match="unknown sensor"):
        _scenario(outage=[{"sensor": "S999", "kind": "offline", "start_s": 1, "end_s": 2}])
    with pytest.raises(ValueError, match="profile must be one of"):
        random_plan("carnival")
    bad = tmp_path / "s.toml"
    bad.write_text("seed = [")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_plan(bad)


def test_health_monitor_rules():
    m = HealthMonitor(["A"], HealthPolicy(offline_after_s=60, gps_holdover_s=30, max_clock_err_ns=1_000_000))
    assert not m.timing_trusted("A")  # never heard from
    m.report(HealthReport("A", 0, gps_lock=True, clock_err_ns=20_000), 0)
    assert m.timing_trusted("A")
    m.report(HealthReport("A", 0, gps_lock=False, clock_err_ns=None), 10 * NS)
    assert m.timing_trusted("A") and m.statuses()["A"].state == "gps_lost"  # holdover
    _, alerts = m.tick(45 * NS)
    assert not m.timing_trusted("A")
    assert [(a.kind, a.severity) for a in alerts] == []  # the gps_lost alert was raised once, at loss
    changes, alerts = m.tick(200 * NS)
    assert m.statuses()["A"].state == "offline" and [a.kind for a in alerts] == ["offline"]
    changes, alerts = m.report(HealthReport("A", 0, gps_lock=True, clock_err_ns=20_000, battery_pct=10, on_mains=False), 201 * NS)
    assert m.statuses()["A"].state == "degraded" and m.timing_trusted("A")
    assert sorted((a.kind, a.active) for a in alerts) == [("gps_lost", False), ("low_battery", True), ("offline", False)]
