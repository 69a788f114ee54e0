"""PORT TOCSIN — a FICTIONAL demo city, generated; not a real place, no real sensor sites.

    python -m app.geo.democity            # regenerate resources/democity/

It lies at a made-up origin in the open north-east Pacific (29.5° N, 140.5° W, about
1,500 km from any coast).  About 3 × 3 km: a 200 m street grid (16 numbered avenues
running north–south, 16 named streets east–west), the diagonal Lantern Blvd, Tocsin Park
(four blocks, no interior streets), ~3,000 parcels with address points, landmarks, a
coverage polygon, and acoustic sensors on a jittered hexagonal layout at ~15 per square
mile (a ShotSpotter-like density).  Output is deterministic (seeded).

Files (GeoJSON in WGS-84 lon/lat, coordinates to 1e-6°): streets, addresses, parcels,
landmarks, coverage, sensors (with local x_m/y_m/z_m), and ``city.toml`` (origin, notes).
The console draws these as its offline base map; the simulator uses the sensor layout.
"""
from __future__ import annotations

from app.paths import RESOURCES

import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.geo.layers import GisLayers
from app.geo.polygon import points_in_polygon, polygon_area
from localization.geometry import LocalFrame
from localization.types import Sensor

DEMOCITY_DIR = RESOURCES / "democity"
NAME = "Port Tocsin"
ORIGIN_LAT, ORIGIN_LON = 29.5, -140.5
BLOCK_M = 200.0
HALF_EXTENT_M = 1500.0
STREET_HALF_WIDTH_M = 10.0
LOTS_PER_SIDE = 7
SETBACK_M = 14.0
SENSORS_PER_SQMI = 15.0
SQMI_M2 = 2_589_988.11
SEED = 20240917

AVENUES = [f"{n}{'st' if n % 10 == 1 and n != 11 else 'nd' if n % 10 == 2 and n != 12 else 'rd' if n % 10 == 3 and n != 13 else 'th'} Ave"
           for n in range(1, 17)]
STREETS = ["Harbor St", "Alder St", "Birch St", "Cedar St", "Dogwood St", "Elm St", "Fir St", "Ginkgo St",
           "Hawthorn St", "Juniper St", "Laurel St", "Magnolia St", "Oak St", "Pine St", "Redwood St", "Willow St"]
DIAGONAL = ("Lantern Blvd", (-1500.0, -1100.0), (1100.0, 1500.0))
PARK = ("Tocsin Park", (-300.0, 100.0), (100.0, 500.0))      # x range, y range (2 × 2 blocks)
LANDMARKS = [
    ("Tocsin Park", -100.0, 300.0, "park"),
    ("Port Tocsin City Hall", 500.0, -100.0, "civic"),
    ("Central Library", -700.0, 700.0, "civic"),
    ("Fire Station 3", 900.0, 900.0, "fire"),
    ("Harbor Pier", 0.0, -1700.0, "pier"),
    ("Lighthouse Point", -1750.0, -1650.0, "lighthouse"),
    ("North Rail Yard", 200.0, 1750.0, "rail"),
]
COVERAGE_LOCAL = [(-1600.0, -1300.0), (-1300.0, -1600.0), (1300.0, -1600.0), (1600.0, -1300.0),
                  (1600.0, 1300.0), (1300.0, 1600.0), (-1300.0, 1600.0), (-1600.0, 1300.0)]


def frame() -> LocalFrame:
    return LocalFrame(ORIGIN_LAT, ORIGIN_LON)


def _in_park(x: float, y: float) -> bool:
    (x0, x1), (y0, y1) = PARK[1], PARK[2]
    return x0 < x < x1 and y0 < y < y1


def _diag_dist(x, y):
    (ax, ay), (bx, by) = DIAGONAL[1], DIAGONAL[2]
    L = math.hypot(bx - ax, by - ay)
    return ((bx - ax) * (np.asarray(y) - ay) - (by - ay) * (np.asarray(x) - ax)) / L


def generate_local() -> dict:
    """Everything in local metres (x east, y north), before projection."""
    lines = np.arange(-HALF_EXTENT_M, HALF_EXTENT_M + 1, BLOCK_M)
    streets = []
    for name, fixed_x in zip(AVENUES, lines):          # north–south avenues
        streets.append((name, _runs([(fixed_x, y) for y in lines])))
    for name, fixed_y in zip(STREETS, lines):          # east–west streets
        streets.append((name, _runs([(x, fixed_y) for x in lines])))
    streets.append((DIAGONAL[0], [[DIAGONAL[1], DIAGONAL[2]]]))

    addresses, parcels = [], []
    for col, x0 in enumerate(lines[:-1]):
        for row, y0 in enumerate(lines[:-1]):
            if _in_park(x0 + BLOCK_M / 2, y0 + BLOCK_M / 2):
                continue
            inner0, inner1 = x0 + STREET_HALF_WIDTH_M, x0 + BLOCK_M - STREET_HALF_WIDTH_M
            w = (inner1 - inner0) / LOTS_PER_SIDE
            depth = BLOCK_M / 2 - STREET_HALF_WIDTH_M
            for side in ("south", "north"):
                # south half of the block fronts the street at y0 (its north side: odd numbers)
                street_y = y0 if side == "south" else y0 + BLOCK_M
                street = STREETS[row] if side == "south" else STREETS[row + 1]
                sgn = 1.0 if side == "south" else -1.0
                front = street_y + sgn * STREET_HALF_WIDTH_M
                back = front + sgn * depth
                for k in range(LOTS_PER_SIDE):
                    lx0, lx1 = inner0 + k * w, inner0 + (k + 1) * w
                    ring = [(lx0, front), (lx1, front), (lx1, back), (lx0, back), (lx0, front)]
                    d = _diag_dist([p[0] for p in ring], [p[1] for p in ring])
                    if np.min(np.abs(d)) < STREET_HALF_WIDTH_M + 2 or np.min(d) * np.max(d) < 0:
                        continue                        # the diagonal boulevard runs through this lot
                    number = 100 * (col + 1) + 2 * k + (1 if side == "south" else 0)
                    label = f"{number} {street}"
                    addresses.append((number, street, (lx0 + lx1) / 2, front + sgn * SETBACK_M))
                    parcels.append((label, ring))
    return {"streets": streets, "addresses": addresses, "parcels": parcels}


def _runs(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Split a street's vertex list where it would cross the park's interior."""
    runs, cur = [], [points[0]]
    for a, b in zip(points[:-1], points[1:]):
        mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        if _in_park(mx, my):
            if len(cur) > 1:
                runs.append(cur)
            cur = [b]
        else:
            cur.append(b)
    if len(cur) > 1:
        runs.append(cur)
    return runs


def sensor_layout(seed: int = SEED) -> list[Sensor]:
    """Jittered hexagonal layout inside the coverage polygon at ~15 sensors per square mile."""
    area = polygon_area(COVERAGE_LOCAL)
    spacing = math.sqrt(2.0 * (SQMI_M2 / SENSORS_PER_SQMI) / math.sqrt(3.0))
    rng = np.random.default_rng(seed)
    pts = []
    for j, y in enumerate(np.arange(-HALF_EXTENT_M - 200, HALF_EXTENT_M + 200, spacing * math.sqrt(3) / 2)):
        offset = (spacing / 2) * (j % 2)
        for x in np.arange(-HALF_EXTENT_M - 200 + offset, HALF_EXTENT_M + 200, spacing):
            pts.append((x, y))
    pts = np.array(pts) + rng.uniform(-35, 35, (len(pts), 2))
    inside = pts[points_in_polygon(pts[:, 0], pts[:, 1], COVERAGE_LOCAL)]
    target = int(round(SENSORS_PER_SQMI * area / SQMI_M2))
    if len(inside) > target:  # thin evenly (seeded) to the target density
        inside = inside[np.sort(rng.choice(len(inside), target, replace=False))]
    z = rng.uniform(6.0, 15.0, len(inside))            # rooftop heights
    return [Sensor(f"PT-{i + 1:02d}", round(float(x), 1), round(float(y), 1), round(float(h), 1))
            for i, ((x, y), h) in enumerate(zip(inside, z))]


def _ll(fr: LocalFrame, x, y) -> list:
    lat, lon, _ = fr.to_geodetic(np.asarray(x, float), np.asarray(y, float))
    return [[round(float(a), 6), round(float(b), 6)] for a, b in zip(np.atleast_1d(lon), np.atleast_1d(lat))]


def _fc(features: list[dict], name: str) -> dict:
    return {"type": "FeatureCollection", "name": name,
            "fictional": "Port Tocsin is a fictional demo city; nothing here is a real place or sensor site.",
            "features": features}


def write(out_dir: Path = DEMOCITY_DIR) -> dict[str, int]:
    fr = frame()
    city = generate_local()
    out_dir.mkdir(parents=True, exist_ok=True)
    feats = {}
    feats["streets"] = []
    for name, runs in city["streets"]:
        coords = [_ll(fr, [p[0] for p in run], [p[1] for p in run]) for run in runs]
        geom = {"type": "LineString", "coordinates": coords[0]} if len(coords) == 1 else \
            {"type": "MultiLineString", "coordinates": coords}
        kind = "boulevard" if name == DIAGONAL[0] else "avenue" if name in AVENUES else "street"
        feats["streets"].append({"type": "Feature", "properties": {"name": name, "class": kind}, "geometry": geom})
    feats["addresses"] = [
        {"type": "Feature", "properties": {"number": n, "street": s},
         "geometry": {"type": "Point", "coordinates": _ll(fr, [x], [y])[0]}} for n, s, x, y in city["addresses"]]
    feats["parcels"] = [
        {"type": "Feature", "properties": {"address": label},
         "geometry": {"type": "Polygon", "coordinates": [_ll(fr, [p[0] for p in ring], [p[1] for p in ring])]}}
        for label, ring in city["parcels"]]
    feats["landmarks"] = [
        {"type": "Feature", "properties": {"name": n, "kind": k}, "geometry": {"type": "Point", "coordinates": _ll(fr, [x], [y])[0]}}
        for n, x, y, k in LANDMARKS]
    ring = COVERAGE_LOCAL + [COVERAGE_LOCAL[0]]
    feats["coverage"] = [{"type": "Feature", "properties": {"name": f"{NAME} coverage area (fictional)"},
                          "geometry": {"type": "Polygon", "coordinates": [_ll(fr, [p[0] for p in ring], [p[1] for p in ring])]}}]
    sensors = sensor_layout()
    feats["sensors"] = [
        {"type": "Feature", "properties": {"id": s.id, "x_m": s.x_m, "y_m": s.y_m, "z_m": s.z_m},
         "geometry": {"type": "Point", "coordinates": _ll(fr, [s.x_m], [s.y_m])[0]}} for s in sensors]
    for name, fs in feats.items():
        (out_dir / f"{name}.geojson").write_text(json.dumps(_fc(fs, name), separators=(",", ":")) + "\n")
    area_sqmi = polygon_area(COVERAGE_LOCAL) / SQMI_M2
    (out_dir / "city.toml").write_text(
        f'# {NAME} — a FICTIONAL demo city generated by `python -m app.geo.democity`.\n'
        "# Not a real place; the origin is open ocean; the sensor sites are invented.\n"
        f'name = "{NAME}"\nfictional = true\norigin_lat = {ORIGIN_LAT}\norigin_lon = {ORIGIN_LON}\n'
        f'timezone = "UTC"\nagency_profile = "port-tocsin"\nextent_m = {2 * HALF_EXTENT_M:.0f}\n'
        f"coverage_sq_mi = {area_sqmi:.2f}\nsensors = {len(sensors)}\n"
        f"sensors_per_sq_mi = {len(sensors) / area_sqmi:.1f}\n\n[files]\n"
        + "".join(f'{n} = "{n}.geojson"\n' for n in feats))
    return {n: len(fs) for n, fs in feats.items()}


# ------------------------------------------------------------------ loading
@dataclass(frozen=True)
class DemoCity:
    name: str
    frame: LocalFrame
    directory: Path
    sensors: tuple[Sensor, ...]
    coverage_lonlat: tuple[tuple[float, float], ...]

    def path(self, layer: str) -> Path:
        return self.directory / f"{layer}.geojson"

    def layers(self) -> GisLayers:
        return GisLayers.from_geojson(self.frame, addresses=self.path("addresses"), streets=self.path("streets"),
                                      parcels=self.path("parcels"), landmarks=self.path("landmarks"))


def load_democity(directory: Path = DEMOCITY_DIR) -> DemoCity:
    meta = tomllib.loads((directory / "city.toml").read_text())
    fr = LocalFrame(meta["origin_lat"], meta["origin_lon"])
    sens = json.loads((directory / "sensors.geojson").read_text())["features"]
    sensors = tuple(Sensor(f["properties"]["id"], f["properties"]["x_m"], f["properties"]["y_m"], f["properties"]["z_m"])
                    for f in sens)
    cov = json.loads((directory / "coverage.geojson").read_text())["features"][0]["geometry"]["coordinates"][0]
    return DemoCity(meta["name"], fr, directory, sensors, tuple((c[0], c[1]) for c in cov))


if __name__ == "__main__":  # pragma: no cover
    counts = write()
    total = sum(p.stat().st_size for p in DEMOCITY_DIR.iterdir())
    print(f"wrote {DEMOCITY_DIR}: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + f"; {total / 1e6:.2f} MB")
