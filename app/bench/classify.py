"""``tocsin bench classify``: gunfire classification on real gunshots (Pittsburgh FP1
audio — pulses matched to ShotSpotter's gunshot pulses, incidents = tests) and on a held-out
synthetic set of decoys (different seeds from training), with a confusion matrix per kind;
then the live demo's feed (its pulses' detector features measured on the audio it
synthesises → the engine's incidents), and how fast the audio is synthesised.
``--quick``: 10 synthetic incidents per kind, 2 simulated minutes of the demo."""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from app.bench.fp1_audio import DEFAULT_PITTSBURGH, load_tests, match
from localization.audio.classify import classify_incident, default_model, pulse_gunfire_probability
from localization.audio.sources import DECOY_KINDS
from localization.audio.training import TRAIN_SEED, simulate_incidents

TEST_SEED = TRAIN_SEED + 7919
LABELS = ("gunfire", "possible_gunfire", "probable_fireworks", "non_gunfire")


def _real(root: Path) -> dict:
    tests = load_tests(root, "FP1")
    pulse_p, inc_labels = [], []
    for tt in tests:
        rows = [r for r in match(tt) if r[2] is not None]
        feats = [r[2].features for r in rows]
        if not feats:
            inc_labels.append("missed")
            continue
        pulse_p.extend(pulse_gunfire_probability(feats).tolist())
        # round times from the sensor that heard the most rounds
        by_sensor: dict[str, list[float]] = {}
        for p, rec, det, _, _ in rows:
            by_sensor.setdefault(p.sensor, []).append(det.onset_s)
        times = sorted(max(by_sensor.values(), key=len))
        inc_labels.append(classify_incident(feats, times, height_m=None).label)
    pp = np.array(pulse_p)
    return {
        "pulses": len(pp),
        "pulse_gunfire_pct": round(100.0 * float(np.mean(pp >= 0.5)), 2),
        "incidents": len(inc_labels),
        "incident_labels": {k: inc_labels.count(k) for k in (*LABELS, "missed")},
        "incident_gunfire_pct": round(100.0 * inc_labels.count("gunfire") / max(1, len(inc_labels)), 2),
    }


def _synthetic(per_kind: int) -> dict:
    out = {}
    kinds = ["gunshot", *DECOY_KINDS]
    incs = simulate_incidents(kinds, per_kind, TEST_SEED)
    for kind in kinds:
        sel = [i for i in incs if i.kind == kind]
        heard = [i for i in sel if i.pulse_features]
        labels = [classify_incident(list(i.pulse_features), list(i.shot_times_s), height_m=i.height_m).label for i in heard]
        pp = np.concatenate([pulse_gunfire_probability(list(i.pulse_features)) for i in heard]) if heard else np.zeros(0)
        out[kind] = {
            "incidents": len(sel),
            "heard": len(heard),
            **{k: labels.count(k) for k in LABELS},
            "called_gunfire_pct": round(100.0 * labels.count("gunfire") / max(1, len(heard)), 1),
            "pulse_gunfire_pct": round(100.0 * float(np.mean(pp >= 0.5)), 1) if len(pp) else None,
        }
    return out


class _Collect:
    """Feed listener keeping the pulse batches."""

    def __init__(self) -> None:
        self.batches: list[list] = []

    def on_pulses(self, pulses) -> None:
        self.batches.append(list(pulses))

    def on_audio(self, clip) -> None:
        pass

    def on_status(self, status) -> None:
        pass

    def on_alert(self, alert) -> None:
        pass


def _demo(duration_s: float) -> dict:
    """The demo city's own feed (Port Tocsin, busy weekend, seed 5) played as fast as it
    goes: share of pulses with detector features, their gunfire calls by what truly made
    them, and the engine's incidents with a gunfire probability / review label (an incident
    counts as gunfire when most of its pulses came from gunfire)."""
    from app.console_services.engine_source import city_feed  # the demo's feed, as the console builds it
    from app.console_services.site import demo_site
    from localization import Engine, EngineConfig
    from localization.sim import DIRECT, NOISE

    feed = city_feed(demo_site(), rate_per_s=0.15, speed=0.0, seed=5, duration_s=duration_s, profile="busy_weekend")
    sink = _Collect()
    t = time.perf_counter()
    feed.run(sink)
    elapsed = time.perf_counter() - t
    sim = feed.truth
    pulses = [p for b in sink.batches for p in b]
    truth = dict(zip((p.id for p in pulses), feed.delivered_truth_indices))

    def source(i: int) -> str:
        k = int(sim.shot_index[i])
        return "noise" if k < 0 else ("gunfire" if sim.events.shots[k].is_gunfire else "decoy")

    calls: dict[str, list[float]] = {"gunfire": [], "decoy": [], "noise": []}
    direct = with_f = 0
    for p in pulses:
        i = truth[p.id]
        if sim.path[i] not in (DIRECT, NOISE):
            continue
        direct += 1
        if p.features:
            with_f += 1
            calls[source(i)].append(float(pulse_gunfire_probability(dict(p.features))[0]))
    engine = Engine(feed.sensors, EngineConfig())
    incs: dict = {}
    for b in sink.batches:
        for inc in engine.push(b, now_ns=max(p.t_ns for p in b)):
            incs[inc.id] = inc
    for inc in engine.flush():
        incs[inc.id] = inc
    rows: Counter[str] = Counter()
    for inc in incs.values():
        votes = Counter(source(truth[pid]) for s in inc.shots for pid in s.pulse_ids if pid in truth)
        gun = votes["gunfire"] > sum(votes.values()) / 2
        if inc.gunfire_p is None:
            rows["no_gunfire_p"] += 1
        elif gun:
            rows["gunfire_called_gunfire" if inc.gunfire_p >= 0.5 else "gunfire_not_called"] += 1
        else:
            rows["decoy_with_review_label" if inc.review_label else
                 ("decoy_called_gunfire" if inc.gunfire_p >= 0.5 else "decoy_possible_no_label")] += 1
    n = len(incs)
    return {
        "simulated_s": duration_s,
        "pulses": len(pulses),
        "direct_or_noise_pulses_with_features_pct": round(100.0 * with_f / max(1, direct), 1),
        "pulse_called_gunfire_pct": {k: round(100.0 * float(np.mean(np.array(v) >= 0.5)), 1) if v else None
                                     for k, v in calls.items()},
        "incidents": n,
        "incidents_with_gunfire_p_pct": round(100.0 * (n - rows["no_gunfire_p"]) / max(1, n), 1),
        "incident_outcomes": dict(rows),
        "feed_ms_per_pulse": round(1000.0 * elapsed / max(1, len(pulses)), 2),
        "feed_x_real_time": round(duration_s / max(elapsed, 1e-9), 1),
        "pulses_per_simulated_s": round(len(pulses) / duration_s, 1),
    }


def _synthesis_speed(duration_s: float) -> dict:
    """80 sensors over 4 × 4 km at 16 kHz with ~40 incidents per 10 minutes (a third decoys)."""
    from localization.audio.sources import WEAPONS, decoy, gunfire
    from localization.audio.synthesis import Synthesizer

    rng = np.random.default_rng(1)
    xs, ys = np.meshgrid(np.linspace(0, 4000, 9)[:-1], np.linspace(0, 4000, 11)[:-1])
    sensors = np.column_stack([xs.ravel(), ys.ravel(), np.full(xs.size, 10.0)])
    events = []
    for k in range(max(1, int(40 * duration_s / 600))):
        x, y = rng.uniform(0, 4000, 2)
        t_ns = int(rng.uniform(0, duration_s - 10) * 1e9)
        events += (gunfire(x, y, t_ns, rounds=int(rng.integers(1, 6)), weapon=str(rng.choice(WEAPONS)), rng=rng)
                   if k % 3 else decoy(str(rng.choice(DECOY_KINDS)), x, y, t_ns, rng=rng))
    events.sort(key=lambda e: e.t_ns)
    t = time.perf_counter()
    synth = Synthesizer(sensors, events, start_ns=0, duration_s=duration_s, sample_rate_hz=16000, seed=3)
    for _ in synth.iter_chunks(30.0):
        pass
    elapsed = time.perf_counter() - t
    return {"sensors": len(sensors), "audio_s": duration_s, "events": len(events), "seconds": round(elapsed, 1),
            "x_real_time": round(duration_s / elapsed, 1)}


def run(args: argparse.Namespace | None = None) -> dict:
    root = Path(getattr(args, "data", None) or DEFAULT_PITTSBURGH)
    quick = bool(getattr(args, "quick", False))
    per_kind = int(getattr(args, "per_kind", None) or (10 if quick else 30))
    res: dict = {"model": dict(default_model().info)}
    if root.is_dir():
        res["real_fp1"] = _real(root)
    else:
        res["real_fp1"] = None
        print(f"real data not found at {root}: real-gunshot rows skipped")
    res["synthetic"] = syn = _synthetic(per_kind)
    decoys = [syn[k] for k in DECOY_KINDS]
    heard = sum(d["heard"] for d in decoys)
    res["decoys_called_gunfire_pct"] = round(100.0 * sum(d["gunfire"] for d in decoys) / max(1, heard), 2)
    print("bench classify — gunfire vs decoys (synthetic test set: seeds disjoint from training)")
    if res["real_fp1"]:
        r = res["real_fp1"]
        print(f"  real FP1 gunshot pulses     {r['pulses']}: {r['pulse_gunfire_pct']} % called gunfire (target ≥ 98 %)")
        print(f"  real FP1 incidents (tests)  {r['incidents']}: {r['incident_gunfire_pct']} % gunfire; labels {r['incident_labels']}")
    print(f"  {'kind':14s} {'heard':>5s} {'gunfire':>8s} {'possible':>8s} {'fireworks':>9s} {'non_gun':>7s} {'called%':>7s} {'pulse%':>6s}")
    for k, d in syn.items():
        print(f"  {k:14s} {d['heard']:5d} {d['gunfire']:8d} {d['possible_gunfire']:8d} {d['probable_fireworks']:9d} "
              f"{d['non_gunfire']:7d} {d['called_gunfire_pct']:7.1f} {d['pulse_gunfire_pct'] if d['pulse_gunfire_pct'] is not None else '-':>6}")
    print(f"  decoy incidents called gunfire: {res['decoys_called_gunfire_pct']} % (target ≤ 5 %)")
    res["demo"] = d = _demo(120.0 if quick else 600.0)
    print(f"  live demo feed, {d['simulated_s']:.0f} simulated s: {d['pulses']} pulses; "
          f"{d['direct_or_noise_pulses_with_features_pct']} % of direct/noise pulses carry detector features; "
          f"called gunfire {d['pulse_called_gunfire_pct']}")
    print(f"    incidents {d['incidents']}: {d['incidents_with_gunfire_p_pct']} % with gunfire_p; {d['incident_outcomes']}")
    print(f"    features cost {d['feed_ms_per_pulse']} ms per pulse: the feed runs ×{d['feed_x_real_time']} real time "
          f"at the demo's {d['pulses_per_simulated_s']} pulses/s")
    res["synthesis"] = sp = _synthesis_speed(60.0 if quick else 300.0)
    print(f"  synthesis: {sp['audio_s']:.0f} s of {sp['sensors']} sensors at 16 kHz ({sp['events']} sources) "
          f"in {sp['seconds']} s = ×{sp['x_real_time']} real time")
    print(json.dumps(res))
    return res


if __name__ == "__main__":
    run()
