"""WGS-84 geodetic coordinates ⇄ a local east-north-up (ENU) frame in metres.

The conversion is exact (geodetic → ECEF → rotation), not a flat-earth
approximation, so round trips are good to well under a millimetre anywhere a
city-sized deployment can sit.  Arrays of any matching shape are accepted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WGS84_A_M = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
_EP2 = (WGS84_A_M**2 - WGS84_B_M**2) / WGS84_B_M**2


def geodetic_to_ecef(lat_deg, lon_deg, alt_m=0.0):
    """Latitude/longitude in degrees and ellipsoidal height in metres → ECEF metres."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    alt = np.asarray(alt_m, dtype=float)
    sin_lat = np.sin(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    x = (n + alt) * np.cos(lat) * np.cos(lon)
    y = (n + alt) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + alt) * sin_lat
    return x, y, z


def ecef_to_geodetic(x, y, z):
    """ECEF metres → (lat_deg, lon_deg, alt_m), Bowring's method with two refinements."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    z = np.asarray(z, dtype=float)
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    theta = np.arctan2(z * WGS84_A_M, p * WGS84_B_M)
    lat = np.arctan2(z + _EP2 * WGS84_B_M * np.sin(theta) ** 3, p - WGS84_E2 * WGS84_A_M * np.cos(theta) ** 3)
    for _ in range(2):
        n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
        alt = p / np.cos(lat) - n
        lat = np.arctan2(z, p * (1.0 - WGS84_E2 * n / (n + alt)))
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
    alt = p / np.cos(lat) - n
    return np.degrees(lat), np.degrees(lon), alt


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """An east-north-up frame tangent to the ellipsoid at a site origin."""

    origin_lat_deg: float
    origin_lon_deg: float
    origin_alt_m: float = 0.0

    def __post_init__(self) -> None:
        if not -90.0 <= self.origin_lat_deg <= 90.0:
            raise ValueError(f"origin latitude must be within [-90, 90] degrees, got {self.origin_lat_deg}")
        if not -180.0 <= self.origin_lon_deg <= 180.0:
            raise ValueError(f"origin longitude must be within [-180, 180] degrees, got {self.origin_lon_deg}")

    def _rotation(self) -> np.ndarray:
        lat = np.radians(self.origin_lat_deg)
        lon = np.radians(self.origin_lon_deg)
        sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
        return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])

    def to_local(self, lat_deg, lon_deg, alt_m=0.0):
        """(lat, lon, alt) → (east_m, north_m, up_m) relative to the origin."""
        x, y, z = geodetic_to_ecef(lat_deg, lon_deg, alt_m)
        x0, y0, z0 = geodetic_to_ecef(self.origin_lat_deg, self.origin_lon_deg, self.origin_alt_m)
        d = np.stack([np.asarray(x) - x0, np.asarray(y) - y0, np.asarray(z) - z0])
        enu = np.tensordot(self._rotation(), d, axes=1)
        return enu[0], enu[1], enu[2]

    def to_geodetic(self, east_m, north_m, up_m=0.0):
        """(east_m, north_m, up_m) → (lat_deg, lon_deg, alt_m)."""
        e = np.asarray(east_m, dtype=float)
        n = np.asarray(north_m, dtype=float)
        u = np.broadcast_to(np.asarray(up_m, dtype=float), np.broadcast_shapes(e.shape, n.shape))
        d = np.tensordot(self._rotation().T, np.stack([e, n, u]), axes=1)
        x0, y0, z0 = geodetic_to_ecef(self.origin_lat_deg, self.origin_lon_deg, self.origin_alt_m)
        return ecef_to_geodetic(d[0] + x0, d[1] + y0, d[2] + z0)


def bearing_deg(dx_east_m, dy_north_m):
    """Compass bearing of a displacement, degrees clockwise from north in [0, 360)."""
    return np.degrees(np.arctan2(dx_east_m, dy_north_m)) % 360.0


_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def compass_point(bearing: float) -> str:
    """Eight-point compass word for a bearing in degrees ("NE", "S" …)."""
    return _COMPASS[int(((float(bearing) % 360.0) + 22.5) // 45.0) % 8]
