"""Builds the live map's base page once, with folium.

Only Leaflet is loaded, from the installed ``xstatic-leaflet`` package (file URLs; no
CDN — dispatch centers are offline).  The demo city's GeoJSON (or the agency's GIS) is
the base layer when no tile URL is configured; the coverage outline is drawn here too.
Everything that changes (incidents, selection, sensors) arrives later over the bridge.
"""
from __future__ import annotations

import json
from pathlib import Path

import folium
from branca.element import Element

from app.ui.resources import leaflet_dir, resource

CITY_STYLES = {
    "water": {"color": "#1d4f7a", "weight": 1, "fillColor": "#123a5c", "fillOpacity": 0.9},
    "parks": {"color": "#1f5a35", "weight": 1, "fillColor": "#17402a", "fillOpacity": 0.8},
    "parcels": {"color": "#2a3340", "weight": 0.6, "fillColor": "#1a212b", "fillOpacity": 0.95},
    "blocks": {"color": "#2b3340", "weight": 1, "fillColor": "#1e242d", "fillOpacity": 0.9},
    "buildings": {"color": "#3a4454", "weight": 0.5, "fillColor": "#2a313c", "fillOpacity": 0.9},
    "roads": {"color": "#59667a", "weight": 3, "opacity": 0.9},
    "streets": {"color": "#59667a", "weight": 3, "opacity": 0.9},
    "boundary": {"color": "#8899aa", "weight": 2, "dashArray": "6 4", "fill": False},
}
DEFAULT_STYLE = {"color": "#4a5568", "weight": 1.5, "fillColor": "#222a35", "fillOpacity": 0.6}


def _style_for(name: str) -> dict:
    for key, style in CITY_STYLES.items():
        if key in name.lower():
            return style
    return DEFAULT_STYLE


def build_map_html(*, center: tuple[float, float], zoom: int = 15,
                   city_layers: list[tuple[str, dict]] = (), coverage: list[list[float]] = (),
                   tile_url: str | None = None, tile_attribution: str = "agency tiles") -> str:
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=None, control_scale=True,
                   prefer_canvas=True, zoom_control=True)
    ldir = leaflet_dir()
    m.default_js = [("leaflet", (ldir / "leaflet.js").as_uri())]
    m.default_css = [("leaflet_css", (ldir / "leaflet.css").as_uri())]
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=tile_attribution, name="tiles", max_zoom=20).add_to(m)
    names = {}
    for name, gj in city_layers:
        if _is_points(gj):
            _add_point_labels(m, gj)
            continue
        style = _style_for(name)
        layer = folium.GeoJson(gj, name=name, style_function=lambda _f, s=style: s, interactive=False,
                               tooltip=None, control=False, smooth_factor=0.5)
        layer.add_to(m)
        names[name] = layer.get_name()
        if any(k in name.lower() for k in ("road", "street")):
            _add_street_labels(m, gj)
    if coverage:
        folium.Polygon(coverage, color="#00e5ff", weight=2, dash_array="8 6", fill=False,
                       interactive=False, tooltip=None).add_to(m)
    root = m.get_root()
    config = {"map": m.get_name(), "layers": names, "center": list(center), "zoom": zoom}
    payload = json.dumps(config).replace("</", "<\\/")
    root.header.add_child(Element('<script src="qrc:///qtwebchannel/qwebchannel.js"></script>'))
    root.header.add_child(Element(f'<style>{resource("ui", "map.css").read_text()}</style>'))
    root.html.add_child(Element(f'<script type="application/json" id="tocsin-config">{payload}</script>'))
    root.script.add_child(Element(resource("ui", "map.js").read_text()))
    return root.render()


def _add_street_labels(m: folium.Map, gj: dict) -> None:
    """Street names as permanent labels at the middle of each named line (readable at a distance)."""
    seen = set()
    for f in gj.get("features", []):
        name = (f.get("properties") or {}).get("name")
        geom = f.get("geometry") or {}
        if not name or name in seen or geom.get("type") != "LineString":
            continue
        coords = geom["coordinates"]
        lon, lat = coords[len(coords) // 2][:2]
        seen.add(name)
        folium.Marker([lat, lon], icon=folium.DivIcon(html=f'<div class="street-label">{_esc(name)}</div>',
                                                      icon_size=(160, 16), icon_anchor=(80, 8)),
                      interactive=False).add_to(m)


def _is_points(gj: dict) -> bool:
    feats = gj.get("features", [])
    return bool(feats) and all((f.get("geometry") or {}).get("type") == "Point" for f in feats)


def _add_point_labels(m: folium.Map, gj: dict) -> None:
    """Landmarks: a small dot and the name (no marker images needed)."""
    for f in gj.get("features", []):
        name = (f.get("properties") or {}).get("name")
        lon, lat = f["geometry"]["coordinates"][:2]
        if name:
            folium.Marker([lat, lon], icon=folium.DivIcon(
                html=f'<div class="landmark-label">&#9679; {_esc(name)}</div>', icon_size=(180, 16),
                icon_anchor=(5, 8)), interactive=False).add_to(m)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_map_page(path: Path, **kwargs) -> Path:
    path.write_text(build_map_html(**kwargs), encoding="utf-8")
    return path
