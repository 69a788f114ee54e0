"""The commented configuration file ``tocsin config init`` writes."""
from __future__ import annotations

import os
from pathlib import Path

from app.config.model import CONFIG_VERSION, ConfigError

TEMPLATE = """\
# Tocsin deployment configuration — read by `tocsin console --live` and checked by
# `tocsin config check`.  `tocsin config show` prints what is in effect and why.
# Relative paths are relative to this file's directory.  Keep this file, the sensor
# keys and the agency profile OUTSIDE the installation folder (upgrades replace it).
version = {version}

[agency]
# A shipped profile name (default, port-tocsin, sacramento, …) or the path to your own
# profile — copy resources/agencies/default.toml, which documents every key.
profile = "default"

[gis]
# Directory of WGS-84 GeoJSON layers: sensors.geojson (points with an "id", optional
# "z_m" height), streets.geojson, addresses.geojson (required); parcels.geojson,
# landmarks.geojson, coverage.geojson (optional); site.toml (optional: name,
# origin_lat, origin_lon).  Required for the live console.
# directory = "gis"

[sensors]
# Per-sensor HMAC keys (mode 600): `tocsin feed keygen --out sensor-keys.toml --sensors ID,ID,…`
keys_file = "sensor-keys.toml"

[feed]
# Where the sensor socket listens.  Loopback by default; a sensor network needs the
# address of this machine's sensor-facing interface, e.g. "0.0.0.0:7700".
listen = "127.0.0.1:7700"
# The intake journal (every accepted sensor message, once).  Default: next to the database.
# journal = "/var/lib/tocsin/intake.sqlite3"

[tls]
# TLS is required on any non-loopback address.  A test pair: `tocsin feed selfsigned --out tls`
enabled = true
# cert = "tls/cert.pem"
# key = "tls/key.pem"

[database]
# The incident database (real records).  Default: the user data directory, or $TOCSIN_DB.
# path = "/var/lib/tocsin/tocsin.sqlite3"

[site]
# Air temperature for the speed of sound.  Only a fixed value is supported so far.
temperature_source = "fixed"
temperature_c = 15.0
"""


def render() -> str:
    return TEMPLATE.format(version=CONFIG_VERSION)


def write_template(path: Path) -> Path:
    """Write the template at ``path``; never overwrites (ConfigError when it exists)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise ConfigError("file", "already exists; not overwritten (edit it, or move it away first)",
                          path=path) from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(render())
    return path
