"""``tocsin bench detect``: our onsets vs ShotSpotter's reported arrival times on the 88
Pittsburgh FP1 recordings (matching rule in ``fp1_audio``), then the engine located on
*our* pulses for the sensors with audio together with the other sensors' reported pulses."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from app.bench import pittsburgh as pgh
from app.bench.engine import PositionTally, pittsburgh_config
from app.bench.fp1_audio import DEFAULT_PITTSBURGH, MATCH_MS, TestAudio, load_tests, match
from localization import Pulse, locate_batch


def run(args: argparse.Namespace | None = None) -> dict:
    root = Path(getattr(args, "data", None) or DEFAULT_PITTSBURGH)
    t = time.perf_counter()
    tests = load_tests(root, "FP1")
    elapsed = time.perf_counter() - t
    rows = [r for tt in tests for r in match(tt)]
    recorded = [r for r in rows if not r[4]]
    found = [r for r in rows if r[2] is not None]
    dt = np.array([r[3] for r in found])
    audio_s = sum(rec.duration_s for tt in tests for rec in tt.recordings)
    n_det = sum(len(v) for tt in tests for v in tt.detections.values())
    res = {
        "recordings": sum(len(tt.recordings) for tt in tests),
        "gunshot_pulses_reported": len(rows),
        "in_silent_audio": len(rows) - len(recorded),
        "found": len(found),
        "found_pct_of_all": round(100.0 * len(found) / max(1, len(rows)), 2),
        "found_pct_of_recorded": round(100.0 * len(found) / max(1, len(recorded)), 2),
        "median_abs_dt_ms": round(float(np.median(np.abs(dt))), 3) if len(dt) else None,
        "p95_abs_dt_ms": round(float(np.percentile(np.abs(dt), 95)), 3) if len(dt) else None,
        "median_dt_ms": round(float(np.median(dt)), 3) if len(dt) else None,
        "match_window_ms": MATCH_MS,
        "detections_total": n_det,
        "detections_per_recording": round(n_det / max(1, len(tests) and sum(len(tt.recordings) for tt in tests)), 1),
        "x_real_time": round(audio_s / max(elapsed, 1e-9), 1),
    }
    print("bench detect — Pittsburgh FP1 audio vs ShotSpotter reported gunshot pulses")
    print(f"  recordings                 {res['recordings']}")
    print(f"  gunshot pulses reported    {res['gunshot_pulses_reported']}  ({res['in_silent_audio']} fall in silent gaps of the audio)")
    print(f"  found (±{MATCH_MS:.0f} ms)             {res['found']}  = {res['found_pct_of_all']} % of all, {res['found_pct_of_recorded']} % of recorded  (target ≥ 95 %)")
    print(f"  median |Δt|                {res['median_abs_dt_ms']} ms  (target ≤ 1 ms)")
    print(f"  p95 |Δt|                   {res['p95_abs_dt_ms']} ms  (target ≤ 3 ms)")
    print(f"  median Δt (ours − theirs)  {res['median_dt_ms']} ms  (their times have 1 ms resolution)")
    print(f"  detections per recording   {res['detections_per_recording']}")
    print(f"  read + detect speed        ×{res['x_real_time']} real time")
    res["engine_on_our_pulses"] = locate_on_our_pulses(root, tests)
    print("  engine, FP1, same tests (survey ±2.5 m):")
    for label, row in res["engine_on_our_pulses"].items():
        print(f"    {label:<34} within 15 m {row['located_within_15m_pct']} %, median {row['median_error_m']} m, "
              f"p90 {row['p90_error_m']} m, rounds exact {row['rounds_exact_pct']} %, extra shots {row['extra_shots_elsewhere']}")
    print(json.dumps(res))
    return res


def our_pulses(test: TestAudio) -> list[Pulse]:
    """Our detector's onsets, as pulses, for every sensor that has a recording."""
    out = []
    for rec in test.recordings:
        for k, d in enumerate(test.detections.get(rec.sensor_id or "", [])):
            out.append(Pulse(sensor=rec.sensor_id, t_ns=int(rec.start_ns + round(d.onset_s * 1e9)),
                             snr_db=float(d.snr_db), peak_db=None if d.peak_db is None else float(d.peak_db),
                             id=f"{rec.sensor_id}-ours-{k}"))
    return out


def locate_on_our_pulses(root: Path, tests: list[TestAudio]) -> dict:
    """Each FP1 test located twice: on every reported pulse, and with the reported pulses of
    the sensors that have audio replaced by our detections."""
    reported, mixed = PositionTally(), PositionTally()
    for ta in tests:
        test = pgh.load_test(root / ta.firing_position / ta.test)
        # A recording's sensor is placed only through the pulses it reported; one that
        # reported none in this test has no known position and is left out.
        known = {s.id for s in test.sensors}
        with_audio = {r.sensor_id for r in ta.recordings} & known
        pulses = [p for p in test.pulses if p.sensor not in with_audio] + [
            p for p in our_pulses(ta) if p.sensor in with_audio]
        cfg = pittsburgh_config(test)
        reported.add(locate_batch(test.sensors, test.pulses, cfg), test.survey_xyz, test.rounds)
        mixed.add(locate_batch(test.sensors, pulses, cfg), test.survey_xyz, test.rounds)
    return {"reported pulses only": reported.summary(),
            "our pulses where audio exists": mixed.summary()}


if __name__ == "__main__":
    run()
