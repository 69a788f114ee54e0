"""Local metres → (lat, lon, location in words, near words).

``FrameLocator`` is the fallback when no street data is loaded ("310 m NE of the site
origin"); ``GeoLocator`` wraps the ``app.geo`` address-in-words service when present.
"""
from __future__ import annotations

import math
from typing import Any

from localization.geometry import LocalFrame, bearing_deg, compass_point


class FrameLocator:
    def __init__(self, frame: LocalFrame, place: str = "the site origin") -> None:
        self.frame = frame
        self.place = place

    def describe(self, x_m: float, y_m: float) -> tuple[float, float, str, str | None]:
        lat, lon, _ = self.frame.to_geodetic(x_m, y_m)
        d = math.hypot(x_m, y_m)
        words = f"{d:.0f} m {compass_point(float(bearing_deg(x_m, y_m)))} of {self.place}"
        return float(lat), float(lon), words, None


class GeoLocator:
    """Adapter for the ``app.geo`` lookup.  Accepts a callable or an object with
    ``describe``/``lookup``/``locate`` taking (lat, lon) and returning either a string, a
    (words, near) pair, or an object/dict with ``words``/``location`` and ``near``."""

    def __init__(self, frame: LocalFrame, lookup: Any) -> None:
        self.frame = frame
        self.fallback = FrameLocator(frame)
        fn = lookup
        for name in ("describe", "lookup", "locate", "address_in_words"):
            if hasattr(lookup, name):
                fn = getattr(lookup, name)
                break
        self._fn = fn

    def describe(self, x_m: float, y_m: float) -> tuple[float, float, str, str | None]:
        lat, lon, _ = self.frame.to_geodetic(x_m, y_m)
        lat, lon = float(lat), float(lon)
        try:
            res = self._fn(lat, lon)
        except Exception:  # noqa: BLE001 - a lookup failure must never lose an alert
            return self.fallback.describe(x_m, y_m)
        if isinstance(res, str):
            return lat, lon, res, None
        if isinstance(res, tuple):
            return lat, lon, str(res[0]), (str(res[1]) if len(res) > 1 and res[1] else None)
        get = (lambda k: res.get(k)) if isinstance(res, dict) else (lambda k: getattr(res, k, None))
        words = get("words") or get("location") or get("text") or get("address")
        near = get("near") or get("intersection") or get("cross_streets")
        if not words:
            return self.fallback.describe(x_m, y_m)
        return lat, lon, str(words), (str(near) if near else None)
