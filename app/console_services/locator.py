"""Address in words when no street data is loaded: "310 m NE of the site origin".

Same shape as ``app.geo.AddressLocator`` (``describe(x_m, y_m).text``), so ``Intake``
records it as the incident's address.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from localization.geometry import LocalFrame, bearing_deg, compass_point


@dataclass(frozen=True, slots=True)
class FrameDescription:
    text: str


class FrameAddressLocator:
    def __init__(self, frame: LocalFrame, place: str = "the site origin") -> None:
        self.frame = frame
        self.place = place

    def describe(self, x_m: float, y_m: float) -> FrameDescription:
        d = math.hypot(x_m, y_m)
        return FrameDescription(f"{d:.0f} m {compass_point(float(bearing_deg(x_m, y_m)))} of {self.place}")
