"""Everything about the site the console shows: local frame, sensors, base-map layers,
agency profile and the address-in-words locator.

``demo_site()`` uses the Port Tocsin demo city (``resources/democity`` via ``app.geo``)
when it is there, and otherwise a plain generated street grid so the console still runs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from localization.geometry import LocalFrame
from localization.types import Sensor

from app.console_services.agency import ConsoleProfile, from_any
from app.console_services.locator import FrameLocator, GeoLocator

DEMO_ORIGIN = (41.4901, -71.3128)   # fictional "Port Tocsin" sits here when no demo city file exists
RESOURCES = Path(__file__).resolve().parents[2] / "resources"


@dataclass
class ConsoleSite:
    name: str
    frame: LocalFrame
    sensors: list[Sensor]
    city_layers: list[tuple[str, dict]] = field(default_factory=list)
    profile: ConsoleProfile = field(default_factory=ConsoleProfile)
    locator: object = None
    zoom: int = 15

    def __post_init__(self) -> None:
        if self.locator is None:
            self.locator = FrameLocator(self.frame, f"{self.name} centre")

    @property
    def center(self) -> tuple[float, float]:
        return (self.frame.origin_lat_deg, self.frame.origin_lon_deg)


def grid_sensors(n_side: int = 5, spacing_m: float = 450.0) -> list[Sensor]:
    half = (n_side - 1) / 2
    return [Sensor(f"S{r * n_side + c + 1:02d}", (c - half) * spacing_m, (r - half) * spacing_m, 6.0)
            for r in range(n_side) for c in range(n_side)]


def grid_streets(frame: LocalFrame, half_m: float = 1300.0, step_m: float = 200.0) -> dict:
    """A plain street grid as GeoJSON (numbered avenues × named streets)."""
    names_ns = ["Harbor", "Main", "Market", "Elm", "Oak", "Pine", "Cedar", "Maple", "Birch", "Ash", "Quay", "Mill",
                "Bell", "Chapel"]
    feats = []
    k = 0
    for i, x in enumerate(range(int(-half_m), int(half_m) + 1, int(step_m))):
        lat, lon, _ = frame.to_geodetic([x, x], [-half_m, half_m])
        feats.append({"type": "Feature", "properties": {"name": f"{i + 1}{_ord(i + 1)} Ave"},
                      "geometry": {"type": "LineString", "coordinates": [[lon[0], lat[0]], [lon[1], lat[1]]]}})
    for j, y in enumerate(range(int(-half_m), int(half_m) + 1, int(step_m))):
        lat, lon, _ = frame.to_geodetic([-half_m, half_m], [y, y])
        name = names_ns[j % len(names_ns)] + " St"
        feats.append({"type": "Feature", "properties": {"name": name},
                      "geometry": {"type": "LineString", "coordinates": [[lon[0], lat[0]], [lon[1], lat[1]]]}})
        k += 1
    return {"type": "FeatureCollection", "features": feats}


def _ord(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def fallback_site() -> ConsoleSite:
    frame = LocalFrame(*DEMO_ORIGIN)
    return ConsoleSite("Port Tocsin", frame, grid_sensors(), [("streets", grid_streets(frame))])


def demo_site() -> ConsoleSite:
    """The demo city from ``app.geo`` when available, else the fallback grid."""
    try:
        from app.geo import democity  # type: ignore[attr-defined]
    except ImportError:
        democity = None
    if democity is None:
        return _from_files() or fallback_site()
    try:
        city = democity.load() if hasattr(democity, "load") else democity.load_demo_city()
    except Exception:  # noqa: BLE001
        return _from_files() or fallback_site()
    frame = getattr(city, "frame", None) or LocalFrame(*DEMO_ORIGIN)
    sensors = list(getattr(city, "sensors", None) or grid_sensors())
    layers = list(getattr(city, "layers", {}).items()) if isinstance(getattr(city, "layers", None), dict) else []
    profile = from_any(getattr(city, "agency", None))
    locator = GeoLocator(frame, city) if any(hasattr(city, n) for n in ("describe", "lookup", "locate")) else None
    return ConsoleSite(getattr(city, "name", "Port Tocsin"), frame, sensors, layers, profile, locator)


def _from_files() -> ConsoleSite | None:
    d = RESOURCES / "democity"
    files = sorted(d.glob("*.geojson")) if d.is_dir() else []
    if not files:
        return None
    site = fallback_site()
    layers = []
    for f in files:
        try:
            layers.append((f.stem, json.loads(f.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    site.city_layers = layers or site.city_layers
    return site
