"""An agency's GIS directory: the same GeoJSON layers as the demo city, for a real site.

    sensors.geojson     Point features with an "id" (as in the sensor keys file) and an
                        optional "z_m" (microphone height above the datum, default 6 m)
    streets.geojson     street centrelines (LineString / MultiLineString with a "name")
    addresses.geojson   address points ("number" + "street", or "address")
    parcels.geojson, landmarks.geojson, coverage.geojson      optional
    site.toml           optional: name, origin_lat, origin_lon (the local frame's origin;
                        default: the centre of the sensors)

All in WGS-84 lon/lat.  The demo city's directory (``city.toml`` instead of
``site.toml``) loads the same way.  Errors are ``ValidationError`` naming the file and
the feature.
"""
from __future__ import annotations

import json
import math
import tomllib
from functools import cached_property
from pathlib import Path

import numpy as np

from app.geo.democity import DemoCity
from app.geo.layers import GisLayers
from app.store.errors import ValidationError
from localization.geometry import LocalFrame
from localization.types import Sensor

REQUIRED_LAYERS = ("sensors", "streets", "addresses")
OPTIONAL_LAYERS = ("parcels", "landmarks", "coverage")
DEFAULT_SENSOR_Z_M = 6.0


class SiteDir(DemoCity):
    """A loaded GIS directory; the optional layers may be absent.  The layers are parsed
    once, when first asked for, and every later ``layers()`` returns the same ones."""

    @cached_property
    def _layers(self) -> GisLayers:
        opt = {n: self.path(n) if self.path(n).is_file() else None for n in ("parcels", "landmarks")}
        return GisLayers.from_geojson(self.frame, addresses=self.path("addresses"), streets=self.path("streets"), **opt)

    def layers(self) -> GisLayers:
        return self._layers


def load_site_dir(directory: str | Path | SiteDir) -> SiteDir:
    """The site in ``directory`` (same shape as the demo city: name, frame, sensors, coverage).
    A ``SiteDir`` already loaded is returned as it is, so a caller that checked the directory
    passes the loaded one along instead of having it read again."""
    if isinstance(directory, SiteDir):
        return directory
    d = Path(directory)
    if not d.is_dir():
        raise ValidationError(f"GIS directory {d} does not exist")
    missing = [f"{n}.geojson" for n in REQUIRED_LAYERS if not (d / f"{n}.geojson").is_file()]
    if missing:
        raise ValidationError(f"GIS directory {d} lacks {', '.join(missing)}")
    meta = _meta(d)
    feats = _features(d / "sensors.geojson")
    points: list[tuple[str, float, float, float, dict]] = []
    seen: set[str] = set()
    for i, f in enumerate(feats):
        where = f"{d / 'sensors.geojson'} feature {i + 1}"
        g = f.get("geometry") or {}
        props = f.get("properties") or {}
        sid = props.get("id")
        if not isinstance(sid, str) or not sid:
            raise ValidationError(f"{where}: needs a string \"id\" property")
        if sid in seen:
            raise ValidationError(f"{where}: sensor id {sid!r} appears twice")
        seen.add(sid)
        if g.get("type") != "Point":
            raise ValidationError(f"{where} ({sid}): geometry must be a Point")
        lon, lat = _lonlat(g.get("coordinates"), where)
        z = props.get("z_m", DEFAULT_SENSOR_Z_M)
        if not isinstance(z, (int, float)) or isinstance(z, bool) or not math.isfinite(z):
            raise ValidationError(f"{where} ({sid}): z_m must be a number")
        points.append((sid, lon, lat, float(z), props))
    if len(points) < 3:
        raise ValidationError(f"{d / 'sensors.geojson'}: a site needs at least 3 sensors, found {len(points)}")
    if "origin_lat" in meta:
        frame = LocalFrame(float(meta["origin_lat"]), float(meta["origin_lon"]))
    else:
        frame = LocalFrame(float(np.mean([p[2] for p in points])), float(np.mean([p[1] for p in points])))
    sensors = []
    for sid, lon, lat, z, props in points:
        if "origin_lat" in meta and isinstance(props.get("x_m"), (int, float)) and isinstance(props.get("y_m"), (int, float)):
            x, y = float(props["x_m"]), float(props["y_m"])   # the layout's own metres (the demo city)
        else:
            xs, ys, _ = frame.to_local(np.array([lat]), np.array([lon]))
            x, y = float(np.asarray(xs)[0]), float(np.asarray(ys)[0])
        sensors.append(Sensor(sid, round(x, 2), round(y, 2), z))
    coverage: tuple[tuple[float, float], ...] = ()
    if (d / "coverage.geojson").is_file():
        cov = _features(d / "coverage.geojson")
        geom = (cov[0].get("geometry") or {}) if cov else {}
        if geom.get("type") != "Polygon":
            raise ValidationError(f"{d / 'coverage.geojson'}: the first feature must be a Polygon")
        coverage = tuple((float(c[0]), float(c[1])) for c in geom["coordinates"][0])
    return SiteDir(str(meta.get("name") or d.name), frame, d, tuple(sensors), coverage)


def _meta(d: Path) -> dict:
    for name in ("site.toml", "city.toml"):
        p = d / name
        if p.is_file():
            try:
                meta = tomllib.loads(p.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ValidationError(f"{p}: not valid TOML: {exc}") from None
            has = [k for k in ("origin_lat", "origin_lon") if k in meta]
            if len(has) == 1:
                raise ValidationError(f"{p}: origin_lat and origin_lon go together")
            if has and not (-90 <= float(meta["origin_lat"]) <= 90 and -180 <= float(meta["origin_lon"]) <= 180):
                raise ValidationError(f"{p}: origin_lat/origin_lon out of range")
            return meta
    return {}


def _features(path: Path) -> list[dict]:
    try:
        gj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{path} could not be read as GeoJSON: {exc}") from None
    if not isinstance(gj, dict) or gj.get("type") != "FeatureCollection":
        raise ValidationError(f"{path} is not a GeoJSON FeatureCollection")
    feats = gj.get("features")
    if not isinstance(feats, list):
        raise ValidationError(f"{path}: \"features\" must be a list")
    return feats


def _lonlat(coords, where: str) -> tuple[float, float]:
    try:
        lon, lat = float(coords[0]), float(coords[1])
    except (TypeError, ValueError, IndexError):
        raise ValidationError(f"{where}: coordinates must be [lon, lat]") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(f"{where}: [lon, lat] = [{lon}, {lat}] is not WGS-84 (swapped?)")
    return lon, lat
