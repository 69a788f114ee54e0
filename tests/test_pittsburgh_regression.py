"""Real-data regression on the Pittsburgh live-fire test (development positions only).

Skips, saying so, when ../shared/data is absent.  Thresholds are regression floors
for the engine as it is, not the product targets (those are reported by
`tocsin bench engine`)."""
import math

import numpy as np
import pytest

from app.bench import pittsburgh as pgh
from localization import EngineConfig, locate_batch

pytestmark = pytest.mark.realdata


def test_fp1_fp2_located_within_metres(shared_data):
    if not pgh.dataset_dir(shared_data).is_dir():
        pytest.skip("Pittsburgh live-fire data absent; real-data regression skipped")
    errs, exact, n = [], 0, 0
    for test in pgh.iter_tests(shared_data, ("FP1", "FP2")):
        incs = locate_batch(test.sensors, test.pulses, EngineConfig(temperature_c=test.temperature_c))
        sx, sy, _ = test.survey_xyz
        d = sorted(math.hypot(s.x_m - sx, s.y_m - sy) for i in incs for s in i.shots)
        near = [x for x in d if x <= 25]
        errs += d[: test.rounds]
        exact += len(near) == test.rounds
        n += 1
    e = np.array(errs)
    assert n == 36
    assert np.median(e) < 5.0
    assert np.mean(e <= 15) >= 0.9
    assert exact / n >= 0.8


def test_loader_reads_a_test(pittsburgh_dir):
    t = pgh.load_test(pittsburgh_dir / "FP1" / "test_001")
    assert t.rounds == 3 and t.position == "FP1" and len(t.pulses) > 50
    assert all(p.t_ns > 1_500_000_000 * 10**9 for p in t.pulses)
