"""City-wide propagation conditions learnt from the shots themselves.

Wind and the error of the assumed air temperature bias every shot the same way, yet a
shot heard by five sensors cannot solve for them on its own.  ``SiteConditions`` pools
recent confident shots: each shot's own unknowns (x, y, t0) are projected out of its
residuals (a Schur complement), and the remaining information about the three shared
unknowns — wind east/north and a speed-of-sound offset — is added up, with Gaussian
priors, and solved.  Bundle adjustment in miniature.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from localization.solver import solve_sym3


class SiteConditions:
    def __init__(self, *, c_mps: float, wind_prior_mps=(0.0, 0.0), wind_sigma_mps: float = 3.0,
                 dc_sigma_mps: float = 2.0, max_shots: int = 25, min_shots: int = 3,
                 min_spread_m: float = 300.0, min_sensors: int = 5) -> None:
        self.c = c_mps
        self.prior = np.array([wind_prior_mps[0], wind_prior_mps[1], 0.0], dtype=float)
        self.prior_prec = np.array([1 / wind_sigma_mps**2, 1 / wind_sigma_mps**2, 1 / dc_sigma_mps**2])
        self.theta = self.prior.copy()
        self.cov = np.diag(1.0 / self.prior_prec)
        self.shots: deque = deque(maxlen=max_shots)
        self.min_shots = min_shots
        self.min_spread_m = min_spread_m
        self.min_sensors = min_sensors
        self.solve_every = 10
        self._added = 0

    @property
    def wind_mps(self) -> tuple[float, float]:
        return float(self.theta[0]), float(self.theta[1])

    @property
    def dc_mps(self) -> float:
        return float(self.theta[2])

    def add(self, S: np.ndarray, t: np.ndarray, xy: tuple[float, float], t0: float, z_src: float,
            sigma_s: float) -> None:
        """A confident shot: sensor positions (n, 3), arrival times (n,) on any common
        reference, its fitted position and emission time, and its timing scale."""
        if len(t) < self.min_sensors:
            return
        self.shots.append((np.asarray(S, float), np.asarray(t, float), np.array(xy, float), float(t0),
                           float(z_src), max(float(sigma_s), 1e-4)))
        self._added += 1
        # Re-solving over all pooled shots is the costly part: do it on every shot while
        # there are few, then every few shots (conditions change over minutes, not seconds).
        # Shots from one place cannot tell wind from a position shift, so conditions are
        # only applied once the shots are spread out; but how well they are pinned down
        # (the posterior spread) is tracked from the first shots on.
        if len(self.shots) >= self.min_shots and (len(self.shots) < 2 * self.solve_every
                                                  or self._added % self.solve_every == 0):
            # Not applied: only the spread is wanted, at the current conditions — one pass.
            learnt = self.learnt
            self._solve(iterations=3 if learnt else 1, apply=learnt)

    @property
    def speed_sd_mps(self) -> float:
        """How far the effective speed of sound along a ray may still be off (m/s): the
        posterior spread of wind and speed-of-sound error (the priors until ``min_shots``
        shots are pooled)."""
        return float(np.sqrt(np.trace(self.cov)))

    @property
    def learnt(self) -> bool:
        return len(self.shots) >= self.min_shots and self._spread_m() >= self.min_spread_m

    def _spread_m(self) -> float:
        """Wind and a position shift look alike from one place: only shots fired some way
        apart separate them."""
        xy = np.array([s[2] for s in self.shots])
        return float(np.max(np.ptp(xy, axis=0))) if len(xy) > 1 else 0.0

    def _solve(self, iterations: int = 3, apply: bool = True) -> None:
        """Gauss–Newton on the shared unknowns over all pooled shots at once (their
        arrays padded to the largest shot; padding rows weigh nothing)."""
        K = len(self.shots)
        n = max(len(sh[1]) for sh in self.shots)
        S = np.zeros((K, n, 3))
        t = np.zeros((K, n))
        valid = np.zeros((K, n), dtype=bool)
        for k, (S_k, t_k, *_rest) in enumerate(self.shots):
            S[k, :len(t_k)], t[k, :len(t_k)], valid[k, :len(t_k)] = S_k, t_k, True
        xy = np.array([sh[2] for sh in self.shots])
        t0 = np.array([sh[3] for sh in self.shots])
        z = np.array([sh[4] for sh in self.shots])
        sig = np.array([sh[5] for sh in self.shots])
        theta = self.theta.copy()
        for _ in range(iterations):
            # Re-fit each shot's own (x, y, t0) under the current site conditions (one step).
            r, J, _ = _residuals(S, t, xy, t0, z, self.c, theta)
            J, r = J * valid[..., None], r * valid
            step, _det = solve_sym3(J.transpose(0, 2, 1) @ J, np.einsum("kni,kn->ki", J, r))
            step = np.where(np.isfinite(step), step, 0.0)
            xy_k, t0_k = xy + step[:, :2], t0 + step[:, 2]
            r, J, Jn = _residuals(S, t, xy_k, t0_k, z, self.c, theta)
            keep = valid & (np.abs(r) <= np.maximum(4 * sig, 1e-3)[:, None])
            use = keep.sum(axis=1) >= 5
            J, Jn, r = J * keep[..., None], Jn * keep[..., None], r * keep
            # Project out each shot's own unknowns (orthogonal complement of J's columns).
            q = np.linalg.qr(J)[0]
            Jn_p = Jn - q @ (q.transpose(0, 2, 1) @ Jn)
            r_p = r - np.einsum("kni,ki->kn", q, np.einsum("kni,kn->ki", q, r))
            w = np.where(use, 1.0 / sig**2, 0.0)
            H = np.diag(self.prior_prec).astype(float) + np.einsum("k,kni,knj->ij", w, Jn_p, Jn_p)
            g = -self.prior_prec * (theta - self.prior) + np.einsum("k,kni,kn->i", w, Jn_p, r_p)
            if apply:
                xy[use], t0[use] = xy_k[use], t0_k[use]
            try:
                theta = theta + np.linalg.solve(H, g)
            except np.linalg.LinAlgError:
                return
        cov = np.linalg.inv(H)  # the spread at the last linearisation (solve succeeded: H is regular)
        # Keep to physically plausible values (a bad batch must not run away).
        theta[:2] = np.clip(theta[:2], -15.0, 15.0)
        theta[2] = float(np.clip(theta[2], -15.0, 15.0))
        if apply:
            self.theta = theta
            for k, sh in enumerate(self.shots):
                self.shots[k] = (sh[0], sh[1], xy[k].copy(), float(t0[k]), sh[4], sh[5])
        self.cov = cov


def _residuals(S, t, xy, t0, z, c, theta):
    """Residuals and Jacobians (own unknowns x, y, t0; shared wind east/north and
    speed-of-sound offset) of shots stacked along the first axis: ``S`` (K, n, 3),
    ``t`` (K, n), ``xy`` (K, 2), ``t0`` and ``z`` (K,)."""
    dx = S[..., 0] - xy[:, :1]
    dy = S[..., 1] - xy[:, 1:2]
    dz = S[..., 2] - z[:, None]
    d = np.maximum(np.sqrt(dx * dx + dy * dy + dz * dz), 1e-3)
    ux, uy = dx / d, dy / d
    ceff = c + theta[2] + theta[0] * ux + theta[1] * uy
    r = t - t0[:, None] - d / ceff
    J = np.stack([-ux / ceff, -uy / ceff, np.ones_like(t)], axis=-1)  # d pred / d (x, y, t0)
    Jn = np.stack([-d * ux / ceff**2, -d * uy / ceff**2, -d / ceff**2], axis=-1)  # d pred / d (we, wn, dc)
    return r, J, Jn
