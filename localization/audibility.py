"""What the levels of a shot's pulses — and the silence of other sensors — say about it.

A sensor reports an impulse whose level reaches its detection threshold.  The level a
sensor hears from a shot is the source level less spherical spreading (20·log10 r),
air absorption, and an urban excess loss (buildings, barriers) that scatters by several
dB from one source–sensor pair to the next.  So a real shot heard by only four sensors
is a quiet or shadowed one: the four are the lucky ones, and several nearer sensors may
well have stayed silent.  Four stray pulses that happen to fit one place are another
matter — their levels have nothing to do with their distances, and the place they fit
is usually ringed by sensors that would have heard a real shot there.

``HearingModel`` scores that: for a candidate shot, the log-likelihood of its hearing
pattern — the heard sensors' levels *and* the other sensors' silence — maximised over
the unknown source level.  It learns the detection threshold from the levels reported (a
low quantile), so it needs no configuration per deployment; until it has, or for pulses
without levels, it gives no score and the caller falls back to counting.
"""
from __future__ import annotations

import math

import numpy as np

_BIN_DB = 0.25
_N_BINS = int(250 / _BIN_DB)  # 0 … 250 dB
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class HearingModel:
    """Detection threshold learnt from reported levels, and the hearing-pattern score.

    Level model: ``level = L0 − 20·log10(r) − absorption·r + e`` — spherical spreading,
    air absorption (with the part of the excess loss that grows with range), and a
    scatter ``e`` of ``sd_db`` between source–sensor pairs (urban excess attenuation
    scatters by 5–10 dB).  ``min_pulses``: levels needed before the threshold is
    trusted.
    """

    def __init__(self, *, sd_db: float = 8.0, absorption_db_per_km: float = 3.0,
                 threshold_quantile: float = 0.01, min_pulses: int = 200) -> None:
        self.sd_db = float(sd_db)
        self.absorption_db_per_km = float(absorption_db_per_km)
        self.threshold_quantile = float(threshold_quantile)
        self.min_pulses = int(min_pulses)
        self._hist = np.zeros(_N_BINS, dtype=np.int64)

    def observe(self, levels_db: np.ndarray) -> None:
        """Count reported pulse levels (NaN = not reported) towards the threshold."""
        lv = np.asarray(levels_db, dtype=float)
        lv = lv[np.isfinite(lv)]
        if len(lv):
            idx = np.clip((lv / _BIN_DB).astype(np.int64), 0, _N_BINS - 1)
            self._hist += np.bincount(idx, minlength=_N_BINS)

    def learn_from(self, other: "HearingModel") -> None:
        self._hist = other._hist.copy()

    @property
    def threshold_db(self) -> float | None:
        """The level below which sensors report nothing (a low quantile of the levels
        seen); None until ``min_pulses`` levels have been seen."""
        n = int(self._hist.sum())
        if n < self.min_pulses:
            return None
        k = int(np.searchsorted(np.cumsum(self._hist), self.threshold_quantile * n, "left"))
        return k * _BIN_DB

    def loss_db(self, r_m: np.ndarray) -> np.ndarray:
        """Spreading and absorption loss (dB) at range ``r_m`` (re 1 m)."""
        r = np.maximum(np.asarray(r_m, dtype=float), 1.0)
        return 20.0 * np.log10(r) + self.absorption_db_per_km * r / 1000.0

    def log_likelihood(self, heard_db: np.ndarray, heard_m: np.ndarray, silent_m: np.ndarray) -> float | None:
        """Log-likelihood of a shot heard at levels ``heard_db`` by sensors at ranges
        ``heard_m`` while sensors at ranges ``silent_m`` heard nothing, maximised over
        the source level, in standardised units.  None without a learnt threshold or
        when a heard level is unknown."""
        thr = self.threshold_db
        heard_db = np.asarray(heard_db, dtype=float)
        if thr is None or len(heard_db) == 0 or not np.all(np.isfinite(heard_db)):
            return None
        sd = self.sd_db
        src = heard_db + self.loss_db(heard_m)  # each heard sensor's view of the source level
        grid = np.arange(src.min() - 30.0, src.max() + 10.0 + 1e-9, 0.5)
        z_h = (src[None, :] - grid[:, None]) / sd
        ll = -0.5 * np.sum(z_h * z_h, axis=1) - len(src) * _HALF_LOG_2PI
        if len(silent_m):
            z_s = (thr - grid[:, None] + self.loss_db(silent_m)[None, :]) / sd
            ll = ll + np.sum(log_ndtr(z_s), axis=1)
        return float(ll.max())


def log_ndtr(z: np.ndarray) -> np.ndarray:
    """log Φ(z), the log of the standard normal CDF, without underflow for very negative
    z (Chebyshev fit of erfc, relative error < 1.2e-7; Numerical Recipes ``erfcc``)."""
    z = np.asarray(z, dtype=float)
    x = np.abs(z) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.5 * x)
    poly = -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    log_half_erfc = math.log(0.5) + np.log(t) + poly  # log(erfc(|z|/√2) / 2) = log Φ(−|z|)
    return np.where(z <= 0.0, log_half_erfc, np.log1p(-np.exp(log_half_erfc)))
