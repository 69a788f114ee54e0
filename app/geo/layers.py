"""An agency's GIS layers in local metres: address points, street centerlines, optional
parcels and landmarks.  Loaded from GeoJSON (WGS-84 lon/lat) or CSV address lists and
projected with the site's ``LocalFrame``."""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.store.errors import ValidationError
from localization.geometry import LocalFrame


@dataclass
class GisLayers:
    # address points
    addr_x: np.ndarray
    addr_y: np.ndarray
    addr_number: list[str]
    addr_street: list[str]
    # street centerlines: one (k, 2) array per polyline, with its name
    streets: list[tuple[str, np.ndarray]] = field(default_factory=list)
    # parcels: ring (k, 2) and the index of the address it belongs to (-1 unknown)
    parcels: list[tuple[int, np.ndarray]] = field(default_factory=list)
    landmarks: list[tuple[str, float, float]] = field(default_factory=list)

    def label(self, i: int) -> str:
        return f"{self.addr_number[i]} {self.addr_street[i]}".strip()

    # ---------------------------------------------------------------- loading
    @classmethod
    def from_geojson(cls, frame: LocalFrame, *, addresses: str | Path, streets: str | Path,
                     parcels: str | Path | None = None, landmarks: str | Path | None = None) -> GisLayers:
        ax, ay, num, street = [], [], [], []
        for f in _features(addresses, "addresses"):
            g = f.get("geometry") or {}
            if g.get("type") != "Point":
                continue
            p = f.get("properties") or {}
            n, s = _split_address(p)
            ax.append(g["coordinates"][0])
            ay.append(g["coordinates"][1])
            num.append(n)
            street.append(s)
        if not ax:
            raise ValidationError(f"{addresses}: no address points")
        x, y = _project(frame, ax, ay)
        layers = cls(x, y, num, street)
        for f in _features(streets, "streets"):
            g = f.get("geometry") or {}
            name = (f.get("properties") or {}).get("name") or ""
            lines = [g["coordinates"]] if g.get("type") == "LineString" else (
                g["coordinates"] if g.get("type") == "MultiLineString" else [])
            for line in lines:
                lon, lat = zip(*[(c[0], c[1]) for c in line])
                lx, ly = _project(frame, lon, lat)
                layers.streets.append((name, np.column_stack([lx, ly])))
        if parcels is not None:
            by_label = {layers.label(i).lower(): i for i in range(len(num))}
            for f in _features(parcels, "parcels"):
                g = f.get("geometry") or {}
                if g.get("type") != "Polygon":
                    continue
                lon, lat = zip(*[(c[0], c[1]) for c in g["coordinates"][0]])
                px, py = _project(frame, lon, lat)
                label = ((f.get("properties") or {}).get("address") or "").lower()
                layers.parcels.append((by_label.get(label, -1), np.column_stack([px, py])))
        if landmarks is not None:
            for f in _features(landmarks, "landmarks"):
                g = f.get("geometry") or {}
                if g.get("type") == "Point":
                    lx, ly = _project(frame, [g["coordinates"][0]], [g["coordinates"][1]])
                    layers.landmarks.append(((f.get("properties") or {}).get("name", "landmark"), float(lx[0]), float(ly[0])))
        return layers

    @staticmethod
    def addresses_from_csv(path: str | Path, frame: LocalFrame) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
        """Address points from CSV with columns lat, lon and either (number, street) or address."""
        lat, lon, num, street = [], [], [], []
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rd = csv.DictReader(fh)
            cols = {c.lower(): c for c in rd.fieldnames or []}
            if "lat" not in cols or "lon" not in cols or not ({"number", "street"} <= set(cols) or "address" in cols):
                raise ValidationError(f"{path}: needs columns lat, lon and number+street or address; has {rd.fieldnames}")
            for k, row in enumerate(rd, start=1):
                try:
                    la, lo = float(row[cols["lat"]]), float(row[cols["lon"]])
                except ValueError:
                    raise ValidationError(f"{path} row {k}: latitude/longitude are not numbers") from None
                props = {c: row[cols[c]] for c in ("number", "street", "address") if c in cols}
                n, s = _split_address(props)
                lat.append(la)
                lon.append(lo)
                num.append(n)
                street.append(s)
        x, y = _project(frame, lon, lat)
        return x, y, num, street


def _features(path: str | Path, what: str) -> list[dict]:
    try:
        gj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{what} layer {path} could not be read as GeoJSON: {exc}") from None
    if gj.get("type") != "FeatureCollection":
        raise ValidationError(f"{what} layer {path} is not a GeoJSON FeatureCollection")
    return gj.get("features", [])


def _project(frame: LocalFrame, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    x, y, _ = frame.to_local(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _split_address(p: dict) -> tuple[str, str]:
    if p.get("number") is not None and p.get("street"):
        return str(p["number"]).strip(), str(p["street"]).strip()
    text = str(p.get("address") or "").strip()
    m = re.match(r"^(\d+[A-Za-z]?(?:-\d+)?)\s+(.*)$", text)
    return (m.group(1), m.group(2)) if m else ("", text)
