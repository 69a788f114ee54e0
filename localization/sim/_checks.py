"""Small validators that raise ``ValueError`` with messages naming the offending argument."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

SQ_MI_M2 = 1609.344**2
"""One square mile in square metres."""

SeedLike = int | np.random.Generator | None


def rng_from(seed: SeedLike) -> np.random.Generator:
    """A Generator from an int seed or an existing Generator (used as is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(seed)
    raise ValueError(f"`seed` must be an int or a numpy Generator, got {type(seed).__name__}")


def finite(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"`{name}` must be finite, got {value!r}")
    return v


def positive(name: str, value: Any) -> float:
    v = finite(name, value)
    if v <= 0.0:
        raise ValueError(f"`{name}` must be positive, got {value!r}")
    return v


def non_negative(name: str, value: Any) -> float:
    v = finite(name, value)
    if v < 0.0:
        raise ValueError(f"`{name}` must be non-negative, got {value!r}")
    return v


def fraction(name: str, value: Any) -> float:
    v = finite(name, value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"`{name}` must be within [0, 1], got {value!r}")
    return v


def within(name: str, value: Any, lo: float, hi: float, unit: str = "") -> float:
    v = finite(name, value)
    if not lo <= v <= hi:
        u = f" {unit}" if unit else ""
        raise ValueError(f"`{name}` must be within [{lo:g}, {hi:g}]{u}, got {value!r}")
    return v


def count(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"`{name}` must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"`{name}` must be at least {minimum}, got {value!r}")
    return int(value)


def interval(name: str, value: Any, *, lo: float = 0.0, hi: float = math.inf, unit: str = "") -> tuple[float, float]:
    """A ``(low, high)`` pair with ``lo <= low <= high <= hi``."""
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a (low, high) pair, got {value!r}") from None
    a, b = finite(name, a), finite(name, b)
    if a > b:
        raise ValueError(f"`{name}` must have low <= high, got {value!r}")
    if a < lo or b > hi:
        u = f" {unit}" if unit else ""
        raise ValueError(f"`{name}` must lie within [{lo:g}, {hi:g}]{u}, got {value!r}")
    return a, b


def choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"`{name}` must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value
