"""Geography without Qt: spatial index, GIS layers, the location in words, the demo city."""
from app.geo.address import AddressLocator, LocationDescription
from app.geo.democity import DEMOCITY_DIR, DemoCity, load_democity
from app.geo.index import PointIndex
from app.geo.layers import GisLayers
from app.geo.polygon import point_in_polygon, points_in_polygon

__all__ = ["AddressLocator", "DEMOCITY_DIR", "DemoCity", "GisLayers", "LocationDescription", "PointIndex",
           "load_democity", "point_in_polygon", "points_in_polygon"]
