"""Propagation and hearing: turn truth shots into the pulses sensors report.

Arrival at sensor i: ``t = t_emit + r/(c + w·u)`` with r the 3-D distance, c the speed of sound
at the *true* temperature, w the wind and u the unit vector source → sensor.  Level at the
sensor: source level at 1 m − 20·log10(r) − urban excess loss (normal per pair); a sensor reports
when the level reaches the threshold.  Then onset-picking jitter, echoes, NLOS, dropouts, noise
pulses and upload delays as the :class:`Conditions` say.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from localization.propagation import speed_of_sound_mps
from localization.sim import _checks as ck
from localization.sim.conditions import Conditions
from localization.sim.crb import MIN_SENSORS_LOCATABLE, crb_batch_m
from localization.sim.layout import sensor_arrays
from localization.sim.truth import Events
from localization.types import Pulse, Sensor

DIRECT, ECHO, NLOS, NOISE = 0, 1, 2, 3
PATH_NAMES = ("direct", "echo", "nlos", "noise")
LABEL_LATE = -1
"""Label of an echo or NLOS pulse (its shot is in ``shot_index``)."""
LABEL_NOISE = -2
"""Label of a non-gunfire noise pulse (``shot_index`` is −1)."""

_CHUNK_PAIRS = 2_000_000


@dataclass(frozen=True, slots=True, eq=False)
class SimResult:
    """Pulses of one simulation run and their truth.

    ``pulses`` are sorted by delivery time; every per-pulse array below has the same order
    and length:

    - ``delivery_ns`` (int64): when the pulse reaches the engine (= ``t_ns`` without upload delays).
    - ``label`` (int64): the shot index for a direct pulse, −1 for an echo or NLOS pulse, −2 for noise.
    - ``shot_index`` (int64): the shot the pulse came from (also for echo/NLOS), −1 for noise.
    - ``path`` (int8): 0 direct, 1 echo, 2 NLOS, 3 noise (names in ``PATH_NAMES``).
    - ``sensor_index`` (int64): index into ``sensors``.
    - ``true_arrival_ns`` (int64): arrival of that path before picking error and quantisation.
    - ``level_db`` (float): unclipped level at the sensor (dB SPL).

    Per shot (index into ``events.shots``):

    - ``n_direct`` (int64): sensors that reported the direct pulse.
    - ``n_heard`` (int64): sensors that reported any pulse of the shot (direct or NLOS).
    - ``locatable`` (bool): ``n_direct ≥ 4``.
    - ``crb_m`` (float): RMS 2-D position Cramér–Rao bound (m) from the direct-pulse sensors
      at σ = ``conditions.jitter_s`` (``inf`` with < 3 sensors; 0 when σ = 0).

    Environment: ``temperature_c`` (true), ``reported_temperature_c`` (tell the engine this),
    ``c_mps`` (true speed of sound), ``wind_mps`` (true (east, north)).
    """

    sensors: tuple[Sensor, ...]
    events: Events
    conditions: Conditions
    pulses: tuple[Pulse, ...]
    delivery_ns: np.ndarray
    label: np.ndarray
    shot_index: np.ndarray
    path: np.ndarray
    sensor_index: np.ndarray
    true_arrival_ns: np.ndarray
    level_db: np.ndarray
    n_direct: np.ndarray
    n_heard: np.ndarray
    locatable: np.ndarray
    crb_m: np.ndarray
    temperature_c: float
    reported_temperature_c: float
    c_mps: float
    wind_mps: tuple[float, float]

    def pulses_of_shot(self, k: int, *, direct_only: bool = True) -> list[Pulse]:
        """Pulses of shot ``k`` (direct ones only, by default) in delivery order."""
        m = (self.label == k) if direct_only else (self.shot_index == k)
        return [self.pulses[i] for i in np.flatnonzero(m)]

    def summary(self) -> dict[str, float | int]:
        """Headline figures: pulse counts by path, shots, and the sensors-per-shot distribution
        (direct pulses, gunfire shots) as percentiles."""
        gun = np.fromiter((s.is_gunfire for s in self.events.shots), bool, len(self.events.shots))
        nd = self.n_direct[gun]
        out: dict[str, float | int] = {
            "pulses": len(self.pulses),
            **{f"pulses_{name}": int((self.path == i).sum()) for i, name in enumerate(PATH_NAMES)},
            "incidents": len(self.events.incidents),
            "shots": len(self.events.shots),
            "gunfire_shots": int(gun.sum()),
            "locatable_pct": float(100.0 * self.locatable[gun].mean()) if gun.any() else float("nan"),
        }
        for q in (10, 50, 90):
            out[f"sensors_per_shot_p{q}"] = float(np.percentile(nd, q)) if len(nd) else float("nan")
        return out

    def deliveries(self, step_s: float):
        """Yield ``(now_ns, pulses)`` batches: the pulses delivered in each ``step_s`` window,
        in order — a feed for a streaming engine's ``push(pulses, now_ns)``."""
        ck.positive("step_s", step_s)
        if not self.pulses:
            return
        step = int(round(step_s * 1e9))
        t0 = int(self.delivery_ns[0])
        bins = (self.delivery_ns - t0) // step
        edges = np.flatnonzero(np.diff(bins)) + 1
        starts = np.concatenate([[0], edges])
        ends = np.concatenate([edges, [len(bins)]])
        for a, b in zip(starts, ends):
            yield t0 + int(bins[a] + 1) * step, list(self.pulses[a:b])


def simulate_pulses(
    *,
    sensors,
    events: Events,
    conditions: Conditions | None = None,
    seed: ck.SeedLike = None,
) -> SimResult:
    """Simulate what ``sensors`` report for the ``events`` under ``conditions``
    (default :meth:`Conditions.clean`).  Deterministic from ``seed``; the random streams for
    losses, jitter, impairments and noise are independent, so e.g. the same sensors hear a
    shot in clean and realistic runs with the same seed (apart from dropouts)."""
    cond = conditions if conditions is not None else Conditions.clean()
    if not isinstance(cond, Conditions):
        raise ValueError(f"`conditions` must be a Conditions, got {type(cond).__name__}")
    if not isinstance(events, Events):
        raise ValueError(f"`events` must be an Events, got {type(events).__name__}")
    sensors = tuple(sensors)
    spos, sids = sensor_arrays(sensors)
    n_sens = len(sensors)
    master = ck.rng_from(seed)
    r_env, r_loss, r_drop, r_jit, r_echo, r_nlos, r_noise, r_up = (
        np.random.default_rng(s) for s in master.integers(0, 2**63 - 1, size=8)
    )

    # --- environment
    c = speed_of_sound_mps(cond.temperature_c)
    reported_t = cond.temperature_c + (
        r_env.uniform(-cond.temperature_error_c, cond.temperature_error_c) if cond.temperature_error_c > 0 else 0.0
    )
    if cond.wind_mps is not None:
        wind = (float(cond.wind_mps[0]), float(cond.wind_mps[1]))
    else:
        sp = r_env.uniform(0.0, cond.wind_max_mps)
        az = r_env.uniform(0.0, 2.0 * np.pi)
        wind = (float(sp * np.sin(az)), float(sp * np.cos(az)))
    online = r_env.random(n_sens) >= cond.offline_fraction

    sh = events.shot_arrays()
    n_shots = len(events.shots)
    field_k, field_phase = _field_params(r_loss, n_sens)
    src = np.column_stack([sh["x_m"], sh["y_m"], sh["z_m"]])

    # --- direct paths, in chunks of shots to bound memory
    ks, ns, delays, levels = [], [], [], []
    per = max(1, _CHUNK_PAIRS // n_sens)
    wv = np.array([wind[0], wind[1], 0.0])
    for a in range(0, n_shots, per):
        b = min(n_shots, a + per)
        d = spos[None, :, :] - src[a:b, None, :]
        r = np.sqrt(np.einsum("ijk,ijk->ij", d, d))
        r = np.maximum(r, 1e-3)
        wu = (d @ wv) / r
        delay = r / (c + wu)
        if cond.excess_loss_sd_db > 0:
            # Spatially coherent: the buildings between a place and a sensor are the same
            # for every round fired there, so most of the loss is a smooth random field
            # of the source position (per sensor); a little varies shot to shot.
            coherent = _loss_field(field_k, field_phase, src[a:b, :2])
            jitter = r_loss.normal(0.0, 1.0, size=r.shape)
            loss = cond.excess_loss_db + cond.excess_loss_sd_db * (
                _COHERENT * coherent + np.sqrt(1.0 - _COHERENT**2) * jitter)
        else:
            loss = np.full(r.shape, cond.excess_loss_db)
        level = sh["source_db"][a:b, None] - 20.0 * np.log10(np.maximum(r, 1.0)) - loss \
            - cond.excess_loss_db_per_km * r / 1000.0
        drop = r_drop.random(r.shape) < cond.dropout_fraction
        heard = (level >= cond.threshold_db) & ~drop & online[None, :]
        ki, ni = np.nonzero(heard)
        ks.append(ki + a)
        ns.append(ni)
        delays.append(delay[ki, ni])
        levels.append(level[ki, ni])
    k = np.concatenate(ks) if ks else np.zeros(0, np.int64)
    n = np.concatenate(ns) if ns else np.zeros(0, np.int64)
    delay = np.concatenate(delays) if delays else np.zeros(0)
    level = np.concatenate(levels) if levels else np.zeros(0)
    m = len(k)
    path = np.zeros(m, np.int8)

    # --- NLOS: the direct pulse replaced by a later, weaker one
    nl = r_nlos.random(m) < cond.nlos_fraction
    nl_delay = r_nlos.uniform(*cond.nlos_delay_s, size=m)
    nl_loss = r_nlos.uniform(*cond.nlos_loss_db, size=m)
    delay = np.where(nl, delay + nl_delay, delay)
    level = np.where(nl, level - nl_loss, level)
    path[nl] = NLOS
    keep = ~nl | (level >= cond.threshold_db)
    # --- echoes: an extra later, weaker copy
    ec = r_echo.random(m) < cond.echo_fraction
    e_delay = delay + r_echo.uniform(*cond.echo_delay_s, size=m)
    e_level = level - r_echo.uniform(*cond.echo_loss_db, size=m)
    ec &= e_level >= cond.threshold_db
    k_direct_heard = k[keep & (path == DIRECT)]
    n_direct = np.bincount(k_direct_heard, minlength=n_shots).astype(np.int64)
    n_heard = np.bincount(k[keep], minlength=n_shots).astype(np.int64)

    crb = crb_batch_m(
        shot=k_direct_heard, src_xy=src[:, :2], sensor_xy=spos[n[keep & (path == DIRECT)], :2],
        n_shots=n_shots, sigma_s=cond.jitter_s, c_mps=c,
    )

    k_all = np.concatenate([k[keep], k[ec]])
    n_all = np.concatenate([n[keep], n[ec]])
    delay_all = np.concatenate([delay[keep], e_delay[ec]])
    level_all = np.concatenate([level[keep], e_level[ec]])
    path_all = np.concatenate([path[keep], np.full(int(ec.sum()), ECHO, np.int8)])
    true_ns = sh["t_ns"][k_all] + np.round(delay_all * 1e9).astype(np.int64)

    # --- noise pulses (non-gunfire impulses), Poisson per online sensor over the run span
    if cond.noise_per_min > 0 and n_shots:
        t_lo = int(sh["t_ns"].min()) - 10_000_000_000
        t_hi = int(sh["t_ns"].max()) + 15_000_000_000
        span_s = (t_hi - t_lo) * 1e-9
        counts = r_noise.poisson(cond.noise_per_min * span_s / 60.0, size=n_sens) * online
        nn = np.repeat(np.arange(n_sens), counts)
        tn = t_lo + np.round(r_noise.uniform(0.0, span_s, size=len(nn)) * 1e9).astype(np.int64)
        ln = r_noise.uniform(cond.threshold_db, cond.threshold_db + 20.0, size=len(nn))
        k_all = np.concatenate([k_all, np.full(len(nn), -1, np.int64)])
        n_all = np.concatenate([n_all, nn])
        true_ns = np.concatenate([true_ns, tn])
        level_all = np.concatenate([level_all, ln])
        path_all = np.concatenate([path_all, np.full(len(nn), NOISE, np.int8)])

    # --- onset picking error and quantisation
    total = len(k_all)
    err = cond.bias_s + (r_jit.normal(0.0, cond.jitter_s, size=total) if cond.jitter_s > 0 else np.zeros(total))
    t_ns = true_ns + np.round(err * 1e9).astype(np.int64)
    if cond.quantize_s is not None:
        q = int(round(cond.quantize_s * 1e9))
        t_ns = ((t_ns + q // 2) // q) * q
    # --- delivery
    if cond.upload_delay_s is not None:
        delivery = t_ns + np.round(r_up.uniform(*cond.upload_delay_s, size=total) * 1e9).astype(np.int64)
    else:
        delivery = t_ns.copy()
    order = np.lexsort((t_ns, delivery))
    t_ns, delivery, k_all, n_all = t_ns[order], delivery[order], k_all[order], n_all[order]
    true_ns, level_all, path_all = true_ns[order], level_all[order], path_all[order]
    label = np.where(path_all == DIRECT, k_all, np.where(path_all == NOISE, LABEL_NOISE, LABEL_LATE))

    peak = np.minimum(level_all, cond.clip_db)
    snr = level_all - cond.ambient_db
    width = max(6, len(str(total)))
    t_list, n_list, peak_list, snr_list = t_ns.tolist(), n_all.tolist(), np.round(peak, 2).tolist(), np.round(snr, 2).tolist()
    pulses = tuple(
        Pulse(sensor=sids[n_list[i]], t_ns=t_list[i], snr_db=snr_list[i], peak_db=peak_list[i], id=f"P{i:0{width}d}")
        for i in range(total)
    )
    return SimResult(
        sensors=sensors, events=events, conditions=cond, pulses=pulses, delivery_ns=delivery,
        label=label.astype(np.int64), shot_index=k_all.astype(np.int64), path=path_all, sensor_index=n_all.astype(np.int64),
        true_arrival_ns=true_ns, level_db=level_all, n_direct=n_direct, n_heard=n_heard,
        locatable=n_direct >= MIN_SENSORS_LOCATABLE, crb_m=crb, temperature_c=cond.temperature_c,
        reported_temperature_c=float(reported_t), c_mps=float(c), wind_mps=wind,
    )


#: Share of the excess-loss variance that is fixed by the source position (the rest
#: varies from shot to shot): rounds fired from one place are heard by mostly the same sensors.
_COHERENT = 0.95
#: Correlation length of the loss field over source positions, metres.
_LOSS_FIELD_SCALE_M = 150.0
_LOSS_FIELD_WAVES = 8


def _field_params(rng: np.random.Generator, n_sens: int) -> tuple[np.ndarray, np.ndarray]:
    """Random plane waves per sensor: wave vectors (n_sens, W, 2) and phases (n_sens, W)."""
    ang = rng.uniform(0.0, 2.0 * np.pi, size=(n_sens, _LOSS_FIELD_WAVES))
    mag = 2.0 * np.pi / _LOSS_FIELD_SCALE_M * rng.uniform(0.5, 1.5, size=(n_sens, _LOSS_FIELD_WAVES))
    k = np.stack([mag * np.cos(ang), mag * np.sin(ang)], axis=-1)
    phase = rng.uniform(0.0, 2.0 * np.pi, size=(n_sens, _LOSS_FIELD_WAVES))
    return k, phase


def _loss_field(k: np.ndarray, phase: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Unit-variance smooth field at source positions ``xy`` (m, 2) for every sensor → (m, n_sens)."""
    arg = np.einsum("swc,mc->msw", k, xy) + phase[None, :, :]
    return np.sqrt(2.0 / k.shape[1]) * np.cos(arg).sum(axis=2)

