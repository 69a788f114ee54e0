import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localization.geometry import LocalFrame, bearing_deg, compass_point, ecef_to_geodetic, geodetic_to_ecef
from localization.propagation import speed_of_sound_mps

lat = st.floats(-80, 80, allow_nan=False)
lon = st.floats(-179.9, 179.9, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(lat, lon, st.floats(-100, 3000), st.floats(-5000, 5000), st.floats(-5000, 5000), st.floats(-50, 200))
def test_enu_round_trip_is_exact_to_a_millimetre(lat0, lon0, alt0, e, n, u):
    f = LocalFrame(lat0, lon0, alt0)
    la, lo, al = f.to_geodetic(e, n, u)
    e2, n2, u2 = f.to_local(la, lo, al)
    assert abs(e2 - e) < 1e-3 and abs(n2 - n) < 1e-3 and abs(u2 - u) < 1e-3


@settings(max_examples=100, deadline=None)
@given(lat, lon, st.floats(-400, 9000))
def test_ecef_round_trip(la, lo, h):
    la2, lo2, h2 = ecef_to_geodetic(*geodetic_to_ecef(la, lo, h))
    assert abs(la2 - la) < 1e-9 and abs(((lo2 - lo + 180) % 360) - 180) < 1e-9 and abs(h2 - h) < 1e-4


def test_local_axes_point_east_and_north():
    f = LocalFrame(40.0, -80.0)
    e, n, _ = f.to_local(40.0, -80.0 + 0.01)
    assert e > 800 and abs(n) < 1
    e, n, _ = f.to_local(40.01, -80.0)
    assert n > 1100 and abs(e) < 1
    # 0.01° of latitude ≈ 1111 m
    assert n == pytest.approx(1110.6, abs=2.0)


def test_origin_validation():
    with pytest.raises(ValueError, match="latitude"):
        LocalFrame(91.0, 0.0)
    with pytest.raises(ValueError, match="longitude"):
        LocalFrame(0.0, 181.0)


def test_bearing_and_compass():
    assert bearing_deg(0, 1) == 0
    assert bearing_deg(1, 0) == 90
    assert bearing_deg(0, -1) == 180
    assert bearing_deg(-1, 0) == 270
    assert compass_point(44) == "NE" and compass_point(350) == "N" and compass_point(181) == "S"


def test_speed_of_sound():
    assert speed_of_sound_mps(0.0) == pytest.approx(331.3)
    assert speed_of_sound_mps(20.0) == pytest.approx(331.3 * math.sqrt(1 + 20 / 273.15))
    dry, humid = speed_of_sound_mps(20.0), speed_of_sound_mps(20.0, 80.0)
    assert 1.001 < humid / dry < 1.006  # humidity adds 0.1–0.6 %
    with pytest.raises(ValueError, match="temperature"):
        speed_of_sound_mps(120.0)
    with pytest.raises(ValueError, match="humidity"):
        speed_of_sound_mps(20.0, 120.0)
