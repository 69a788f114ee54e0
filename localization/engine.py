"""The engine's front door: pulses in, located and classified incidents out.

Pulses that carry detector features (``Pulse.features``) also give each incident an
audio verdict — ``Incident.gunfire_p`` and ``review_label`` (see ``localization.incidents``).

The same ``Engine`` runs incrementally and over a whole file:

* ``push(pulses, now_ns=None)`` adds pulses in any order and returns the incidents
  that are new or changed (a growing incident comes back with a higher ``revision``).
  A seed pulse is processed once every pulse that could belong to its shot must have
  arrived: ``now − t ≥ 2·max_range/c + tolerance + upload_delay``.  ``now_ns`` is
  the wall clock of a live feed; without it the newest pulse time stands in.
* ``flush()`` processes everything still pending (end of a batch).

Memory stays bounded: pulses that can no longer join a shot are released, and
incidents quiet for ``incident_gap_s`` are closed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from localization.association import AssociationParams, Associator, FoundShot, PulseBuffer
from localization.audio.classify import pulse_logits
from localization.incidents import IncidentParams, IncidentTracker
from localization.propagation import speed_of_sound_mps
from localization.solver import ellipse_from_cov, f2_quantile
from localization.types import Ellipse, Incident, Pulse, Sensor, Shot


#: A sensor cannot report two distinct impulses closer than a muzzle blast lasts (≈ 2 ms).
DUPLICATE_WITHIN_S = 0.002


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Site and tuning options; every field has a field-tested default.

    temperature_c, humidity_pct: air at the site, for the speed of sound.
    wind_mps: known wind (east, north) in m/s, e.g. from a weather station.
    estimate_wind: also solve for wind and speed-of-sound error when a shot has
        enough sensors and the residuals show it pays.
    tolerance_ms: association gate — pulses within this of a source's prediction
        are consistent (ShotSpotter uses 40 ms).
    max_range_m: farthest a sensor is expected to hear a gunshot.
    min_sensors: sensors a confident shot needs (3 are accepted when the geometry
        gives a unique answer, flagged low-confidence).
    sensor_height_m / ground_z_m: the source is put at ``ground_z_m`` or, when that is
        None, at the median height of the sensors that heard it minus the sensors'
        typical height above ground (a 2-D solution, more accurate than 3-D in hilly
        cities — TN-098).
    upload_delay_s: how late a sensor's report may reach the engine.
    """

    temperature_c: float = 15.0
    humidity_pct: float | None = None
    wind_mps: tuple[float, float] = (0.0, 0.0)
    estimate_wind: bool = True
    tolerance_ms: float = 40.0
    max_range_m: float = 1200.0
    min_sensors: int = 4
    sensor_height_m: float = 10.0
    ground_z_m: float | None = None
    upload_delay_s: float = 5.0
    incident: IncidentParams = field(default_factory=IncidentParams)
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1.0 <= self.tolerance_ms <= 200.0:
            raise ValueError(f"tolerance_ms must be between 1 and 200 ms, got {self.tolerance_ms}")
        if not 50.0 <= self.max_range_m <= 10000.0:
            raise ValueError(f"max_range_m must be between 50 and 10000 m, got {self.max_range_m}")
        if self.min_sensors < 3:
            raise ValueError(f"min_sensors must be at least 3 (a 2-D fix needs three), got {self.min_sensors}")
        if self.upload_delay_s < 0:
            raise ValueError(f"upload_delay_s must be ≥ 0, got {self.upload_delay_s}")
        speed_of_sound_mps(self.temperature_c, self.humidity_pct)  # validates both

    @property
    def c_mps(self) -> float:
        return speed_of_sound_mps(self.temperature_c, self.humidity_pct)


@dataclass(slots=True)
class EngineStats:
    pulses_in: int = 0
    pulses_unused: int = 0
    duplicates: int = 0
    shots: int = 0
    incidents: int = 0


class Engine:
    """Streaming localization engine for one site's sensor network."""

    def __init__(self, sensors: Sequence[Sensor], config: EngineConfig | None = None) -> None:
        if len(sensors) == 0:
            raise ValueError("the engine needs at least one sensor")
        self.config = config or EngineConfig()
        self.sensors = tuple(sensors)
        self._index = {s.id: i for i, s in enumerate(self.sensors)}
        if len(self._index) != len(self.sensors):
            raise ValueError("sensor ids must be unique")
        pos = np.array([[s.x_m, s.y_m, s.z_m] for s in self.sensors], dtype=float)
        if not np.all(np.isfinite(pos)):
            raise ValueError("sensor positions must be finite numbers")
        cfg = self.config
        self._assoc = Associator(
            pos,
            AssociationParams(
                c_mps=cfg.c_mps,
                tol_s=cfg.tolerance_ms / 1e3,
                max_range_m=cfg.max_range_m,
                min_sensors=cfg.min_sensors,
                sensor_height_m=cfg.sensor_height_m,
                ground_z_m=cfg.ground_z_m,
                wind_mps=cfg.wind_mps,
                estimate_nuisance=cfg.estimate_wind,
                max_vehicle_speed_mps=cfg.incident.max_vehicle_speed_mps,
            ),
            seed=cfg.seed,
        )
        self._tracker = IncidentTracker(cfg.incident)
        self._buf = PulseBuffer()
        self._pulses: dict[int, Pulse] = {}
        self._next_ref = 0
        self._base_ns: int | None = None
        self._newest_ns: int | None = None
        self.stats = EngineStats()

    # ---------------------------------------------------------------- inputs
    def set_sensor_enabled(self, sensor_id: str, enabled: bool) -> None:
        """Stop (or resume) using a sensor, e.g. when its timing cannot be trusted."""
        if sensor_id not in self._index:
            raise KeyError(f"unknown sensor {sensor_id!r}")
        self._assoc.enabled[self._index[sensor_id]] = bool(enabled)

    def push(self, pulses: Iterable[Pulse], now_ns: int | None = None) -> list[Incident]:
        """Add pulses (any order) and return incidents that are new or updated.

        Raises ``ValueError`` — and consumes nothing — when a pulse names an unknown
        sensor; filter such pulses first if the input is untrusted.
        """
        batch = list(pulses)
        if batch:
            unknown = sorted({p.sensor for p in batch if p.sensor not in self._index})
            if unknown:
                shown = ", ".join(repr(u) for u in unknown[:5])
                raise ValueError(f"pulses name unknown sensor(s): {shown}{' …' if len(unknown) > 5 else ''}")
            self._add(batch)
        if self._base_ns is None:
            return []
        wm = self._newest_ns if now_ns is None else max(int(now_ns), self._newest_ns or int(now_ns))
        wait_s = self._assoc.window_s + self.config.upload_delay_s
        ready_t = (wm - self._base_ns) / 1e9 - wait_s
        return self._process(ready_t, wm)

    def flush(self) -> list[Incident]:
        """Process every pending pulse now (end of input) and close all incidents."""
        if self._base_ns is None:
            return []
        out = self._process(math.inf, None)
        self._tracker.close_before(2**62)
        return out

    # --------------------------------------------------------------- internals
    def _add(self, batch: list[Pulse]) -> None:
        t_ns = np.fromiter((p.t_ns for p in batch), dtype=np.int64, count=len(batch))
        if self._base_ns is None:
            self._base_ns = int(t_ns.min())
        newest = int(t_ns.max())
        self._newest_ns = newest if self._newest_ns is None else max(self._newest_ns, newest)
        refs = np.arange(self._next_ref, self._next_ref + len(batch))
        for r, p in zip(refs.tolist(), batch):
            self._pulses[r] = p
        self._next_ref += len(batch)
        sens = np.fromiter((self._index[p.sensor] for p in batch), dtype=np.int32, count=len(batch))
        snr = np.fromiter((np.nan if p.snr_db is None else p.snr_db for p in batch), dtype=float, count=len(batch))
        level = np.fromiter((np.nan if p.peak_db is None else p.peak_db for p in batch), dtype=float, count=len(batch))
        dups = self._buf.add((t_ns - self._base_ns) / 1e9, sens, snr, refs, dedup_s=DUPLICATE_WITHIN_S, level=level)
        self._assoc.hearing.observe(level)
        for r in dups.tolist():
            del self._pulses[r]
        self.stats.pulses_in += len(batch)
        self.stats.duplicates += len(dups)

    def _process(self, ready_t: float, wm_ns: int | None) -> list[Incident]:
        found = self._assoc.find_shots(self._buf, ready_t)
        touched: dict[str, None] = {}
        for f in sorted(found, key=lambda f: f.fit.t0_s):
            shot = self._to_shot(f)
            touched[self._tracker.add(shot, self._pulse_logits(f))] = None
            self.stats.shots += 1
        out = [self._tracker.snapshot(iid) for iid in touched]
        self.stats.incidents += sum(1 for inc in out if inc.revision == 0)
        if math.isfinite(ready_t):
            # Release pulses no future seed can reach, and close quiet incidents.
            dropped, unused = self._buf.drop_before(ready_t - self._assoc.window_s)
            self.stats.pulses_unused += unused
            for r in dropped.tolist():
                del self._pulses[r]
            if wm_ns is not None:
                self._tracker.close_before(wm_ns - int(self.config.incident.gap_s * 1e9)
                                           - int((self._assoc.window_s + self.config.upload_delay_s) * 1e9))
        else:
            self.stats.pulses_unused += int(np.sum(self._buf.state != 1))
            self._buf = PulseBuffer()
            self._pulses.clear()
        return out

    def _pulse_logits(self, f: FoundShot) -> np.ndarray | None:
        """Gunfire log-odds of the shot's pulses that carry detector features (audio
        classification of the incident); None when none do."""
        feats = [dict(p.features) for p in (self._pulses[int(r)] for r in self._buf.ref[f.pulse_rows]) if p.features]
        return pulse_logits(feats) if feats else None

    def _to_shot(self, f: FoundShot) -> Shot:
        refs = self._buf.ref[f.pulse_rows]
        pulses = [self._pulses[int(r)] for r in refs]
        order = np.argsort([p.t_ns for p in pulses], kind="stable")
        pulses = [pulses[i] for i in order]
        res_ms = (np.asarray(f.residuals_s)[order] * 1e3).tolist()
        ell = f.fit.ellipse95()
        if not math.isfinite(ell.semi_major_m):
            ell = Ellipse(semi_major_m=1e4, semi_minor_m=1e4, orientation_deg=0.0)
        rms = float(np.sqrt(np.mean(np.square(res_ms)))) if res_ms else 0.0
        return Shot(
            t_ns=int(self._base_ns + round(f.fit.t0_s * 1e9)),
            x_m=f.fit.x_m,
            y_m=f.fit.y_m,
            z_m=f.z_src,
            err95_m=ell.semi_major_m,
            ellipse=ell,
            sensors=tuple(p.sensor for p in pulses),
            pulse_ids=tuple(p.id for p in pulses),
            residuals_ms=tuple(float(r) for r in res_ms),
            rms_ms=rms,
            low_confidence=f.low_confidence,
            wind_mps=f.fit.wind_mps if f.fit.nuisance else None,
            height_m=f.height_m,
        )


def locate_batch(
    sensors: Sequence[Sensor], pulses: Iterable[Pulse], config: EngineConfig | None = None
) -> list[Incident]:
    """Run the engine over a whole batch; returns the final revision of every incident."""
    pulses = list(pulses)
    engine = Engine(sensors, config)
    latest = _run_all(engine, pulses)
    site = engine._assoc.site
    if site.learnt and len(site.shots) >= MIN_SHOTS_FOR_SECOND_PASS:
        # Wind, temperature error and the timing-residual scale were learnt from the
        # shots themselves; the early shots were located before that.  Locate
        # everything again knowing them.
        again = Engine(sensors, config)
        again._assoc.learn_from(engine._assoc)
        latest = _run_all(again, pulses)
    return sorted(latest.values(), key=lambda i: i.start_ns)


#: Confident shots needed before a batch is located a second time with the learnt
#: site conditions (wind, speed-of-sound offset).
MIN_SHOTS_FOR_SECOND_PASS = 5


def _run_all(engine: Engine, pulses: list[Pulse]) -> dict[str, Incident]:
    latest: dict[str, Incident] = {}
    for inc in engine.push(pulses):
        latest[inc.id] = inc
    for inc in engine.flush():
        latest[inc.id] = inc
    return latest


__all__ = ["Engine", "EngineConfig", "EngineStats", "locate_batch", "ellipse_from_cov", "f2_quantile"]
