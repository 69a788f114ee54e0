"""``tocsin bench classify``: gunfire classification on real gunshots (Pittsburgh FP1
audio — pulses matched to ShotSpotter's gunshot pulses, incidents = tests) and on a held-out
synthetic set of decoys (different seeds from training), with a confusion matrix per kind."""
from __future__ import annotations

import argparse
import json
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


def run(args: argparse.Namespace | None = None) -> dict:
    root = Path(getattr(args, "data", None) or DEFAULT_PITTSBURGH)
    per_kind = int(getattr(args, "per_kind", None) or 30)
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
    print(json.dumps(res))
    return res


if __name__ == "__main__":
    run()
