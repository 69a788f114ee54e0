"""Everything about the site the console shows: local frame, sensors, base-map layers,
agency profile and the address-in-words locator.

``demo_site()`` uses the Port Tocsin demo city (``resources/democity`` via ``app.geo``)
when it is there, and otherwise a plain generated street grid so the console still runs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from localization.geometry import LocalFrame
from localization.types import Sensor

from app.console_services.locator import FrameAddressLocator
from app.dispatch.agency import AgencyProfile, default_agency, load_agency

if TYPE_CHECKING:
    from app.geo.site_dir import SiteDir

DEMO_ORIGIN = (41.4901, -71.3128)   # fictional "Port Tocsin" sits here when no demo city file exists


@dataclass
class ConsoleSite:
    name: str
    frame: LocalFrame
    sensors: list[Sensor]
    city_layers: list[tuple[str, dict]] = field(default_factory=list)
    agency: AgencyProfile = field(default_factory=default_agency)
    locator: object = None      # address in words: ``describe(x_m, y_m).text`` (app.geo.AddressLocator)
    zoom: int = 15
    coverage_lonlat: list = field(default_factory=list)
    short_name: str = "PTEC"
    tile_url: str | None = None
    #: units offered in the CAD form when the agency keeps no roster
    units_on_shift: tuple[str, ...] = ("1A12", "1A14", "1A21", "2B03", "2B07", "K9-4", "SGT-2", "MEDIC-7")

    def __post_init__(self) -> None:
        if self.locator is None:
            self.locator = FrameAddressLocator(self.frame, f"{self.name} centre")

    @property
    def units(self) -> tuple[str, ...]:
        return self.agency.units or self.units_on_shift

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
    """The Port Tocsin demo city (``app.geo``) with its agency profile; the generated grid
    stand-in only when the demo city files are missing."""
    try:
        from app.geo import load_democity

        city = load_democity()
    except (ImportError, OSError, KeyError, ValueError):
        return fallback_site()
    return site_from_city(city, load_agency("port-tocsin"), short_name="PTPD")


def agency_site(gis_dir: str | Path | SiteDir, agency: AgencyProfile) -> ConsoleSite:
    """A real deployment's site: the agency's GIS directory (``app.geo.site_dir``; one the
    config check already loaded is used as it is) and profile.  Raises ``ValidationError``
    naming the file when the layers do not load."""
    from app.geo.site_dir import load_site_dir

    city = load_site_dir(gis_dir)
    words = [w for w in agency.name.replace("-", " ").split() if w[:1].isalpha()]
    short = "".join(w[0] for w in words).upper()[:6] or agency.id.upper()[:6]
    return site_from_city(city, agency, short_name=short, strict=True)


def site_from_city(city, agency: AgencyProfile, *, short_name: str, strict: bool = False) -> ConsoleSite:
    """The console's site from a loaded GIS directory (``DemoCity`` shape).  ``strict``:
    the address locator must load (a real site); else a frame locator stands in."""
    from app.geo import AddressLocator

    layers = []
    for name in ("parcels", "streets", "landmarks"):
        try:
            layers.append((name, json.loads(city.path(name).read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    try:
        locator = AddressLocator(city.layers())
    except Exception:  # noqa: BLE001 - the frame locator still says where, in metres
        if strict:
            raise
        locator = None
    site = ConsoleSite(city.name, city.frame, list(city.sensors), layers, agency, locator, short_name=short_name)
    site.coverage_lonlat = list(city.coverage_lonlat)
    return site
