import numpy as np
import pytest

from localization.association import _three_sensor_solutions, _unique_three
from localization.solver import closed_form, f2_quantile, refine

C = 343.0


def arrivals(S, src, t0=0.5, c=C, z=1.5):
    d = np.sqrt((S[:, 0] - src[0]) ** 2 + (S[:, 1] - src[1]) ** 2 + (S[:, 2] - z) ** 2)
    return t0 + d / c


def ring(n, r=500.0, z=10.0):
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([r * np.cos(a), r * np.sin(a), np.full(n, z)], axis=1)


def test_closed_form_exact_with_exact_data():
    S = ring(6)
    t = arrivals(S, (120.0, -80.0))
    sol = closed_form(S, t, C, 1.5)
    assert sol[0] == pytest.approx(120.0, abs=1e-6) and sol[1] == pytest.approx(-80.0, abs=1e-6)
    assert sol[2] == pytest.approx(0.5, abs=1e-9)


def test_closed_form_batched_and_singular_gives_nan():
    S = ring(4)
    t = arrivals(S, (10.0, 20.0))
    batch = closed_form(np.stack([S, S]), np.stack([t, t]), C, 1.5)
    assert batch.shape == (2, 3)
    assert np.allclose(batch[:, :2], [10.0, 20.0], atol=1e-6)
    line = np.array([[0, 0, 0], [100, 0, 0], [200, 0, 0], [300, 0, 0]], float)
    assert np.all(np.isnan(closed_form(line, arrivals(line, (50, 50)), C, 1.5)))


def test_refine_recovers_position_under_noise_and_rejects_a_late_echo():
    rng = np.random.default_rng(1)
    S = ring(10)
    t = arrivals(S, (60.0, 40.0)) + rng.normal(0, 1e-4, 10)
    t[3] += 0.030  # an echo replaced the direct pulse at sensor 3
    fit = refine(S, t, x0=(0.0, 0.0), c=C, z_src=1.5, estimate_nuisance=False)
    assert np.hypot(fit.x_m - 60, fit.y_m - 40) < 0.3
    assert not fit.inliers[3] and fit.inliers.sum() == 9


def test_refine_estimates_wind_when_it_pays():
    S = ring(12, r=700)
    src = np.array([50.0, -30.0])
    wind = np.array([4.0, -2.0])
    d = np.sqrt(((S[:, :2] - src) ** 2).sum(1) + (S[:, 2] - 1.5) ** 2)
    u = (S[:, :2] - src) / d[:, None]
    t = 0.2 + d / (C + u @ wind)
    fit = refine(S, t, x0=(0.0, 0.0), c=C, z_src=1.5)
    assert fit.wind_mps is not None
    assert np.allclose(fit.wind_mps, wind, atol=0.3)
    assert np.hypot(fit.x_m - 50, fit.y_m + 30) < 0.5


def test_ellipse_is_calibrated_on_synthetic_noise():
    rng = np.random.default_rng(7)
    S = ring(7, r=600)
    inside = 0
    trials = 300
    for _ in range(trials):
        src = rng.uniform(-300, 300, 2)
        t = arrivals(S, src) + rng.normal(0, 2e-4, len(S))
        fit = refine(S, t, x0=(0.0, 0.0), c=C, z_src=1.5, estimate_nuisance=False)
        d = np.array([fit.x_m - src[0], fit.y_m - src[1]])
        inside += d @ np.linalg.solve(fit.cov_xy_m2, d) <= 2 * f2_quantile(fit.dof)
    assert 0.90 <= inside / trials <= 0.99


def test_three_sensors_unique_or_ambiguous():
    S = np.array([[0, 0, 5], [600, 0, 5], [0, 600, 5]], float)
    inside = arrivals(S, (150.0, 150.0))
    sols = _three_sensor_solutions(S, inside, C, 1.5)
    assert any(np.hypot(s[0] - 150, s[1] - 150) < 1e-3 for s in sols)
    assert _unique_three(S, inside, C, 1.5, 1200.0) in (True, False)
    # a source far outside the triangle: the range-limited answer must still contain it or reject
    far = arrivals(S, (2500.0, 2500.0))
    assert not _unique_three(S, far, C, 1.5, 1200.0)


def test_closed_form_with_arrivals_spread_over_seconds():
    """Sensors 150–1200 m from the source: arrivals span 3 s.  Solving for t0 in seconds next
    to coordinates in metres made the normal equations look singular; the fix scales it."""
    S = np.array([[1207.1, -611.6, 6.1], [1018.9, -204.5, 11.9], [568.5, -851.9, 16.0],
                  [180.4, -619.7, 8.6], [-109.8, -630.5, 15.5]])
    src = np.array([1063.3, -544.2, 1.5])
    c = 343.0
    t = np.linalg.norm(S - src, axis=1) / c + 0.25
    sol = closed_form(S, t - t[0], c, 1.5)
    assert np.all(np.isfinite(sol))
    assert np.hypot(sol[0] - src[0], sol[1] - src[1]) < 0.01


def test_refine_estimates_the_height_of_a_source_high_above_the_sensors():
    """An aerial shell bursting 150 m up: at ground level no source fits its arrivals; with
    the height free, from a start above the sensors, the fit finds it to a few metres.
    A ground-level source fitted with its height free stays low — near the sensors'
    rooftops, the mirror image of the ground below them, never high above."""
    rng = np.random.default_rng(4)
    S = np.column_stack([rng.uniform(-1000, 1000, 20), rng.uniform(-1000, 1000, 20), rng.uniform(6, 15, 20)])
    t = arrivals(S, (120.0, -80.0), z=150.0) + rng.normal(0.0, 5e-4, 20)
    flat = refine(S, t, x0=(0.0, 0.0), c=C, z_src=1.5, estimate_nuisance=False)
    assert flat.z_m is None and flat.sigma_s > 2e-3
    for start in (80.0, 200.0):
        high = refine(S, t, x0=(0.0, 0.0), c=C, z_src=1.5, estimate_nuisance=False, z_start=start)
        assert high.z_m == pytest.approx(150.0, abs=5.0)
        assert np.hypot(high.x_m - 120.0, high.y_m + 80.0) < 2.0
        assert high.sigma_s < 1e-3 and high.inliers.all()
    ground = refine(S, arrivals(S, (120.0, -80.0)) + rng.normal(0.0, 5e-4, 20), x0=(0.0, 0.0), c=C, z_src=1.5,
                    estimate_nuisance=False, z_start=80.0)
    assert ground.z_m < 25.0
