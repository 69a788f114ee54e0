"""The simulator's pulses carry the detector features of the audio it synthesises, so the
live demo's incidents get a gunfire probability and decoys their review label."""
from __future__ import annotations

import numpy as np
import pytest

from app.audio.live_clips import decode_clip
from app.feeds.feed import AudioEvent, EventQueue
from app.feeds.pulse_audio import PulseAudio
from app.feeds.scenario import plan_from_dict
from app.feeds.simulator import SimulatorFeed
from localization import Engine, EngineConfig
from localization.audio.classify import pulse_gunfire_probability
from localization.audio.features import FEATURE_NAMES
from localization.audio.onset import detect_impulses
from localization.sim import DIRECT

pytest.importorskip("localization.audio.synthesis")


def _plan(seed: int = 11):
    return plan_from_dict({
        "seed": seed, "duration_s": 140, "layout": {"area_sq_mi": 1.0, "density_per_sq_mi": 16},
        "conditions": {"preset": "clean"},
        "event": [{"kind": "round_string", "at_s": 10, "x_m": 150, "y_m": -200, "rounds": 3},
                  {"kind": "firecracker_string", "at_s": 55, "x_m": -250, "y_m": 150, "pops": 12},
                  {"kind": "single_round", "at_s": 110, "x_m": -100, "y_m": -300, "weapon": "shotgun"}],
    })


@pytest.fixture(scope="module")
def run():
    feed = SimulatorFeed(_plan(), speed=0, audio=True)
    q = EventQueue()
    feed.run(q)
    events = q.drain()
    return feed, q.pulses(events), events


def _gunfire(feed, i: int) -> bool:
    return bool(feed.truth.events.shots[int(feed.truth.shot_index[i])].is_gunfire)


def test_delivered_pulses_carry_the_detector_features(run):
    feed, pulses, _ = run
    direct = [(p, i) for p, i in zip(pulses, feed.delivered_truth_indices) if feed.truth.path[i] == DIRECT]
    assert direct
    with_f = [(p, i) for p, i in direct if p.features]
    assert len(with_f) >= 0.85 * len(direct)
    assert all({k for k, _ in p.features} == set(FEATURE_NAMES) for p, _ in with_f)
    assert feed.counts["pulses_with_features"] == sum(1 for p in pulses if p.features)
    gun = [p for p, i in with_f if _gunfire(feed, i)]
    pops = [p for p, i in with_f if not _gunfire(feed, i)]
    assert gun and pops
    p_gun = pulse_gunfire_probability([dict(p.features) for p in gun])
    p_pop = pulse_gunfire_probability([dict(p.features) for p in pops])
    assert np.mean(p_gun >= 0.5) >= 0.9
    assert np.mean(p_pop >= 0.5) <= 0.2


def test_demo_incidents_get_a_gunfire_probability_and_decoys_a_review_label(run):
    feed, pulses, _ = run
    engine = Engine(feed.sensors, EngineConfig())
    incidents = {i.id: i for i in engine.push(pulses) + engine.flush()}.values()
    assert incidents and all(i.gunfire_p is not None for i in incidents)
    src = {p.id: i for p, i in zip(pulses, feed.delivered_truth_indices)}

    def is_gunfire(inc) -> bool:
        votes = [_gunfire(feed, src[pid]) for s in inc.shots for pid in s.pulse_ids if pid in src]
        return sum(votes) > len(votes) / 2

    gun = [i for i in incidents if is_gunfire(i)]
    decoys = [i for i in incidents if not is_gunfire(i)]
    assert gun and decoys
    assert all(i.gunfire_p >= 0.5 and i.review_label is None for i in gun)
    assert all(i.gunfire_p < 0.5 and i.kind == "possible_gunfire" and i.review_label is not None for i in decoys)


def test_features_are_deterministic_whatever_the_order_they_are_asked_in(run):
    feed, _, _ = run
    idx = feed.delivered_truth_indices[:40]
    windows = feed.pulse_audio.windows
    a = PulseAudio(feed.truth, windows, seed=feed.timeline.plan.seed, cache_size=2)
    b = PulseAudio(feed.truth, windows, seed=feed.timeline.plan.seed)
    fa = {i: a.features(i) for i in idx}
    fb = {i: b.features(i) for i in reversed(idx)}
    assert fa == fb and any(fa.values())
    c = PulseAudio(feed.truth, windows, seed=feed.timeline.plan.seed + 1)
    assert {i: c.features(i) for i in idx} != fa


def test_the_uploaded_clip_holds_the_pulse_where_and_as_loud_as_it_was_reported(run):
    feed, pulses, events = run
    sim = feed.truth
    clip = next(e.clip for e in events if isinstance(e, AudioEvent))
    audio = decode_clip(clip)
    dets = detect_impulses(audio.samples, audio.sample_rate_hz, full_scale_db=93.09, with_features=False)
    onsets_ns = np.array([audio.start_ns + d.onset_s * 1e9 for d in dets])
    mine = [i for i in np.flatnonzero(sim.path == DIRECT) if sim.pulses[i].sensor == clip.sensor
            and audio.start_ns < sim.true_arrival_ns[i] < audio.end_ns]
    assert mine
    for i in mine:
        k = int(np.argmin(np.abs(onsets_ns - sim.true_arrival_ns[i])))
        assert abs(onsets_ns[k] - sim.true_arrival_ns[i]) < 2e6
        assert dets[k].peak_db == pytest.approx(min(float(sim.level_db[i]), 93.09), abs=6.0)


def test_without_audio_pulses_stay_bare_and_features_can_be_asked_for_alone():
    q = EventQueue()
    SimulatorFeed(_plan(), speed=0).run(q)
    assert not any(p.features for p in q.pulses(q.drain()))
    q = EventQueue()
    feed = SimulatorFeed(_plan(), speed=0, features=True)
    feed.run(q)
    events = q.drain()
    assert not any(isinstance(e, AudioEvent) for e in events)
    assert any(p.features for p in q.pulses(events))
