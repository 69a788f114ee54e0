"""Multilateration: where and when was the shot, from arrival times at known sensors.

Model (REFERENCES.md): sensor *i* at ``s_i`` hears the blast at
``t_i = t0 + |x − s_i| / c_eff,i + e_i`` with unknown source ``x = (x, y)`` at an assumed
height ``z`` and unknown emission time ``t0``.  Two stages:

1. ``closed_form`` — the range-squared differences are linear in ``(x, y, t0)``
   (spherical interpolation); exact with exact data, vectorised over many candidate
   sets at once (used to make RANSAC hypotheses).
2. ``refine`` — Gauss–Newton with iteratively re-weighted, **one-sided** robust loss:
   echoes and non-line-of-sight paths only ever arrive *late*, so a late residual is
   down-weighted quickly while an early one keeps its weight much longer.  Optional
   nuisance parameters with Gaussian priors: wind ``(w_e, w_n)`` (effective speed
   ``c + w·u`` along the ray) and a speed-of-sound error ``dc`` (temperature error).
   They are kept only when they pay for themselves (a significant drop in residuals),
   so clean data keeps the efficient three-parameter estimate.

Times are float seconds relative to a caller-chosen reference; positions are metres.
Shapes: ``S`` is ``(n, 3)`` sensor positions, ``t`` is ``(n,)`` arrival times.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from localization.types import Ellipse

#: χ²₂ 95 % quantile: a 2-D Gaussian's 95 % ellipse is x'Σ⁻¹x ≤ 5.991.
CHI2_2DOF_95 = -2.0 * math.log(0.05)


def f2_quantile(dof: float, p: float = 0.95) -> float:
    """Quantile of Fisher's F(2, dof): closed form ``dof/2·((1−p)^(−2/dof) − 1)``."""
    if dof <= 0:
        return math.inf
    return dof / 2.0 * ((1.0 - p) ** (-2.0 / dof) - 1.0)


def closed_form(S: np.ndarray, t: np.ndarray, c: float, z_src: float | np.ndarray = 0.0) -> np.ndarray:
    """Linear least-squares (x, y, t0) from ≥ 4 arrivals, batched.

    ``S``: ``(..., n, 3)``, ``t``: ``(..., n)``; returns ``(..., 3)`` — NaN where the
    geometry is singular.  The first arrival of each set is the reference row; callers
    should pass times relative to something near the arrivals for conditioning.
    """
    S = np.asarray(S, dtype=float)
    t = np.asarray(t, dtype=float)
    z = np.asarray(z_src, dtype=float)[..., None]
    s0 = S[..., :1, :]
    t0 = t[..., :1]
    dS = S[..., 1:, :] - s0
    dz = (z - S[..., 1:, 2]) ** 2 - (z - S[..., :1, 2]) ** 2
    c2 = c * c
    # Work relative to the reference sensor for conditioning.
    rel = S[..., :, :2] - s0[..., :, :2]
    sq = np.einsum("...ij,...ij->...i", rel, rel)
    A = np.empty(dS.shape[:-1] + (3,))
    A[..., 0] = -2.0 * dS[..., 0]
    A[..., 1] = -2.0 * dS[..., 1]
    # The third unknown is c·t0 (metres), so that all three columns have the same
    # scale and the singularity test below measures geometry, not units.
    A[..., 2] = 2.0 * c * (t[..., 1:] - t0)
    b = c2 * (t[..., 1:] ** 2 - t0**2) - sq[..., 1:] - dz
    # Normal equations (batched 3×3), regularised by nothing: singular → NaN.
    AtA = np.einsum("...ki,...kj->...ij", A, A)
    Atb = np.einsum("...ki,...k->...i", A, b)
    sol, det = solve_sym3(AtA, Atb)
    scale = np.einsum("...ii->...", AtA) ** 3 + 1e-300
    ok = np.abs(det) > 1e-12 * np.abs(scale)
    sol[..., 0] += s0[..., 0, 0]
    sol[..., 1] += s0[..., 0, 1]
    sol[..., 2] /= c
    sol[~ok] = np.nan
    return sol


def solve_sym3(H: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solutions of batched symmetric 3×3 systems ``H·x = g`` by cofactors, and their
    determinants (a batch of tiny systems: LAPACK's per-matrix overhead dominates)."""
    a, b, c = H[..., 0, 0], H[..., 0, 1], H[..., 0, 2]
    e, f, i = H[..., 1, 1], H[..., 1, 2], H[..., 2, 2]
    c00, c01, c02 = e * i - f * f, c * f - b * i, b * f - c * e
    c11, c12, c22 = a * i - c * c, b * c - a * f, a * e - b * b
    det = a * c00 + b * c01 + c * c02
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / det
        g0, g1, g2 = g[..., 0], g[..., 1], g[..., 2]
        sol = np.stack([(c00 * g0 + c01 * g1 + c02 * g2) * inv,
                        (c01 * g0 + c11 * g1 + c12 * g2) * inv,
                        (c02 * g0 + c12 * g1 + c22 * g2) * inv], axis=-1)
    return sol, det


@dataclass(frozen=True, slots=True)
class Fit:
    """A refined solution.  ``cov_xy_m2`` is the 2×2 covariance of (x, y) in m²,
    already scaled by the estimated timing variance; ``dof`` the residual degrees of
    freedom that estimate rests on.  ``wind_mps`` and ``dc_mps`` are the wind and
    sound-speed offset the paths were computed under: estimated when ``nuisance``,
    else the priors given."""

    x_m: float
    y_m: float
    t0_s: float
    residuals_s: np.ndarray
    inliers: np.ndarray
    sigma_s: float
    cov_xy_m2: np.ndarray
    dof: int
    wind_mps: tuple[float, float]
    dc_mps: float
    converged: bool
    nuisance: bool = False
    z_m: float | None = None  # the source height, when it was estimated (else assumed)

    def ellipse95(self) -> Ellipse:
        """95 % ellipse of the position; uses F(2, dof) when σ was estimated from few
        residuals so that the region stays honest with few sensors."""
        k2 = 2.0 * f2_quantile(self.dof) if self.dof < 200 else CHI2_2DOF_95
        return ellipse_from_cov(self.cov_xy_m2, k2)


def ellipse_from_cov(cov: np.ndarray, k2: float = CHI2_2DOF_95) -> Ellipse:
    """Ellipse {x : xᵀΣ⁻¹x ≤ k2} of a 2×2 east/north covariance."""
    cov = np.asarray(cov, dtype=float)
    if not np.all(np.isfinite(cov)):
        return Ellipse(semi_major_m=math.inf, semi_minor_m=math.inf, orientation_deg=0.0)
    vals, vecs = np.linalg.eigh(cov)
    vals = np.clip(vals, 0.0, None)
    major = vecs[:, 1]
    orientation = math.degrees(math.atan2(major[0], major[1])) % 180.0
    return Ellipse(
        semi_major_m=float(math.sqrt(k2 * vals[1])),
        semi_minor_m=float(math.sqrt(k2 * vals[0])),
        orientation_deg=float(orientation),
    )


def refine(
    S: np.ndarray,
    t: np.ndarray,
    *,
    x0: tuple[float, float],
    c: float,
    z_src: float,
    wind_prior_mps: tuple[float, float] = (0.0, 0.0),
    dc_prior_mps: float = 0.0,
    wind_sigma_mps: float = 3.0,
    dc_sigma_mps: float = 2.0,
    estimate_nuisance: bool = True,
    late_scale: float = 2.5,
    early_scale: float = 6.0,
    sigma_floor_s: float = 5e-5,
    sigma_cap_s: float = 0.02,
    gate_s: float = 0.04,
    max_iter: int = 16,
    z_start: float | None = None,
) -> Fit:
    """Robust Gauss–Newton refinement of (x, y, t0) [+ wind, + dc] from ``x0``.

    With ``z_start`` the source height is a fourth unknown, estimated from that start
    (an aerial firework shell bursts 50–300 m up; sensors mostly at one height see the
    height only through the ranges' curvature, so start above the sensors: the mirror
    solution below them fits as well).  Otherwise the source is at ``z_src``.

    Late residuals beyond ``late_scale``·σ and early ones beyond ``early_scale``·σ are
    down-weighted (Cauchy); residuals outside ``gate_s`` are outliers.  Nuisance
    parameters are estimated when ``estimate_nuisance`` and n ≥ 6 and kept only if
    they reduce the weighted residual sum significantly (F-test at 1 %).
    """
    S = np.asarray(S, dtype=float)
    t = np.asarray(t, dtype=float)
    fit_z = z_start is not None
    z0 = float(z_start) if fit_z else z_src
    base = _irls(S, t, np.array([x0[0], x0[1]]), c, z0, wind_prior_mps, dc_prior_mps, None, None,
                 late_scale, early_scale, sigma_floor_s, sigma_cap_s, gate_s, max_iter, fit_z=fit_z)
    best = base
    if estimate_nuisance and int(base.inliers.sum()) >= 8:
        nuis = _irls(S, t, np.array([base.x_m, base.y_m]), c, base.z_m if fit_z else z_src, wind_prior_mps,
                     dc_prior_mps, wind_sigma_mps, dc_sigma_mps,
                     late_scale, early_scale, sigma_floor_s, sigma_cap_s, gate_s, max_iter, t0_start=base.t0_s,
                     fit_z=fit_z)
        # Compare on a common inlier set: residual sums with and without nuisance.
        common = base.inliers & nuis.inliers
        k = int(common.sum())
        if k >= 8:
            rss0 = float(np.sum(base.residuals_s[common] ** 2))
            rss1 = float(np.sum(nuis.residuals_s[common] ** 2))
            extra = 3
            dof1 = max(k - (4 if fit_z else 3) - extra, 1)
            f_stat = ((rss0 - rss1) / extra) / max(rss1 / dof1, 1e-30)
            if f_stat > _f_crit_01(extra, dof1):
                best = nuis
    return best


def _f_crit_01(d1: int, d2: int) -> float:
    """Conservative 99 % critical values of F(d1=3, d2) (table, interpolated)."""
    table = {1: 5403.0, 2: 99.17, 3: 29.46, 4: 16.69, 5: 12.06, 6: 9.78, 7: 8.45, 8: 7.59, 9: 6.99,
             10: 6.55, 12: 5.95, 15: 5.42, 20: 4.94, 30: 4.51, 60: 4.13}
    keys = sorted(table)
    for k in keys:
        if d2 <= k:
            return table[k]
    return 3.78


def _irls(S, t, xy, c, z_src, wind_prior, dc_prior, wind_sigma, dc_sigma, late_scale, early_scale,
          sigma_floor, sigma_cap, gate, max_iter, t0_start=None, fit_z=False) -> Fit:
    # Small arrays (a shot's sensors): numpy's per-call cost dominates, so geometry is
    # computed once per step and the 3×3 systems are solved directly.
    # Parameters: x, y, t0, then the source height (``fit_z``: column 3), then wind and
    # sound-speed error (the next three columns: from ``kn``).
    n = len(t)
    use_nuis = wind_sigma is not None
    kn = 4 if fit_z else 3
    n_par = kn + 3 if use_nuis else kn
    wind = np.array(wind_prior, dtype=float)
    dc = float(dc_prior)
    x, y = float(xy[0]), float(xy[1])
    tau, d, ux, uy, ceff = _geometry(S, x, y, z_src, c + dc, wind)
    t0 = float(_median(t - tau)) if t0_start is None else float(t0_start)
    r = t - t0 - tau
    sigma = _robust_sigma(r, sigma_floor, sigma_cap)
    converged = False
    J = np.empty((n, n_par))
    J[:, 2] = 1.0
    if use_nuis:
        prior_prec = np.array([1 / wind_sigma**2, 1 / wind_sigma**2, 1 / dc_sigma**2])
    for it in range(max_iter):
        # From a poor start every residual can exceed the gate: widen it to the spread of
        # the residuals for the first iterations, then tighten to the requested gate.
        spread = 1.4826 * float(_median(np.abs(r - _median(r))))
        gate_it = gate if it >= 4 else max(gate, 3.0 * spread)
        w = _weights(r, max(sigma, spread if it < 2 else sigma), late_scale, early_scale, gate_it)
        # d t_pred / d params
        J[:, 0] = -ux / ceff
        J[:, 1] = -uy / ceff
        if fit_z:
            J[:, 3] = -(S[:, 2] - z_src) / (d * ceff)
        if use_nuis:
            k = d / ceff**2
            J[:, kn] = -k * ux
            J[:, kn + 1] = -k * uy
            J[:, kn + 2] = -k
        Jw = J * w[:, None]
        H = Jw.T @ J
        g = Jw.T @ r
        if use_nuis:
            # Priors as pseudo-observations, in units of the timing σ.
            prec = sigma**2 * prior_prec
            H[kn:, kn:] += np.diag(prec)
            g[kn:] -= prec * np.array([wind[0] - wind_prior[0], wind[1] - wind_prior[1], dc - dc_prior])
        step = _solve(H, g, ridge=1e-12)
        if step is None:
            break
        x += step[0]
        y += step[1]
        t0 += step[2]
        if fit_z:
            z_src += step[3]
        if use_nuis:
            wind = wind + step[kn:kn + 2]
            dc += step[kn + 2]
        tau, d, ux, uy, ceff = _geometry(S, x, y, z_src, c + dc, wind)
        r = t - t0 - tau
        strong = w > 0.2
        sigma = _robust_sigma(r[strong], sigma_floor, sigma_cap) if strong.any() else sigma
        if abs(step[0]) + abs(step[1]) + (abs(step[3]) if fit_z else 0.0) < 1e-3 and it >= 2:
            converged = True
            break
    inliers = (r <= max(4.0 * sigma, 2e-3)) & (r >= -max(6.0 * sigma, 3e-3)) & (np.abs(r) <= gate)
    k = int(inliers.sum())
    # Polish with plain least squares on the inliers: the robust weights found them; under
    # Gaussian timing noise the unweighted estimate is the efficient (maximum-likelihood) one.
    n_pos = 4 if fit_z else 3
    if k >= n_pos + 1:
        Si, ti = S[inliers], t[inliers]
        tau_i, d_i, ux_i, uy_i, ceff_i = tau[inliers], d[inliers], ux[inliers], uy[inliers], ceff[inliers]
        Jp = np.empty((k, n_pos))
        Jp[:, 2] = 1.0
        for _ in range(3):
            Jp[:, 0] = -ux_i / ceff_i
            Jp[:, 1] = -uy_i / ceff_i
            if fit_z:
                Jp[:, 3] = -(Si[:, 2] - z_src) / (d_i * ceff_i)
            step = _solve(Jp.T @ Jp, Jp.T @ (ti - t0 - tau_i))
            if step is None:
                break
            x += step[0]
            y += step[1]
            t0 += step[2]
            if fit_z:
                z_src += step[3]
            tau_i, d_i, ux_i, uy_i, ceff_i = _geometry(Si, x, y, z_src, c + dc, wind)
            if abs(step[0]) + abs(step[1]) + (abs(step[3]) if fit_z else 0.0) < 1e-4:
                break
        tau, d, ux, uy, ceff = _geometry(S, x, y, z_src, c + dc, wind)
        r = t - t0 - tau
    # Wind and sound-speed error have priors, so they cost less than full parameters.
    n_eff = kn + 2 if use_nuis else kn
    dof = max(k - n_eff, 1)
    # Final covariance from the inlier set (unit weights), σ² from their residuals.
    J[:, 0] = -ux / ceff
    J[:, 1] = -uy / ceff
    if fit_z:
        J[:, 3] = -(S[:, 2] - z_src) / (d * ceff)
    if use_nuis:
        kk = d / ceff**2
        J[:, kn] = -kk * ux
        J[:, kn + 1] = -kk * uy
        J[:, kn + 2] = -kk
    Ji = J[inliers]
    H = Ji.T @ Ji
    if k > n_eff:
        s2 = float(np.sum(r[inliers] ** 2)) / dof
    else:
        s2 = sigma**2
    s2 = max(s2, sigma_floor**2) if math.isfinite(s2) else 1.0
    if use_nuis:
        H[kn:, kn:] += np.diag(s2 * prior_prec)
    cov_xy = _cov_xy(H, s2)
    return Fit(
        x_m=float(x),
        y_m=float(y),
        t0_s=float(t0),
        residuals_s=r,
        inliers=inliers,
        sigma_s=float(math.sqrt(s2)),
        cov_xy_m2=cov_xy,
        dof=dof,
        wind_mps=(float(wind[0]), float(wind[1])),
        dc_mps=float(dc),
        converged=converged,
        nuisance=use_nuis,
        z_m=float(z_src) if fit_z else None,
    )


def _solve(H: np.ndarray, g: np.ndarray, ridge: float = 0.0) -> np.ndarray | None:
    """Solution of the small linear system ``(H + ridge·trace(H)·I)·x = g``; None when
    singular.  3×3 systems (the usual case) by cofactors in plain floats, larger ones by
    LAPACK."""
    if H.shape[0] != 3:
        if ridge:
            H = H + ridge * np.trace(H) * np.eye(H.shape[0])
        try:
            return np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return None
    inv = _inv3(H.tolist(), ridge)
    if inv is None:
        return None
    r0, r1, r2 = g.tolist()
    return np.array([row[0] * r0 + row[1] * r1 + row[2] * r2 for row in inv])


def _inv3(m: list[list[float]], ridge: float = 0.0) -> list[list[float]] | None:
    """Inverse of the 3×3 matrix ``m + ridge·trace(m)·I`` (nested lists of floats) by
    cofactors; None when singular."""
    (a, b, c), (d, e, f), (g, h, i) = m
    if ridge:
        k = ridge * (a + e + i)
        a, e, i = a + k, e + k, i + k
    A, B, C = e * i - f * h, f * g - d * i, d * h - e * g
    det = a * A + b * B + c * C
    if not math.isfinite(det) or abs(det) <= 1e-300:
        return None
    q = 1.0 / det
    return [[A * q, (c * h - b * i) * q, (b * f - c * e) * q],
            [B * q, (a * i - c * g) * q, (c * d - a * f) * q],
            [C * q, (b * g - a * h) * q, (a * e - b * d) * q]]


def _cov_xy(H: np.ndarray, s2: float) -> np.ndarray:
    """The (x, y) block of ``s2·H⁻¹``; a huge isotropic covariance when ``H`` is singular."""
    if H.shape[0] == 3:
        inv = _inv3(H.tolist())
        cov_xy = None if inv is None else np.array([inv[0][:2], inv[1][:2]]) * s2
    else:
        try:
            cov_xy = np.linalg.inv(H)[:2, :2] * s2
        except np.linalg.LinAlgError:
            cov_xy = None
    if cov_xy is not None and np.all(np.isfinite(cov_xy)):
        return cov_xy
    return np.eye(2) * 1e6


def _geometry(S, x, y, z_src, c, wind):
    """Travel times, 3-D ranges, horizontal unit vectors (east, north) and effective
    sound speeds along each ray from a source at (x, y, z_src) to sensors ``S``."""
    dx = S[:, 0] - x
    dy = S[:, 1] - y
    dz = S[:, 2] - z_src
    d = np.sqrt(dx * dx + dy * dy + dz * dz)
    np.maximum(d, 1e-3, out=d)
    ux = dx / d
    uy = dy / d
    ceff = c + wind[0] * ux + wind[1] * uy
    return d / ceff, d, ux, uy, ceff


def travel_times(S, xy, z_src, c, wind):
    """Propagation times (s) and 3-D ranges (m) from a source at ``xy`` (height ``z_src``) to
    sensors ``S`` (n, 3), at sound speed ``c`` plus the wind (east, north) along each ray."""
    return ray_times(S[:, 0] - xy[0], S[:, 1] - xy[1], S[:, 2] - z_src, c, wind)


def ray_times(dx, dy, dz, c, wind):
    """Propagation times (s) and lengths (m) of rays with components (dx, dy, dz), source to
    sensor (arrays of any one broadcast shape), at sound speed ``c`` plus the wind
    (east, north; scalars or arrays broadcasting with the rays) along each ray."""
    d = np.maximum(np.sqrt(dx * dx + dy * dy + dz * dz), 1e-3)
    return d / (c + (wind[0] * dx + wind[1] * dy) / d), d


def _median(x):
    v = np.sort(x)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def _robust_sigma(r, floor, cap):
    if len(r) == 0:
        return floor
    med = _median(r)
    mad = 1.4826 * _median(np.abs(r - med))
    return float(min(max(mad, floor), cap))


def _weights(r, sigma, late_scale, early_scale, gate):
    """One-sided Cauchy weights: late residuals are suspected echoes sooner."""
    scale = np.where(r > 0, late_scale * sigma, early_scale * sigma)
    w = 1.0 / (1.0 + (r / scale) ** 2)
    w[np.abs(r) > gate] = 0.0
    return w
