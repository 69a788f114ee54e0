"""Is it gunfire?  Per-pulse and per-incident probabilities from two small logistic models.

* **Pulse model** — impulse shape only (``features.FEATURE_NAMES``, log-scaled where the
  quantity spans decades).
* **Incident model** — combines evidence the way a reviewer does: the pulses' mean,
  weakest tenth (not the single weakest: one odd pulse among forty does not undo an
  incident) and spread of gunfire log-odds across sensors and rounds, the number of rounds, the
  cadence (median interval and its irregularity — firecracker strings are erratic,
  hammering is metronomic), and the located source height (aerial shells burst high).

Both are plain logistic regressions fitted with Newton's method in ``training.py`` on
synthetic data; their weights ship as ``gunfire_model.json`` next to this file.
Verdicts: p ≥ ``GUNFIRE_THRESHOLD`` → gunfire; p ≥ ``POSSIBLE_THRESHOLD`` →
``possible_gunfire``; below that the incident is kept but marked ``probable_fireworks``
(high source or a long erratic string) or ``non_gunfire`` — never dropped.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping, Sequence

import numpy as np

from localization.audio.features import FEATURE_NAMES

GUNFIRE_THRESHOLD = 0.5
POSSIBLE_THRESHOLD = 0.2
INCIDENT_FEATURE_NAMES: tuple[str, ...] = (
    "mean_logit", "low_logit", "std_logit", "log_rounds", "cadence_cv", "log_median_gap_s", "height_100m",
)
PULSE_INPUT_NAMES: tuple[str, ...] = (*FEATURE_NAMES, "centroid_hz^2")
"""The pulse model's inputs: every feature — durations (``_ms``) as log10 of ms, since they
span decades, except ``lobe_ms``, kept linear (0.1–6 ms) so a long first lobe (backfire,
door slam, aerial shell) weighs steeply; frequencies (``_hz``) as log10 of kHz, so a ring
narrow *for its frequency* (a hammer's) is a linear combination of them — plus the square
of the log centroid (``name^2``), because gunfire sits in a band of centroid with decoys on
both sides (backfire, door slams and aerial shells below; firecrackers, balloons and nail
guns above), which a logistic model can only express with a squared term."""
_LINEAR_INPUTS = frozenset({"lobe_ms"})


def _input(features: Mapping[str, float], name: str) -> float:
    if name.endswith("^2"):
        return _input(features, name[:-2]) ** 2
    v = float(features.get(name, 0.0))
    if name in _LINEAR_INPUTS:
        return v
    if name.endswith("_ms"):
        return float(np.log10(max(v, 0.01)))
    if name.endswith("_hz"):
        return float(np.log10(max(v, 10.0) / 1000.0))
    return v


def pulse_vector(features: Mapping[str, float], names: Sequence[str] = PULSE_INPUT_NAMES) -> np.ndarray:
    """The pulse model's input (``names``: the model's own, default ``PULSE_INPUT_NAMES``)
    for one pulse's features; a missing feature counts as 0."""
    return np.array([_input(features, n) for n in names])


@dataclass(frozen=True)
class LogisticModel:
    """p = σ(w · (x − mean) / scale + b)."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(x) - self.mean) / self.scale
        return z @ self.weights + self.bias

    def proba(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(x), -50, 50)))

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "mean": self.mean.round(6).tolist(), "scale": self.scale.round(6).tolist(),
                "weights": self.weights.round(6).tolist(), "bias": round(float(self.bias), 6)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "LogisticModel":
        return cls(tuple(d["names"]), np.asarray(d["mean"], float), np.asarray(d["scale"], float),
                   np.asarray(d["weights"], float), float(d["bias"]))


def fit_logistic(x: np.ndarray, y: np.ndarray, names: Sequence[str], *, l2: float = 1e-2,
                 iterations: int = 50, sample_weight: np.ndarray | None = None) -> LogisticModel:
    """L2-regularised logistic regression by Newton's method (deterministic)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x must be (n, k) and y (n,), got {x.shape} and {y.shape}")
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    z = np.column_stack([(x - mean) / scale, np.ones(len(x))])
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2 * sw.sum())
    reg[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -50, 50)))
        g = z.T @ (sw * (p - y)) + reg * w
        h = (z * (sw * p * (1 - p))[:, None]).T @ z + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(h, g)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return LogisticModel(tuple(names), mean, scale, w[:-1], float(w[-1]))


@dataclass(frozen=True)
class GunfireModel:
    pulse: LogisticModel
    incident: LogisticModel
    info: Mapping[str, Any]

    def to_json(self) -> str:
        return json.dumps({"format": "tocsin-gunfire-model/2", "info": dict(self.info),
                           "pulse": self.pulse.to_dict(), "incident": self.incident.to_dict()}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "GunfireModel":
        d = json.loads(text)
        if d.get("format") != "tocsin-gunfire-model/2":
            raise ValueError(f"not a tocsin gunfire model of format tocsin-gunfire-model/2 (got {d.get('format')!r}); "
                             "retrain it with python -m app.audio.retrain")
        return cls(LogisticModel.from_dict(d["pulse"]), LogisticModel.from_dict(d["incident"]), d.get("info", {}))


@lru_cache(maxsize=1)
def default_model() -> GunfireModel:
    """The shipped model (package data ``gunfire_model.json``)."""
    text = resources.files("localization.audio").joinpath("gunfire_model.json").read_text()
    return GunfireModel.from_json(text)


def pulse_gunfire_probability(features: Mapping[str, float] | Sequence[Mapping[str, float]],
                              model: GunfireModel | None = None) -> np.ndarray:
    """Gunfire probability of each pulse from its shape features; shape (n,)."""
    m = model or default_model()
    rows = [features] if isinstance(features, Mapping) else list(features)
    if not rows:
        return np.zeros(0)
    return m.pulse.proba(np.array([pulse_vector(f, m.pulse.names) for f in rows]))


def incident_vector(pulse_logits: Sequence[float], shot_times_s: Sequence[float], height_m: float | None) -> np.ndarray:
    """The incident model's input (see ``INCIDENT_FEATURE_NAMES``)."""
    lg = np.clip(np.asarray(pulse_logits, float), -20, 20)
    if len(lg) == 0:
        lg = np.array([-20.0])
    t = np.sort(np.asarray(shot_times_s, float))
    gaps = np.diff(t)
    rounds = max(1, len(t))
    cv = float(gaps.std() / gaps.mean()) if len(gaps) >= 2 and gaps.mean() > 0 else 0.0
    med = float(np.median(gaps)) if len(gaps) else 2.0
    h = 0.0 if height_m is None else float(height_m)
    return np.array([lg.mean(), float(np.percentile(lg, 10)), lg.std(), np.log10(rounds), cv, np.log10(max(med, 0.01)), h / 100.0])


@dataclass(frozen=True, slots=True)
class Verdict:
    """An incident's gunfire probability and review label."""

    probability: float
    label: str  # "gunfire" | "possible_gunfire" | "probable_fireworks" | "non_gunfire"
    reasons: tuple[str, ...]


def classify_incident(pulse_features: Sequence[Mapping[str, float]], shot_times_s: Sequence[float], *,
                      height_m: float | None = None, model: GunfireModel | None = None) -> Verdict:
    """Combine per-pulse evidence (all sensors, all rounds) with cadence and source height.

    ``shot_times_s`` are the times of the rounds (any origin), ``height_m`` the located
    source height above ground when known.
    """
    m = model or default_model()
    logits = pulse_logits(pulse_features, m)
    return verdict_from_logits(logits, shot_times_s, height_m=height_m, model=m)


def pulse_logits(pulse_features: Sequence[Mapping[str, float]], model: GunfireModel | None = None) -> np.ndarray:
    """The pulse model's log-odds of gunfire for each pulse; shape (n,).  Computed once per
    pulse, they let a growing incident be re-classified without re-reading its pulses."""
    m = model or default_model()
    if not pulse_features:
        return np.zeros(0)
    return m.pulse.logit(np.array([pulse_vector(f, m.pulse.names) for f in pulse_features]))


def verdict_from_logits(logits: Sequence[float] | np.ndarray, shot_times_s: Sequence[float], *,
                        height_m: float | None = None, model: GunfireModel | None = None) -> Verdict:
    """``classify_incident`` from the pulses' log-odds (``pulse_logits``) instead of their features."""
    m = model or default_model()
    logits = np.asarray(logits, float).reshape(-1)
    v = incident_vector(logits, shot_times_s, height_m)
    p = float(m.incident.proba(v)[0])
    reasons = [f"pulse shape log-odds mean {v[0]:+.1f} over {len(logits)} pulses", f"{len(shot_times_s)} rounds"]
    if len(shot_times_s) >= 3:
        reasons.append(f"cadence irregularity (CV) {v[4]:.2f}")
    if height_m is not None:
        reasons.append(f"source height {height_m:.0f} m")
    if p >= GUNFIRE_THRESHOLD:
        label = "gunfire"
    elif p >= POSSIBLE_THRESHOLD:
        label = "possible_gunfire"
    elif (height_m is not None and height_m > 40.0) or (len(shot_times_s) >= 8 and v[4] > 0.5):
        label = "probable_fireworks"
    else:
        label = "non_gunfire"
    return Verdict(p, label, tuple(reasons))
