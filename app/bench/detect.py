"""``tocsin bench detect``: our onsets vs ShotSpotter's reported arrival times on the 88
Pittsburgh FP1 recordings (matching rule in ``fp1_audio``)."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from app.bench.fp1_audio import DEFAULT_PITTSBURGH, MATCH_MS, load_tests, match


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
    print(json.dumps(res))
    return res


if __name__ == "__main__":
    run()
