"""Engine end to end on simulated pulses: association with echoes, bursts, streaming."""
import numpy as np
import pytest

from localization import Engine, EngineConfig, Pulse, Sensor, locate_batch
from localization.sim import (Conditions, aerial_shells, full_auto, round_string, score, sensor_grid,
                              simulate_pulses, single_round, square_bounds)

T0 = 1_700_000_000 * 10**9


@pytest.fixture(scope="module")
def sensors():
    return sensor_grid(density_per_sq_mi=15, bounds_m=square_bounds(area_sq_mi=4), seed=3)


def run(sensors, events, cond, seed=1):
    sim = simulate_pulses(sensors=sensors, events=events, conditions=cond, seed=seed)
    incs = locate_batch(sensors, sim.pulses, EngineConfig(temperature_c=sim.reported_temperature_c))
    return sim, incs


def test_single_shot_located_to_centimetres_in_clean_conditions(sensors):
    ev = single_round(incident_id="G1", x_m=120.0, y_m=-340.0, t_ns=T0, seed=1)
    sim, incs = run(sensors, ev, Conditions.clean())
    assert len(incs) == 1
    inc = incs[0]
    assert inc.kind == "single_gunshot" and inc.rounds == 1
    assert np.hypot(inc.x_m - 120.0, inc.y_m + 340.0) < 0.5
    assert abs(inc.shots[0].t_ns - T0) < 2_000_000  # emission time within 2 ms
    assert len(inc.shots[0].sensors) == len(set(inc.shots[0].sensors))  # one pulse per sensor


def test_echoes_are_not_extra_rounds(sensors):
    ev = single_round(incident_id="G1", x_m=-200.0, y_m=150.0, t_ns=T0, seed=2)
    cond = Conditions.clean(echo_fraction=0.6, echo_delay_s=(0.02, 0.3), echo_loss_db=(4.0, 10.0))
    sim, incs = run(sensors, ev, cond, seed=4)
    assert (sim.path == 1).sum() >= 3, "the scenario must actually contain echoes"
    assert sum(i.rounds for i in incs) == 1


def test_round_string_counted(sensors):
    ev = round_string(incident_id="G1", x_m=0.0, y_m=0.0, t_ns=T0, rounds=5, seed=3)
    sim, incs = run(sensors, ev, Conditions.clean(), seed=2)
    loc = int(sim.locatable.sum())
    assert loc >= 4
    assert sum(i.rounds for i in incs) >= loc - 1
    assert incs[0].kind == "multiple_gunshots"


def test_full_auto_burst_tagged(sensors):
    ev = full_auto(incident_id="G1", x_m=100.0, y_m=100.0, t_ns=T0, rounds_per_burst=12, rate_rps=10.0, seed=5)
    sim, incs = run(sensors, ev, Conditions.clean(), seed=5)
    main = max(incs, key=lambda i: i.rounds)
    assert main.rounds >= 8
    assert "full_auto" in main.tags


def test_streaming_emits_updates_and_releases_memory(sensors):
    ev = round_string(incident_id="G1", x_m=50.0, y_m=-50.0, t_ns=T0, rounds=4, median_interval_s=2.0, seed=8)
    sim = simulate_pulses(sensors=sensors, events=ev, conditions=Conditions.clean(), seed=8)
    eng = Engine(sensors, EngineConfig())
    revisions = []
    for now_ns, batch in sim.deliveries(0.5):
        revisions += [(i.id, i.revision, i.rounds) for i in eng.push(batch, now_ns=now_ns)]
    # time passes with no pulses: everything pending is processed and memory released
    revisions += [(i.id, i.revision, i.rounds) for i in eng.push([], now_ns=sim.pulses[-1].t_ns + 60 * 10**9)]
    assert revisions, "streaming produced no incident"
    ids = {r[0] for r in revisions}
    assert len(ids) == 1
    assert [r[1] for r in revisions] == list(range(len(revisions)))  # revisions count up
    assert revisions[-1][2] >= 3
    assert len(eng._buf) == 0 and not eng._pulses


def test_unknown_sensor_is_rejected_without_consuming(sensors):
    eng = Engine(sensors)
    with pytest.raises(ValueError, match="unknown sensor"):
        eng.push([Pulse(sensor=sensors[0].id, t_ns=T0), Pulse(sensor="nope", t_ns=T0)])
    assert eng.stats.pulses_in == 0


def test_fewer_than_three_sensors_give_no_location():
    s = [Sensor("A", 0, 0, 5), Sensor("B", 500, 0, 5), Sensor("C", 0, 500, 5)]
    pulses = [Pulse("A", T0), Pulse("B", T0 + 1_000_000_000)]
    assert locate_batch(s, pulses) == []


def test_duplicate_reports_are_merged(sensors):
    ev = single_round(incident_id="G1", x_m=0.0, y_m=0.0, t_ns=T0, seed=9)
    sim = simulate_pulses(sensors=sensors, events=ev, conditions=Conditions.clean(), seed=9)
    dup = [Pulse(p.sensor, p.t_ns, id=f"{p.id}-again") for p in sim.pulses]
    eng = Engine(sensors)
    eng.push(list(sim.pulses) + dup)
    incs = eng.flush()
    assert sum(i.rounds for i in incs) == 1
    assert eng.stats.duplicates == len(dup)


def test_config_validation():
    with pytest.raises(ValueError, match="tolerance_ms"):
        EngineConfig(tolerance_ms=0.0)
    with pytest.raises(ValueError, match="min_sensors"):
        EngineConfig(min_sensors=2)
    with pytest.raises(ValueError, match="temperature"):
        EngineConfig(temperature_c=500.0)


def test_degenerate_geometry_is_never_confidently_wrong():
    # all sensors on a line: position across the line is unobservable
    s = [Sensor(f"L{i}", i * 300.0, 0.0, 5.0) for i in range(6)]
    src = (700.0, 250.0)
    c = EngineConfig().c_mps
    pulses = [Pulse(x.id, T0 + int(1e9 * np.hypot(x.x_m - src[0], x.y_m - src[1]) / c)) for x in s]
    for inc in locate_batch(s, pulses):
        for sh in inc.shots:
            wrong = np.hypot(sh.x_m - src[0], sh.y_m - src[1]) > 25
            assert not wrong or sh.err95_m > 25 or inc.kind == "possible_gunfire"


def test_simulated_city_scores_reasonably(sensors):
    """Regression floor on 25 clean single rounds (the product target, 99.5 % found, is
    measured by `tocsin bench engine`, not asserted here)."""
    from app.bench.engine import family_events

    ev = family_events("single", 25, square_bounds(area_sq_mi=4), seed=21)
    sim, incs = run(sensors, ev, Conditions.clean(), seed=21)
    sc = score(sim, incs)
    assert sc.locatable_found_pct >= 85
    assert sc.false_shot_pct <= 5
    assert sc.median_error_m < 0.5


def test_isolated_full_auto_burst_under_field_conditions(sensors):
    """12 rounds at 12/s under wind, temperature error and echoes, with nothing learnt about
    the site yet: the rounds' pulses interleave at every sensor; each round must be found
    once and no mixed rounds reported.  (Not yet so for every such burst: on 20 random ones
    3 still fall short — see the #2 note.)"""
    ev = full_auto(incident_id="G1", x_m=-150.0, y_m=250.0, t_ns=T0, rounds_per_burst=12, rate_rps=12.0, seed=11)
    sim, incs = run(sensors, ev, Conditions.realistic(noise_per_min=0.0), seed=11)
    sc = score(sim, incs)
    assert sim.locatable.sum() >= 10
    assert sc.locatable_found_pct >= 90
    assert sc.false_shot_pct <= 10
    main = max(incs, key=lambda i: i.rounds)
    assert abs(main.rounds - int(sim.locatable.sum())) <= 1
    assert "full_auto" in main.tags


def test_streaming_collects_a_burst_like_batch(sensors):
    """Streamed in 0.3 s deliveries, a burst's later rounds arrive after its first round
    was located; they must still be found from its place, as in a batch run."""
    ev = full_auto(incident_id="G1", x_m=200.0, y_m=-100.0, t_ns=T0, rounds_per_burst=10, rate_rps=10.0, seed=12)
    sim = simulate_pulses(sensors=sensors, events=ev, conditions=Conditions.clean(), seed=12)
    cfg = EngineConfig(temperature_c=sim.reported_temperature_c)
    batch = locate_batch(sensors, sim.pulses, cfg)
    eng = Engine(sensors, cfg)
    latest = {}
    for now_ns, b in sim.deliveries(0.3):
        latest.update({i.id: i for i in eng.push(b, now_ns=now_ns)})
    latest.update({i.id: i for i in eng.flush()})
    streamed = list(latest.values())
    assert sum(i.rounds for i in streamed) == sum(i.rounds for i in batch) == int(sim.locatable.sum())


def test_stray_pulses_beyond_the_sites_residual_scale_are_not_a_shot(sensors):
    """Once well-heard shots have taught the site's timing scale (~0.1 ms here), five pulses
    that fit a place only to ±15 ms — inside the 40 ms association gate — are not a shot."""
    from localization.association import Associator, AssociationParams, PulseBuffer

    pos = np.array([[s.x_m, s.y_m, s.z_m] for s in sensors])
    a = Associator(pos, AssociationParams(c_mps=343.0, ground_z_m=1.5))
    for _ in range(10):
        a.note_sigma(1e-4)  # learnt from earlier shots
    src = np.array([100.0, 100.0, 1.5])
    d = np.linalg.norm(pos - src, axis=1)
    near = np.argsort(d)[:6]
    rng = np.random.default_rng(0)
    buf = PulseBuffer()
    t = d[near] / 343.0 + rng.choice([-1, 1], size=6) * 0.015
    buf.add(t, near, np.full(6, 30.0), np.arange(6), level=np.full(6, 90.0))
    assert a.find_shots(buf, ready_t=np.inf) == []
    # the same sensors with exact times are a shot
    a2 = Associator(pos, AssociationParams(c_mps=343.0, ground_z_m=1.5))
    for _ in range(10):
        a2.note_sigma(1e-4)
    buf2 = PulseBuffer()
    buf2.add(d[near] / 343.0, near, np.full(6, 30.0), np.arange(6), level=np.full(6, 90.0))
    shots = a2.find_shots(buf2, ready_t=np.inf)
    assert len(shots) == 1 and len(shots[0].pulse_rows) == 6


def test_a_fit_pulled_by_a_stray_pulse_is_rescued_with_every_true_pulse(sensors):
    """A stray pulse can pull the robust fit tens of metres off, so far that the fit keeps
    the stray as an inlier and rejects a true pulse.  The shot is still the true pulses —
    all of them, the rejected one too — not the pulled set nor one without its stray only."""
    from dataclasses import replace

    from localization.association import Associator, AssociationParams
    from localization.solver import refine, travel_times

    pos = np.array([[s.x_m, s.y_m, s.z_m] for s in sensors])
    a = Associator(pos, AssociationParams(c_mps=343.0, ground_z_m=1.5))
    for _ in range(10):
        a.note_sigma(1e-4)  # learnt from earlier shots
    src = (-200.0, -750.0)
    d = np.hypot(pos[:, 0] - src[0], pos[:, 1] - src[1])
    idx = np.argsort(d)[[1, 2, 3, 4, 5, 9]]  # five that heard the shot, one with a stray pulse
    S = pos[idx]
    t = travel_times(S, src, 1.5, 343.0, (0.0, 0.0))[0] + np.random.default_rng(2).normal(0, 1e-4, 6)
    t[5] += 0.011
    fit = refine(S, t, x0=src, c=343.0, z_src=1.5, estimate_nuisance=False)
    # the fit as a stray leaves it: pulled to a place that suits the stray, one true pulse rejected
    at = (src[0] - 25.0, src[1] + 65.0)
    tau = travel_times(S, at, 1.5, 343.0, (0.0, 0.0))[0]
    r = t - tau
    r -= np.median(r[[0, 1, 2, 3, 5]])
    inl = np.array([True, True, True, False, True, True])
    pulled = replace(fit, x_m=at[0], y_m=at[1], residuals_s=r, inliers=inl,
                     sigma_s=float(np.sqrt(np.mean(r[inl] ** 2))))
    assert pulled.sigma_s > 4e-3
    shot = a._make_shot(np.arange(6), idx, S, t, pulled, 0.0, 1.5)
    assert shot is not None
    assert sorted(shot.pulse_rows.tolist()) == [0, 1, 2, 3, 4]
    assert np.hypot(shot.fit.x_m - src[0], shot.fit.y_m - src[1]) < 1.0


def test_a_set_made_of_a_found_shots_leftover_pulses_is_not_another_shot(sensors):
    """A loud shot is heard by more sensors than its fit took (distant ones, late picks).
    Pulses that shot predicts at sensors it did not use are its leftovers: a set made
    mostly of them is not a second shot — until no shot found explains them."""
    from localization.association import USED, Associator, AssociationParams, PulseBuffer
    from localization.solver import refine, travel_times

    pos = np.array([[s.x_m, s.y_m, s.z_m] for s in sensors])
    src = (150.0, -80.0)
    order = np.argsort(np.hypot(pos[:, 0] - src[0], pos[:, 1] - src[1]))
    took, left = order[:6], order[6:11]
    heard = np.concatenate([took, left])
    tau = travel_times(pos[heard], src, 1.5, 343.0, (0.0, 0.0))[0]
    buf = PulseBuffer()
    buf.add(tau, heard, np.full(11, 30.0), np.arange(11))
    rows = {int(buf.sensor[r]): r for r in range(len(buf))}
    took_rows = np.array([rows[s] for s in took])
    left_rows = np.array([rows[s] for s in left])

    def shot_of(a, r):
        fit = refine(pos[buf.sensor[r]], buf.t[r], x0=src, c=343.0, z_src=1.5, estimate_nuisance=False)
        return a._make_shot(r, buf.sensor[r], pos[buf.sensor[r]], buf.t[r], fit, 0.0, 1.5)

    a = Associator(pos, AssociationParams(c_mps=343.0, ground_z_m=1.5))
    leftovers = shot_of(a, left_rows)
    assert leftovers is not None and a._plausible(leftovers, buf)  # nothing explains them yet
    first = shot_of(a, took_rows)
    a._accept(buf, first)
    assert np.all(buf.state[took_rows] == USED)
    assert a._explained(buf, left_rows).all()
    assert not a._plausible(shot_of(a, left_rows), buf)


SRC = (150.0, -80.0)


def _shot_with_later_pulses(sensors, ranks: slice):
    """An associator that has accepted a shot at ``SRC`` heard by the six sensors nearest
    it, and a buffer that also holds pulses lining up 0.4 s later at the sensors of
    ``ranks`` (by distance from ``SRC``).  Returns (associator, buffer, shot, sensor positions,
    sensor indices by distance)."""
    from localization.association import Associator, AssociationParams, PulseBuffer
    from localization.solver import refine, travel_times

    pos = np.array([[s.x_m, s.y_m, s.z_m] for s in sensors])
    order = np.argsort(np.hypot(pos[:, 0] - SRC[0], pos[:, 1] - SRC[1]))
    a = Associator(pos, AssociationParams(c_mps=343.0, ground_z_m=1.5))
    later = order[ranks]
    heard = np.concatenate([order[:6], later])
    t = travel_times(pos[heard], SRC, 1.5, 343.0, (0.0, 0.0))[0] + np.repeat([0.0, 0.4], [6, len(later)])
    buf = PulseBuffer()
    buf.add(t, heard, np.full(len(t), 30.0), np.arange(len(t)))
    r = np.flatnonzero(np.isin(buf.ref, np.arange(6)))
    fit = refine(pos[buf.sensor[r]], buf.t[r], x0=SRC, c=343.0, z_src=1.5, estimate_nuisance=False)
    anchor = a._make_shot(r, buf.sensor[r], pos[buf.sensor[r]], buf.t[r], fit, 0.0, 1.5)
    a._accept(buf, anchor)
    return a, buf, anchor, pos, order


def test_a_round_from_a_shots_place_is_heard_where_the_shot_was(sensors):
    """Searching a shot's place for further rounds, pulses that line up on one emission
    time only at sensors that did not hear the shot are another shooter's (near the same
    line of sight), not a round from here; a round heard where the shot was is found."""

    def search(ranks):
        a, buf, anchor, _, _ = _shot_with_later_pulses(sensors, ranks)
        return a._search_rounds(buf, anchor, ready_t=np.inf)[0]

    assert len(search(slice(1, 6))) == 1
    assert search(slice(6, 11)) == []


def test_a_rejected_round_candidate_is_not_refitted_when_the_search_repeats(sensors, monkeypatch):
    """In streaming, a shot's place is searched for rounds again at each delivery while
    pulses still come in: a candidate already rejected is not refitted — unless its set of
    pulses changed."""
    from localization.association import Associator
    from localization.solver import travel_times

    # Pulses lining up 0.4 s later at sensors that did not hear the shot: not a round from here.
    a, buf, anchor, pos, order = _shot_with_later_pulses(sensors, slice(6, 11))
    fits = []
    fit_set = Associator._fit_set
    monkeypatch.setattr(Associator, "_fit_set", lambda self, *args, **kw: fits.append(1) or fit_set(self, *args, **kw))

    assert a._search_rounds(buf, anchor, ready_t=np.inf)[0] == []
    assert len(fits) == 1
    assert a._search_rounds(buf, anchor, ready_t=np.inf)[0] == []
    assert len(fits) == 1
    # One more pulse in line with the candidate's makes another set: it is tried.
    more = order[11]
    t_more = travel_times(pos[[more]], SRC, 1.5, 343.0, (0.0, 0.0))[0] + 0.4
    buf.add(t_more, np.array([more]), np.array([30.0]), np.array([11]))
    assert a._search_rounds(buf, anchor, ready_t=np.inf)[0] == []
    assert len(fits) == 2


def test_late_uploads_of_a_located_shot_at_the_end_of_input_are_not_a_second_shot(sensors):
    """Sensors upload seconds late: a shot is located from the first reports, and the rest
    of its pulses arrive only as the input ends.  ``flush`` must still know the shot
    (they are its pulses), not report them as another shot at the same place and time."""
    ev = single_round(incident_id="G1", x_m=80.0, y_m=-60.0, t_ns=T0, seed=9)
    sim = simulate_pulses(sensors=sensors, events=ev, conditions=Conditions.clean(), seed=9)
    direct = [p for p, path in zip(sim.pulses, sim.path) if path == 0]
    assert len(direct) >= 12
    late = direct[1::2][:6]
    early = [p for p in direct if p not in late]
    eng = Engine(sensors, EngineConfig(temperature_c=sim.reported_temperature_c))
    latest = {i.id: i for i in eng.push(early, now_ns=T0 + 60 * 10**9)}
    assert sum(i.rounds for i in latest.values()) == 1
    latest.update({i.id: i for i in eng.push(late)})
    latest.update({i.id: i for i in eng.flush()})
    assert sum(i.rounds for i in latest.values()) == 1


def test_quiet_shots_heard_by_four_sensors_are_found_when_levels_are_reported(sensors):
    """A quiet round heard by only four sensors leaves nearer ones silent — counting
    silent neighbours alone rejects it as stray pulses.  With reported levels the hearing
    model sees a quiet shot, and finds it (seed 30 has three such rounds)."""
    import dataclasses

    from app.bench.engine import family_events

    ev = family_events("single", 25, square_bounds(area_sq_mi=4), seed=30)
    sim = simulate_pulses(sensors=sensors, events=ev, conditions=Conditions.clean(), seed=30)
    assert (sim.n_direct == 4).sum() >= 2
    cfg = EngineConfig(temperature_c=sim.reported_temperature_c)
    with_levels = score(sim, locate_batch(sensors, sim.pulses, cfg))
    no_levels = score(sim, locate_batch(sensors, [dataclasses.replace(p, peak_db=None) for p in sim.pulses], cfg))
    assert with_levels.locatable_found_pct == 100.0 and with_levels.false_shot_pct == 0.0
    assert no_levels.locatable_found_pct < 100.0


def test_a_round_heard_by_three_sensors_is_counted_from_its_shooters_place(sensors):
    """A shooter standing still fires four rounds; the third is heard by only three sensors,
    no two of the well-heard rounds' sensor sets holding all three.  Its place is where the
    others were fired, so their observed paths give its emission time at each of the three:
    it is a round.  Three pulses whose times disagree there by more than the round
    tolerance are not."""
    from localization.propagation import speed_of_sound_mps

    c = speed_of_sound_mps(20.0)
    src = np.array([150.0, -80.0])
    pos = np.array([[s.x_m, s.y_m, s.z_m] for s in sensors])
    d = np.sqrt(np.sum((pos[:, :2] - src) ** 2, axis=1) + (pos[:, 2] - 1.5) ** 2)
    n = np.argsort(d)
    # Paths differ from the model by a few ms (buildings): only observation tells.
    anomaly = np.random.default_rng(7).uniform(-0.003, 0.003, len(pos))
    heard_by = {0.0: n[[0, 1, 3, 4, 5, 6]], 0.5: n[[0, 2, 3, 4, 5, 7]], 1.0: n[[0, 1, 2]],
                1.5: n[[0, 1, 3, 4, 5, 7]]}

    def pulses(quiet_skew_s):
        out = []
        for t0, idx in heard_by.items():
            for k in idx:
                skew = quiet_skew_s if (t0 == 1.0 and k == n[2]) else 0.0
                t = t0 + d[k] / c + anomaly[k] + skew
                out.append(Pulse(sensor=sensors[k].id, t_ns=T0 + int(round(t * 1e9)), id=f"{t0}-{k}"))
        return out

    cfg = EngineConfig(temperature_c=20.0, ground_z_m=1.5)
    incs = locate_batch(sensors, pulses(0.0), cfg)
    assert [i.rounds for i in incs] == [4]
    assert sorted(round((s.t_ns - T0) / 1e9, 2) for s in incs[0].shots) == [0.0, 0.5, 1.0, 1.5]
    assert all(np.hypot(s.x_m - src[0], s.y_m - src[1]) < 3.0 for s in incs[0].shots)
    incs = locate_batch(sensors, pulses(0.012), cfg)
    assert sum(i.rounds for i in incs) == 3


def test_the_systematic_search_holds_the_true_source_among_interleaved_rounds(sensors):
    """Where random draws mixed rounds, every combination of pulses at the sensors nearest
    the seed's is tried: with each of them also holding three other rounds' pulses (tens
    of ms away), one hypothesis is the true source."""
    from localization.association import Associator, AssociationParams
    from localization.solver import travel_times

    pos = np.array([[s.x_m, s.y_m, s.z_m] for s in sensors])
    src = (-450.0, 80.0)
    a = Associator(pos, AssociationParams(c_mps=343.0, ground_z_m=1.5))
    near = np.argsort(np.hypot(pos[:, 0] - src[0], pos[:, 1] - src[1]))[:7]
    seed_sensor, others = near[0], near[1:]
    tau = travel_times(pos, src, 1.5, 343.0, (0.0, 0.0))[0]
    rng = np.random.default_rng(5)
    # Per other sensor: the true arrival and three others, seed-relative, grouped by sensor.
    t_all, sens = [], []
    for k in others:
        t_true = tau[k] - tau[seed_sensor]
        for dt in sorted(np.append(rng.uniform(-0.08, 0.08, 3), 0.0)):
            t_all.append(t_true + dt)
            sens.append(k)
    t_all, sens = np.array(t_all), np.array(sens)
    starts = np.arange(0, len(sens), 4)
    counts = np.full(len(starts), 4)
    pref = starts.copy()  # the earliest: not the true one at most sensors
    hyps = a._systematic_hypotheses(pos[sens], t_all, starts, counts, pref, pos[seed_sensor], 1.5)
    assert hyps is not None
    assert np.min(np.hypot(hyps[:, 0] - src[0], hyps[:, 1] - src[1])) < 1.0


def test_a_moving_shooters_next_round_is_not_taken_for_echoes(sensors):
    """A shooter in a car fires, then 0.4 s later fires again 6 m on: at most sensors the
    second round is the quieter, and at every sensor it trails the first by a lag that
    differs from sensor to sensor, as reflections' do.  It fits as tightly as the first and
    lies where the car could have got to: it is a round.  The same pulses placed 120 m away
    — where no car could have got to in 0.4 s — are taken for reflections."""
    from localization.propagation import speed_of_sound_mps

    c = speed_of_sound_mps(20.0)
    pos = np.array([[s.x_m, s.y_m, s.z_m] for s in sensors])
    rng = np.random.default_rng(11)

    def shot(src, t0, heard, quieter_db=()):
        d = np.sqrt(np.sum((pos[heard, :2] - src) ** 2, axis=1) + (pos[heard, 2] - 1.5) ** 2)
        t = t0 + d / c + rng.normal(0.0, 1e-4, len(heard))
        level = 100.0 - np.resize(np.asarray(quieter_db, float), len(heard)) if len(quieter_db) else np.full(len(heard), 100.0)
        return [Pulse(sensor=sensors[k].id, t_ns=T0 + int(round(tk * 1e9)), peak_db=float(lk), id=f"{t0}-{k}")
                for k, tk, lk in zip(heard, t, level)]

    first = np.array([100.0, 200.0])
    heard = np.argsort(np.hypot(*(pos[:, :2] - first).T))[:9]
    cfg = EngineConfig(temperature_c=20.0, ground_z_m=1.5)

    quieter = [4.0, 4.0, -1.0, 4.0, -1.0, 4.0, -1.0]  # dB, at the 7 sensors that hear the second

    second = first + [6.0, 0.0]
    incs = locate_batch(sensors, shot(first, 0.0, heard) + shot(second, 0.4, heard[:7], quieter), cfg)
    assert sum(i.rounds for i in incs) == 2
    assert any(np.hypot(s.x_m - second[0], s.y_m - second[1]) < 1.0 for i in incs for s in i.shots)

    far = first + [120.0, 0.0]
    incs = locate_batch(sensors, shot(first, 0.0, heard) + shot(far, 0.4, heard[:7], quieter), cfg)
    assert not any(np.hypot(s.x_m - far[0], s.y_m - far[1]) < 10.0 for i in incs for s in i.shots)


def test_a_tight_five_sensor_set_from_the_systematic_search_is_a_shot(sensors):
    """A round heard by five sensors, four of which also hold three stray pulses just
    before it: random draws take a sensor's preferred (earliest) pulse or one of its first
    three, never the true one, so only the systematic search puts the round together.
    Five sensors that fit as tightly as the site's well-heard shots are a shot; the same
    five with arrivals scattered by a millisecond — as a mixture of rounds is — are not."""
    from localization.association import Associator, AssociationParams, PulseBuffer
    from localization.propagation import speed_of_sound_mps

    c = speed_of_sound_mps(20.0)
    pos = np.array([[s.x_m, s.y_m, s.z_m] for s in sensors])
    src = np.array([300.0, 400.0])
    d = np.sqrt(np.sum((pos[:, :2] - src) ** 2, axis=1) + (pos[:, 2] - 1.5) ** 2)
    heard = np.argsort(d)[:5]

    def seed_result(scatter_s):
        rng = np.random.default_rng(3)
        t, sens = [], []
        for j, k in enumerate(heard):
            tk = d[k] / c + rng.normal(0.0, 3e-5) + (scatter_s * (-1) ** j if j else 0.0)
            t.append(tk)
            sens.append(k)
            if j:
                for dt in rng.uniform(0.03, 0.3, 3):
                    t.append(tk - dt)
                    sens.append(k)
        buf = PulseBuffer()
        buf.add(np.array(t), np.array(sens), np.full(len(t), 20.0), np.arange(len(t)))
        a = Associator(pos, AssociationParams(c_mps=c, ground_z_m=1.5))
        for _ in range(3):  # the site's well-heard shots fit to 0.1 ms
            a.note_sigma(1e-4)
        seed = int(np.flatnonzero(buf.ref == 0)[0])  # the nearest sensor's arrival
        return a._from_seed(buf, seed), buf

    shot, buf = seed_result(0.0)
    assert shot is not None and len(shot.pulse_rows) == 5
    assert np.hypot(shot.fit.x_m - src[0], shot.fit.y_m - src[1]) < 1.0
    assert sorted(buf.ref[shot.pulse_rows].tolist()) == [0, 1, 5, 9, 13]  # the true arrivals
    shot, _ = seed_result(0.001)
    assert shot is None or len(shot.pulse_rows) < 5  # (a small set the hearing test judges)


def test_aerial_shells_are_located_high_above_ground_and_said_to_be(sensors):
    """Shells bursting 100–250 m up fit no ground-level source: each is located once, with
    its height measured to a few metres, and the incident says so; a gunshot fired from the
    same place stays at ground level, with no height claimed."""
    ev = aerial_shells(incident_id="F1", x_m=100.0, y_m=-150.0, t_ns=T0, shells=4, height_m=(100.0, 250.0), seed=5)
    sim, incs = run(sensors, ev, Conditions.clean(), seed=2)
    shots = [s for i in incs for s in i.shots]
    assert len(shots) == 4
    ground = float(np.median([s.z_m for s in sensors])) - 10.0  # the engine's ground level (sensor_height_m)
    truth = sorted(s.z_m - ground for s in ev.shots)
    assert all(s.height_m is not None for s in shots)
    assert np.allclose(sorted(s.height_m for s in shots), truth, atol=3.0)
    assert all(s.z_m > 100.0 for s in shots)
    assert len(incs) == 1 and incs[0].notes[-1].startswith("height: source ")
    assert "m above ground" in incs[0].notes[-1]
    _, incs = run(sensors, single_round(incident_id="G1", x_m=100.0, y_m=-150.0, t_ns=T0), Conditions.clean(), seed=2)
    assert [s.height_m for i in incs for s in i.shots] == [None]
    assert incs[0].notes == ()
