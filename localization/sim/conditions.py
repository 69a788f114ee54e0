"""How the world and the sensors behave in a simulation: the propagation truth, hearing,
timing errors and the impairments real deployments suffer.  ``Conditions.clean()`` has timing
noise only; ``Conditions.realistic()`` adds echoes/NLOS, wind, a temperature error, dropouts,
noise pulses and upload delays."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from localization.sim import _checks as ck


@dataclass(frozen=True, slots=True, kw_only=True)
class Conditions:
    """Simulation conditions (all keyword-only; validated on construction).

    Air and wind
        temperature_c: true air temperature (°C) that sets the true speed of sound.
        temperature_error_c: the temperature *reported to the engine* is the true one plus a
            uniform draw in ±this (°C).
        wind_mps: fixed wind (east, north) in m/s, or ``None`` to draw one: speed uniform in
            [0, ``wind_max_mps``], direction uniform.
    Hearing (levels in dB SPL; the source level at 1 m comes from the weapon)
        excess_loss_db / excess_loss_sd_db: urban excess attenuation, normal per source–sensor
            pair, plus ``excess_loss_db_per_km`` × distance.
        threshold_db: a sensor reports a pulse whose level is at least this.
        clip_db: microphones clip: ``peak_db`` is capped here.
        ambient_db: background level; ``snr_db = level − ambient_db``.
    Timing
        jitter_s: onset-picking standard deviation (s); bias_s: constant picking bias (s).
        quantize_s: round reported arrival times to this resolution (s), or ``None``.
    Impairments (probabilities per heard source–sensor pair unless noted)
        echo_fraction: add a late, weaker copy (delay in ``echo_delay_s``, loss ``echo_loss_db``).
        nlos_fraction: replace the direct pulse with a late one (``nlos_delay_s``, ``nlos_loss_db``).
        dropout_fraction: the sensor misses this shot.
        offline_fraction: fraction of sensors that are offline for the whole run.
        noise_per_min: rate of non-gunfire impulses per sensor per minute.
        upload_delay_s: (low, high) seconds between arrival and delivery to the engine, or ``None``.
    """

    temperature_c: float = 15.0
    temperature_error_c: float = 0.0
    wind_mps: tuple[float, float] | None = (0.0, 0.0)
    wind_max_mps: float = 0.0
    excess_loss_db: float = 25.0
    excess_loss_sd_db: float = 8.0
    excess_loss_db_per_km: float = 3.0
    threshold_db: float = 74.0
    clip_db: float = 93.0
    ambient_db: float = 50.0
    jitter_s: float = 100e-6
    bias_s: float = 0.0
    quantize_s: float | None = None
    echo_fraction: float = 0.0
    echo_delay_s: tuple[float, float] = (0.005, 0.3)
    echo_loss_db: tuple[float, float] = (1.0, 10.0)
    nlos_fraction: float = 0.0
    nlos_delay_s: tuple[float, float] = (0.002, 0.04)
    nlos_loss_db: tuple[float, float] = (1.0, 6.0)
    dropout_fraction: float = 0.0
    offline_fraction: float = 0.0
    noise_per_min: float = 0.0
    upload_delay_s: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        ck.within("temperature_c", self.temperature_c, -60.0, 60.0, "°C")
        ck.within("temperature_error_c", self.temperature_error_c, 0.0, 20.0, "°C")
        if self.wind_mps is not None:
            try:
                we, wn = self.wind_mps
            except (TypeError, ValueError):
                raise ValueError(f"`wind_mps` must be an (east, north) pair or None, got {self.wind_mps!r}") from None
            if math.hypot(ck.finite("wind_mps", we), ck.finite("wind_mps", wn)) > 30.0:
                raise ValueError(f"`wind_mps` must be at most 30 m/s in speed, got {self.wind_mps!r}")
        ck.within("wind_max_mps", self.wind_max_mps, 0.0, 30.0, "m/s")
        ck.finite("excess_loss_db", self.excess_loss_db)
        ck.non_negative("excess_loss_sd_db", self.excess_loss_sd_db)
        ck.non_negative("excess_loss_db_per_km", self.excess_loss_db_per_km)
        ck.finite("threshold_db", self.threshold_db)
        ck.finite("clip_db", self.clip_db)
        ck.finite("ambient_db", self.ambient_db)
        ck.within("jitter_s", self.jitter_s, 0.0, 0.1, "s")
        ck.within("bias_s", self.bias_s, -0.1, 0.1, "s")
        if self.quantize_s is not None:
            ck.within("quantize_s", self.quantize_s, 1e-9, 1.0, "s")
        for name in ("echo_fraction", "nlos_fraction", "dropout_fraction", "offline_fraction"):
            ck.fraction(name, getattr(self, name))
        ck.interval("echo_delay_s", self.echo_delay_s, lo=0.0, hi=10.0, unit="s")
        ck.interval("echo_loss_db", self.echo_loss_db, lo=0.0, hi=100.0, unit="dB")
        ck.interval("nlos_delay_s", self.nlos_delay_s, lo=0.0, hi=10.0, unit="s")
        ck.interval("nlos_loss_db", self.nlos_loss_db, lo=0.0, hi=100.0, unit="dB")
        ck.within("noise_per_min", self.noise_per_min, 0.0, 1000.0, "pulses/min")
        if self.upload_delay_s is not None:
            ck.interval("upload_delay_s", self.upload_delay_s, lo=0.0, hi=3600.0, unit="s")

    @classmethod
    def clean(cls, **overrides) -> "Conditions":
        """Timing noise (σ = 100 µs) only: no wind, exact temperature, no echoes, no NLOS, no
        dropouts, no noise pulses, delivery in arrival order."""
        return cls(**overrides)

    @classmethod
    def realistic(cls, **overrides) -> "Conditions":
        """Field-like: echoes on 12 % and NLOS on 5 % of heard pairs (≈ 9 % of reported shot pulses
        once too-weak copies are dropped), random wind ≤ 5 m/s, ±3 °C temperature error,
        5 % per-shot dropouts, 2 % of sensors offline, 1 noise pulse per sensor-minute,
        upload delays 0.2–5 s."""
        base = dict(
            temperature_error_c=3.0,
            wind_mps=None,
            wind_max_mps=5.0,
            echo_fraction=0.12,
            nlos_fraction=0.05,
            dropout_fraction=0.05,
            offline_fraction=0.02,
            noise_per_min=1.0,
            upload_delay_s=(0.2, 5.0),
        )
        base.update(overrides)
        return cls(**base)

    def with_(self, **changes) -> "Conditions":
        """A copy with some fields changed (validated)."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown condition field(s): {', '.join(unknown)}")
        return replace(self, **changes)
