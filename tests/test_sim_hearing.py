"""Simulator: propagation, hearing, impairments, labels and the Cramér–Rao bound."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from localization.propagation import speed_of_sound_mps
from localization.sim import (
    DIRECT,
    ECHO,
    LABEL_LATE,
    LABEL_NOISE,
    NLOS,
    NOISE,
    Conditions,
    Events,
    crb_position_rms_m,
    random_city_events,
    round_string,
    sensor_grid,
    simulate_pulses,
    single_round,
    square_bounds,
)

T0 = 1_700_000_000_000_000_000
AREA = square_bounds(area_sq_mi=4.0)


@pytest.fixture(scope="module")
def sensors():
    return sensor_grid(density_per_sq_mi=15, bounds_m=AREA, seed=1)


def _shots(n, seed=0, spread=1200.0, gap_s=5.0):
    rng = np.random.default_rng(seed)
    return Events.combine(*[
        single_round(incident_id=f"I{i:03d}", x_m=float(rng.uniform(-spread, spread)),
                     y_m=float(rng.uniform(-spread, spread)), t_ns=T0 + int(i * gap_s * 1e9), seed=i)
        for i in range(n)
    ])


@pytest.fixture(scope="module")
def events():
    return _shots(150)


def _geometry(sim):
    sp = np.array([[s.x_m, s.y_m, s.z_m] for s in sim.sensors])
    sh = sim.events.shot_arrays()
    src = np.column_stack([sh["x_m"], sh["y_m"], sh["z_m"]])
    return sp, src, sh


def test_clean_zero_jitter_arrivals_are_exact_physics(sensors, events):
    sim = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.clean(jitter_s=0.0), seed=2)
    sp, src, sh = _geometry(sim)
    c = speed_of_sound_mps(15.0)
    assert sim.c_mps == c
    t = np.array([p.t_ns for p in sim.pulses])
    r = np.linalg.norm(sp[sim.sensor_index] - src[sim.shot_index], axis=1)
    expect = sh["t_ns"][sim.shot_index] + np.round(r / c * 1e9).astype(np.int64)
    assert np.all(sim.path == DIRECT) and np.array_equal(sim.label, sim.shot_index)
    assert np.max(np.abs(t - expect)) <= 1  # ns
    assert np.array_equal(sim.delivery_ns, t)
    assert np.all(np.diff(t) >= 0)


def test_wind_uses_effective_speed_along_the_path(sensors):
    ev = single_round(incident_id="A", x_m=0.0, y_m=0.0, t_ns=T0)
    w = (4.0, -3.0)
    sim = simulate_pulses(sensors=sensors, events=ev, conditions=Conditions.clean(jitter_s=0.0, wind_mps=w,
                                                                                  temperature_c=30.0), seed=2)
    sp, src, sh = _geometry(sim)
    d = sp[sim.sensor_index] - src[0]
    r = np.linalg.norm(d, axis=1)
    c = speed_of_sound_mps(30.0) + (d[:, 0] * w[0] + d[:, 1] * w[1]) / r
    t = np.array([p.t_ns for p in sim.pulses])
    assert np.max(np.abs(t - (T0 + np.round(r / c * 1e9)))) <= 1
    # downwind sensors hear it earlier than in still air
    still = T0 + r / speed_of_sound_mps(30.0) * 1e9
    down = (d[:, 0] * w[0] + d[:, 1] * w[1]) > 0
    assert np.all(t[down] < still[down])


def test_jitter_and_bias_statistics(sensors, events):
    cond = Conditions.clean(jitter_s=200e-6, bias_s=-300e-6)
    sim = simulate_pulses(sensors=sensors, events=events, conditions=cond, seed=3)
    err = (np.array([p.t_ns for p in sim.pulses]) - sim.true_arrival_ns) * 1e-9
    assert len(err) > 500
    assert np.mean(err) == pytest.approx(-300e-6, abs=30e-6)
    assert np.std(err) == pytest.approx(200e-6, rel=0.1)


def test_quantisation_to_one_millisecond(sensors, events):
    sim = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.clean(quantize_s=1e-3), seed=3)
    t = np.array([p.t_ns for p in sim.pulses])
    assert np.all(t % 1_000_000 == 0)
    assert np.max(np.abs(t - sim.true_arrival_ns)) <= 500_000 + 5 * 100_000


def test_hearing_gives_plausible_sensor_counts():
    """15 sensors/sq mi: a handgun shot in the interior is heard by a median of 8–12 sensors."""
    area = square_bounds(area_sq_mi=10.0)
    sensors = sensor_grid(density_per_sq_mi=15, bounds_m=area, seed=4)
    ev = _shots(300, seed=5, spread=1000.0)
    sim = simulate_pulses(sensors=sensors, events=ev, conditions=Conditions.clean(), seed=6)
    assert all(s.weapon == "handgun" for s in ev.shots)
    assert 8 <= np.median(sim.n_direct) <= 12
    assert np.percentile(sim.n_direct, 90) <= 25
    assert sim.locatable.mean() > 0.85
    peaks = np.array([p.peak_db for p in sim.pulses])
    assert peaks.max() <= 93.0 and 74.0 <= np.median(peaks) <= 88.0
    # rifles are louder than handguns and heard further
    ev_r = Events.combine(*[round_string(incident_id=f"R{i}", x_m=s.x_m, y_m=s.y_m, t_ns=s.t_ns, rounds=1,
                                         weapon="rifle", seed=i) for i, s in enumerate(ev.shots)])
    sim_r = simulate_pulses(sensors=sensors, events=ev_r, conditions=Conditions.clean(), seed=6)
    assert np.median(sim_r.n_direct) > np.median(sim.n_direct)


def test_more_density_more_sensors_hear():
    ev = _shots(100, seed=7, spread=800.0)
    lo = simulate_pulses(sensors=sensor_grid(density_per_sq_mi=12, bounds_m=AREA, seed=1), events=ev, seed=1)
    hi = simulate_pulses(sensors=sensor_grid(density_per_sq_mi=40, bounds_m=AREA, seed=1), events=ev, seed=1)
    assert np.median(hi.n_direct) > 2 * np.median(lo.n_direct)


def test_echoes_and_nlos_only_late(sensors, events):
    cond = Conditions.clean(jitter_s=0.0, echo_fraction=0.5, nlos_fraction=0.3)
    sim = simulate_pulses(sensors=sensors, events=events, conditions=cond, seed=8)
    sp, src, sh = _geometry(sim)
    c = sim.c_mps
    r = np.linalg.norm(sp[sim.sensor_index] - src[sim.shot_index], axis=1)
    geo = sh["t_ns"][sim.shot_index] + np.round(r / c * 1e9)
    late = (np.array([p.t_ns for p in sim.pulses]) - geo) * 1e-9
    echo, nlos, direct = sim.path == ECHO, sim.path == NLOS, sim.path == DIRECT
    assert echo.sum() > 100 and nlos.sum() > 50
    assert np.all(late[echo] >= 0.005 - 1e-8) and np.all(late[echo] <= 0.3 + 0.04 + 1e-8)
    assert np.all(late[nlos] >= 0.002 - 1e-8) and np.all(late[nlos] <= 0.04 + 1e-8)
    assert np.all(np.abs(late[direct]) < 1e-8)
    assert np.all(sim.label[echo | nlos] == LABEL_LATE)
    # echoes are weaker than the pulse they copy; NLOS replaces the direct pulse at that sensor
    pairs_direct = set(zip(sim.shot_index[direct], sim.sensor_index[direct]))
    pairs_nlos = set(zip(sim.shot_index[nlos], sim.sensor_index[nlos]))
    assert not pairs_direct & pairs_nlos
    assert sim.n_direct.sum() == direct.sum()


def test_realistic_fraction_of_late_pulses(sensors, events):
    sim = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.realistic(), seed=9)
    shot = sim.path != NOISE
    frac = np.isin(sim.path[shot], (ECHO, NLOS)).mean()
    assert 0.05 < frac < 0.15


def test_dropouts_and_offline_sensors(sensors, events):
    clean = simulate_pulses(sensors=sensors, events=events, seed=10)
    half = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.clean(dropout_fraction=0.5), seed=10)
    none = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.clean(dropout_fraction=1.0), seed=10)
    assert len(none.pulses) == 0 and not none.locatable.any()
    assert 0.4 < len(half.pulses) / len(clean.pulses) < 0.6
    # the heard set with dropouts is a subset of the clean one (same losses for the same seed)
    key = lambda s: set(zip(s.shot_index.tolist(), s.sensor_index.tolist()))  # noqa: E731
    assert key(half) <= key(clean)
    off = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.clean(offline_fraction=0.3), seed=10)
    silent = set(range(len(sensors))) - set(off.sensor_index.tolist())
    assert len(silent) >= 0.2 * len(sensors)
    assert key(off) <= key(clean)


def test_noise_pulses_rate_and_labels(sensors, events):
    sim = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.clean(noise_per_min=2.0), seed=11)
    noise = sim.path == NOISE
    span_min = (events.shots[-1].t_ns - events.shots[0].t_ns) * 1e-9 / 60 + 25 / 60
    assert noise.sum() == pytest.approx(2.0 * span_min * len(sensors), rel=0.1)
    assert np.all(sim.label[noise] == LABEL_NOISE) and np.all(sim.shot_index[noise] == -1)


def test_labels_ids_and_delivery_order_realistic(sensors, events):
    sim = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.realistic(), seed=12)
    n = len(sim.pulses)
    for arr in (sim.delivery_ns, sim.label, sim.shot_index, sim.path, sim.sensor_index, sim.true_arrival_ns, sim.level_db):
        assert len(arr) == n
    assert len({p.id for p in sim.pulses}) == n
    assert [p.sensor for p in sim.pulses] == [sensors[i].id for i in sim.sensor_index]
    t = np.array([p.t_ns for p in sim.pulses])
    assert np.all(np.diff(sim.delivery_ns) >= 0)
    up = (sim.delivery_ns - t) * 1e-9
    assert up.min() >= 0.2 - 1e-9 and up.max() <= 5.0 + 1e-9
    assert not np.all(np.diff(t) >= 0)  # arrival order is shuffled by the upload delays
    direct = sim.path == DIRECT
    assert np.array_equal(sim.label[direct], sim.shot_index[direct])
    assert np.all(sim.shot_index[~direct & (sim.path != NOISE)] >= 0)
    # one direct pulse per (shot, sensor) at most
    pairs = list(zip(sim.shot_index[direct], sim.sensor_index[direct]))
    assert len(pairs) == len(set(pairs))
    assert abs(sim.reported_temperature_c - sim.temperature_c) <= 3.0
    assert np.hypot(*sim.wind_mps) <= 5.0
    assert sim.c_mps == speed_of_sound_mps(sim.temperature_c)
    batches = list(sim.deliveries(1.0))
    assert sum(len(b) for _, b in batches) == n
    assert all(now >= max(sim.delivery_ns[[int(p.id[1:]) for p in b]]) for now, b in batches)


def test_simulation_deterministic_from_seed(sensors, events):
    a = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.realistic(), seed=13)
    b = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.realistic(), seed=13)
    c = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.realistic(), seed=14)
    assert a.pulses == b.pulses and np.array_equal(a.label, b.label)
    assert a.reported_temperature_c == b.reported_temperature_c and a.wind_mps == b.wind_mps
    assert a.pulses != c.pulses


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(jitter_s=-1e-6), r"`jitter_s` must be within"),
        (dict(echo_fraction=1.5), r"`echo_fraction` must be within \[0, 1\]"),
        (dict(upload_delay_s=(5.0, 1.0)), "low <= high"),
        (dict(wind_mps=(40.0, 0.0)), "at most 30 m/s"),
        (dict(temperature_c=99.0), r"`temperature_c` must be within \[-60, 60\] °C"),
        (dict(quantize_s=0.0), "`quantize_s` must be within"),
    ],
)
def test_conditions_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conditions.clean(**kwargs)


def test_conditions_presets_and_with():
    assert Conditions.clean().echo_fraction == 0 and Conditions.clean().upload_delay_s is None
    r = Conditions.realistic()
    assert r.temperature_error_c == 3.0 and r.wind_max_mps == 5.0 and r.dropout_fraction == 0.05
    assert r.with_(noise_per_min=0.0).noise_per_min == 0.0
    with pytest.raises(ValueError, match="unknown condition field"):
        r.with_(colour="red")
    with pytest.raises(TypeError):
        Conditions(15.0)  # keyword-only


def test_simulate_validation(sensors, events):
    with pytest.raises(ValueError, match="`events` must be an Events"):
        simulate_pulses(sensors=sensors, events=[], seed=1)
    with pytest.raises(ValueError, match="`sensors` must not be empty"):
        simulate_pulses(sensors=(), events=events, seed=1)


# ---------------------------------------------------------------- Cramér–Rao bound
def _crb_reference(src, s, sigma, c):
    d = s[:, :2] - src
    u = d / np.linalg.norm(d, axis=1)[:, None]
    H = np.column_stack([u / c, np.ones(len(s))])
    F = H.T @ H / sigma**2
    return np.sqrt(np.trace(np.linalg.inv(F)[:2, :2]))


def test_crb_matches_direct_formula_and_scales_with_sigma():
    rng = np.random.default_rng(0)
    s = rng.uniform(-800, 800, size=(9, 2))
    src = np.array([30.0, -50.0])
    b = crb_position_rms_m(source_xy_m=src, sensors_xy_m=s, sigma_s=1e-4, c_mps=343.0)
    assert b == pytest.approx(_crb_reference(src, s, 1e-4, 343.0), rel=1e-9)
    assert crb_position_rms_m(source_xy_m=src, sensors_xy_m=s, sigma_s=2e-4, c_mps=343.0) == pytest.approx(2 * b)
    assert 0.005 < b < 0.2  # centimetres, as TN-098 says for 100 µs


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(4, 20), extra=st.integers(1, 10))
def test_crb_more_sensors_never_worse(seed, n, extra):
    rng = np.random.default_rng(seed)
    s = rng.uniform(-1000, 1000, size=(n + extra, 2))
    src = rng.uniform(-300, 300, size=2)
    few = crb_position_rms_m(source_xy_m=src, sensors_xy_m=s[:n], sigma_s=1e-4, c_mps=343.0)
    more = crb_position_rms_m(source_xy_m=src, sensors_xy_m=s, sigma_s=1e-4, c_mps=343.0)
    assert more <= few * (1 + 1e-9)


def test_crb_undetermined_geometry_is_inf():
    two = np.array([[100.0, 0.0], [0.0, 100.0]])
    assert crb_position_rms_m(source_xy_m=(0, 0), sensors_xy_m=two, sigma_s=1e-4, c_mps=343.0) == np.inf
    line = np.array([[100.0, 0.0], [200.0, 0.0], [300.0, 0.0], [400.0, 0.0]])
    assert crb_position_rms_m(source_xy_m=(0, 0), sensors_xy_m=line, sigma_s=1e-4, c_mps=343.0) == np.inf


def test_sim_crb_per_shot_matches_helper(sensors, events):
    sim = simulate_pulses(sensors=sensors, events=events, seed=15)
    sp, src, _ = _geometry(sim)
    for k in np.flatnonzero(sim.locatable)[:5]:
        idx = sim.sensor_index[sim.label == k]
        b = crb_position_rms_m(source_xy_m=src[k, :2], sensors_xy_m=sp[idx], sigma_s=1e-4, c_mps=sim.c_mps)
        assert sim.crb_m[k] == pytest.approx(b, rel=1e-9)
    assert np.all(np.isinf(sim.crb_m[sim.n_direct < 3]))


def test_city_hour_generates_at_scale():
    area = square_bounds(area_sq_mi=10.0)
    sensors = sensor_grid(density_per_sq_mi=15, bounds_m=area, seed=1)
    ev = random_city_events(profile="new_years_eve", bounds_m=area, seed=2)
    sim = simulate_pulses(sensors=sensors, events=ev, conditions=Conditions.realistic(), seed=3)
    assert len(sensors) == 150 and len(ev.incidents) >= 1000
    assert 30_000 < len(sim.pulses) < 120_000
    summ = sim.summary()
    assert summ["pulses"] == len(sim.pulses) == sum(summ[f"pulses_{p}"] for p in ("direct", "echo", "nlos", "noise"))
    assert summ["gunfire_shots"] == sum(s.is_gunfire for s in ev.shots)
    assert summ["sensors_per_shot_p10"] <= summ["sensors_per_shot_p50"] <= summ["sensors_per_shot_p90"]
