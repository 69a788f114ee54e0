"""The location in words on the fictional demo city, GIS import, and the demo city itself."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

from app.geo import AddressLocator, GisLayers, load_democity, points_in_polygon
from app.geo import democity
from localization.geometry import LocalFrame


@pytest.fixture(scope="module")
def city():
    return load_democity()


@pytest.fixture(scope="module")
def locator(city):
    return AddressLocator(city.layers())


def _addr(locator, label):
    L = locator.layers
    i = next(k for k in range(len(L.addr_x)) if L.label(k) == label)
    return float(L.addr_x[i]), float(L.addr_y[i])


def test_front_behind_beside_across(locator):
    # 305 Birch St: odd number = north side of Birch St (y = -1100), house front faces south
    x, y = _addr(locator, "305 Birch St")
    assert locator.describe(x, y).text.startswith("at 305 Birch St")
    d = locator.describe(x, y - 8)
    assert d.relation == "in front of" and d.address == "305 Birch St"
    assert d.cross_streets is not None and d.cross_streets[0] == "Birch St" and d.cross_streets[1].endswith("Ave")
    assert d.text == f"in front of 305 Birch St (near Birch St & {d.cross_streets[1]})"
    assert locator.describe(x, y + 40).relation == "behind"           # backyard, still in the parcel
    assert locator.describe(x + 9, y + 1).relation == "beside"
    across = locator.describe(x, y - 28)                              # past the centreline, nearer 304
    assert across.address == "304 Birch St" and across.relation in ("in front of", "at")


def test_parcel_decides_the_address(locator):
    # near the back line of a lot, the house of the lot behind is about as close; the parcel
    # decides that the point belongs to this lot's address.
    x, y = _addr(locator, "305 Birch St")
    d = locator.describe(x, y + 60)                                    # near the lot's back line
    assert d.address == "305 Birch St" and d.relation == "behind"


def test_far_from_addresses_uses_landmark_distance_and_bearing(locator):
    d = locator.describe(0.0, -1900.0)                                 # out on the water, south of the pier
    assert d.address is None and d.landmark == "Harbor Pier"
    assert d.landmark_bearing == "S" and d.text == "200 m S of Harbor Pier"
    park = locator.describe(-100.0, 300.0)                             # middle of Tocsin Park: no houses
    assert park.address is None and "Tocsin Park" in park.text


def test_on_a_street_far_from_houses_names_the_street(locator):
    # a point on the Lantern Blvd centre line (it crosses lots, which were left out)
    t = 0.54
    (ax, ay), (bx, by) = democity.DIAGONAL[1], democity.DIAGONAL[2]
    px, py = ax + t * (bx - ax), ay + t * (by - ay)
    d = locator.describe(px, py)
    assert d.street == "Lantern Blvd" and d.street_distance_m < 1.0


def test_describe_is_fast(locator):
    rng = np.random.default_rng(3)
    q = rng.uniform(-1500, 1500, (300, 2))
    t = time.perf_counter()
    for x, y in q:
        locator.describe(x, y)
    per = (time.perf_counter() - t) / len(q) * 1000
    print(f"\nfull location-in-words description: {per:.2f} ms per point (demo city)")


def test_geojson_and_csv_import(tmp_path):
    fr = LocalFrame(40.0, -75.0)
    lat, lon, _ = fr.to_geodetic(np.array([0.0, 50.0, 0.0, 50.0]), np.array([20.0, 20.0, -20.0, -20.0]))
    addrs = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"address": a},
         "geometry": {"type": "Point", "coordinates": [float(lo), float(la)]}}
        for a, la, lo in zip(["10 Main St", "20 Main St", "11 Main St", "21 Main St"], lat, lon)]}
    slat, slon, _ = fr.to_geodetic(np.array([-100.0, 200.0]), np.array([0.0, 0.0]))
    s2lat, s2lon, _ = fr.to_geodetic(np.array([100.0, 100.0]), np.array([-100.0, 100.0]))
    streets = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Main St"},
         "geometry": {"type": "LineString", "coordinates": [[float(o), float(a)] for a, o in zip(slat, slon)]}},
        {"type": "Feature", "properties": {"name": "4th Ave"},
         "geometry": {"type": "LineString", "coordinates": [[float(o), float(a)] for a, o in zip(s2lat, s2lon)]}}]}
    (tmp_path / "a.geojson").write_text(json.dumps(addrs))
    (tmp_path / "s.geojson").write_text(json.dumps(streets))
    layers = GisLayers.from_geojson(fr, addresses=tmp_path / "a.geojson", streets=tmp_path / "s.geojson")
    loc = AddressLocator(layers)
    d = loc.describe(48.0, 8.0)
    assert d.text == "in front of 20 Main St (near Main St & 4th Ave)"
    assert loc.describe(2.0, 35.0).relation == "behind"
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("lat,lon,number,street\n" + "\n".join(
        f"{la},{lo},{n},Main St" for la, lo, n in zip(lat, lon, [10, 20, 11, 21])))
    x, y, num, street = GisLayers.addresses_from_csv(csv_path, fr)
    assert num == ["10", "20", "11", "21"] and np.allclose(x, [0, 50, 0, 50], atol=1e-6)
    (tmp_path / "bad.csv").write_text("x,y\n1,2\n")
    with pytest.raises(ValueError, match="needs columns lat, lon"):
        GisLayers.addresses_from_csv(tmp_path / "bad.csv", fr)


def test_demo_city_is_fictional_small_and_complete(city):
    meta = (democity.DEMOCITY_DIR / "city.toml").read_text()
    assert "FICTIONAL" in meta and "fictional = true" in meta
    total = sum(p.stat().st_size for p in democity.DEMOCITY_DIR.iterdir())
    assert total < 1.5e6
    for layer in ("streets", "addresses", "parcels", "landmarks", "coverage", "sensors"):
        gj = json.loads(city.path(layer).read_text())
        assert gj["type"] == "FeatureCollection" and gj["features"] and "fictional" in gj["fictional"]
    names = {f["properties"]["name"] for f in json.loads(city.path("streets").read_text())["features"]}
    assert {"1st Ave", "2nd Ave", "3rd Ave", "11th Ave", "Alder St", "Lantern Blvd"} <= names
    L = city.layers()
    assert 2500 < len(L.addr_x) < 4000 and len(L.parcels) == len(L.addr_x)
    assert len(set(L.label(i) for i in range(len(L.addr_x)))) == len(L.addr_x)   # unique addresses


def test_demo_sensor_layout_density_and_inside_coverage(city):
    from app.geo.polygon import polygon_area

    cov = np.array(democity.COVERAGE_LOCAL)
    area_sqmi = polygon_area(cov) / democity.SQMI_M2
    density = len(city.sensors) / area_sqmi
    assert 12 <= density <= 18
    xs, ys = np.array([s.x_m for s in city.sensors]), np.array([s.y_m for s in city.sensors])
    assert points_in_polygon(xs, ys, cov).all()
    gaps = [np.sort(np.hypot(xs - x, ys - y))[1] for x, y in zip(xs, ys)]
    assert min(gaps) > 250                                # spread out, not clumped
    # the GeoJSON positions agree with the local metres stored beside them
    lat, lon, _ = city.frame.to_geodetic(xs, ys)
    feats = json.loads(city.path("sensors").read_text())["features"]
    got = np.array([f["geometry"]["coordinates"] for f in feats])
    assert np.allclose(got[:, 0], lon, atol=2e-6) and np.allclose(got[:, 1], lat, atol=2e-6)
    assert abs(city.frame.origin_lat_deg - 29.5) < 1e-9 and abs(city.frame.origin_lon_deg + 140.5) < 1e-9


def test_generator_reproduces_the_committed_files(tmp_path):
    democity.write(tmp_path)
    for p in democity.DEMOCITY_DIR.iterdir():
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), f"{p.name} differs: rerun python -m app.geo.democity"
