"""Cramér–Rao bound on a shot's 2-D position from arrival times with unknown emission time.

F = HᵀH/σ² with rows h_i = [u_iᵀ/c, 1], u_i the horizontal unit vector from the source to
sensor i; the position bound is the 2×2 position block of F⁻¹, reported as its RMS
(√trace, metres).
"""
from __future__ import annotations

import numpy as np

from localization.sim import _checks as ck

MIN_SENSORS_LOCATABLE = 4


def crb_position_rms_m(*, source_xy_m, sensors_xy_m, sigma_s: float, c_mps: float) -> float:
    """RMS 2-D position bound (m) for a source at ``source_xy_m`` (2,) heard by sensors at
    ``sensors_xy_m`` (n, 2 or 3; only x, y are used) with timing σ ``sigma_s`` (s) and sound
    speed ``c_mps``.  ``inf`` when the geometry does not fix the position (n < 3 or collinear)."""
    src = np.asarray(source_xy_m, dtype=float).reshape(-1)[:2]
    s = np.asarray(sensors_xy_m, dtype=float)
    if s.ndim != 2 or s.shape[1] < 2:
        raise ValueError(f"`sensors_xy_m` must have shape (n, 2) or (n, 3), got {s.shape}")
    ck.non_negative("sigma_s", sigma_s)
    ck.positive("c_mps", c_mps)
    out = crb_batch_m(
        shot=np.zeros(len(s), np.int64), src_xy=src[None, :], sensor_xy=s[:, :2], n_shots=1, sigma_s=sigma_s, c_mps=c_mps
    )
    return float(out[0])


def crb_batch_m(
    *, shot: np.ndarray, src_xy: np.ndarray, sensor_xy: np.ndarray, n_shots: int, sigma_s: float, c_mps: float
) -> np.ndarray:
    """Vectorised bound for many shots.  ``shot`` (m,) gives the shot index of each
    (shot, sensor) observation and ``sensor_xy`` (m, 2) that sensor's position; ``src_xy``
    (n_shots, 2).  Returns (n_shots,) metres (``inf`` where not determined)."""
    d = sensor_xy - src_xy[shot]
    r = np.hypot(d[:, 0], d[:, 1])
    u = d / np.maximum(r, 1e-9)[:, None]
    h = np.column_stack([u / c_mps, np.ones(len(shot))])  # (m, 3)
    F = np.zeros((n_shots, 3, 3))
    np.add.at(F, shot, h[:, :, None] * h[:, None, :])
    out = np.full(n_shots, np.inf)
    counts = np.bincount(shot, minlength=n_shots)
    ok = counts >= 3
    if not ok.any():
        return out
    Fk = F[ok]
    # condition check in a scaled basis (position terms are ~1/c², the clock term ~1)
    scale = np.array([c_mps, c_mps, 1.0])
    Fs = Fk * scale[None, :, None] * scale[None, None, :]
    cond = np.linalg.cond(Fs)
    good = cond < 1e10
    res = np.full(len(Fk), np.inf)
    if good.any():
        inv = np.linalg.inv(Fs[good]) * scale[None, :, None] * scale[None, None, :]
        res[good] = sigma_s * np.sqrt(np.maximum(inv[:, 0, 0] + inv[:, 1, 1], 0.0))
    out[ok] = res
    return out
