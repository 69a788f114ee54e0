import numpy as np

from localization.site import SiteConditions

C = 340.0


def test_wind_and_sound_speed_learnt_from_shots_too_small_to_solve_alone():
    rng = np.random.default_rng(3)
    wind, dc = np.array([-4.0, 2.5]), 1.2
    site = SiteConditions(c_mps=C)
    for k in range(12):
        src = rng.uniform(-1500, 1500, 2)
        S = np.column_stack([src + rng.uniform(-900, 900, (5, 2)), np.full(5, 10.0)])
        d = np.sqrt(((S[:, :2] - src) ** 2).sum(1) + (10.0 - 1.5) ** 2)
        u = (S[:, :2] - src) / d[:, None]
        t = 100.0 + k + d / (C + dc + u @ wind) + rng.normal(0, 1e-4, 5)
        # the shot's own solution under the *wrong* (zero) conditions
        site.add(S, t, tuple(src + rng.normal(0, 5, 2)), 100.0 + k, 1.5, 1e-3)
    assert site.learnt
    assert np.allclose(site.wind_mps, wind, atol=0.5)
    assert abs(site.dc_mps - dc) < 0.5


def test_one_place_teaches_nothing():
    site = SiteConditions(c_mps=C)
    S = np.array([[0, 0, 10], [500, 0, 10], [0, 500, 10], [500, 500, 10], [250, 800, 10]], float)
    for k in range(6):
        site.add(S, np.arange(5) * 0.1 + k, (250.0, 250.0), float(k), 1.5, 1e-3)
    assert not site.learnt
    assert site.wind_mps == (0.0, 0.0) and site.dc_mps == 0.0
    assert site.wind_mps == (0.0, 0.0) and site.dc_mps == 0.0  # nothing applied


def test_posterior_spread_shrinks_as_shots_pin_conditions_down():
    """The spread (used to widen residual checks while conditions are unknown) starts at the
    priors and shrinks once spread-out shots have been pooled."""
    rng = np.random.default_rng(5)
    site = SiteConditions(c_mps=C)
    prior = site.speed_sd_mps
    assert abs(prior - np.sqrt(3.0**2 * 2 + 2.0**2)) < 1e-9
    for k in range(10):
        src = rng.uniform(-1500, 1500, 2)
        S = np.column_stack([src + rng.uniform(-900, 900, (8, 2)), np.full(8, 10.0)])
        d = np.sqrt(((S[:, :2] - src) ** 2).sum(1) + (10.0 - 1.5) ** 2)
        site.add(S, 50.0 + k + d / C + rng.normal(0, 1e-4, 8), tuple(src), 50.0 + k, 1.5, 1e-4)
    assert site.learnt
    assert site.speed_sd_mps < 0.2 * prior
