"""``tocsin config check``: does everything the configuration names exist and load?

Each check gives one ``Finding`` (ok / warning / error, with what to do).  The live
console refuses to start while any finding is an error.
"""
from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from app.config.model import DeploymentConfig

if TYPE_CHECKING:
    from app.geo.site_dir import SiteDir

Level = Literal["ok", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Finding:
    key: str
    level: Level
    message: str


def check_config(cfg: DeploymentConfig) -> list[Finding]:
    return check_and_load_gis(cfg)[0]


def check_and_load_gis(cfg: DeploymentConfig) -> tuple[list[Finding], SiteDir | None]:
    """``check_config``'s findings and the GIS directory the check loaded, its layers parsed
    (None when it did not load): the live console builds its site from this one instead of
    reading the layers again."""
    out: list[Finding] = []
    if not cfg.exists:
        out.append(Finding("file", "error", f"no configuration file at {cfg.path} ({cfg.path_source}); "
                                            "write one with `tocsin config init`"))
    else:
        out.append(Finding("file", "ok", f"{cfg.path} (version {cfg.version})"))
    out.append(_agency(cfg))
    gis, city = _gis(cfg)
    out.append(gis)
    out += _keys(cfg, {s.id for s in city.sensors} if city is not None else set())
    out += _tls(cfg)
    out.append(Finding("feed.listen", "ok" if cfg.loopback else "warning",
                       f"{cfg.listen}" + ("" if cfg.loopback else " — reachable from the network: make sure only the "
                                                                   "sensor network can reach this port")))
    out.append(_database(cfg))
    out.append(_writable_dir("feed.journal", cfg.journal))
    out.append(Finding("site.temperature_c", "ok", f"{cfg.temperature_c:g} °C ({cfg.temperature_source})"))
    return out, city


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level == "error" for f in findings)


def _agency(cfg: DeploymentConfig) -> Finding:
    from app.dispatch.agency import load_agency
    from app.store import StoreError

    try:
        a = load_agency(cfg.agency_profile)
    except StoreError as exc:
        return Finding("agency.profile", "error", str(exc))
    return Finding("agency.profile", "ok", f"{a.name} ({cfg.agency_profile}); acknowledgment timeout "
                                           f"{a.ack_timeout_s:g} s")


def _gis(cfg: DeploymentConfig) -> tuple[Finding, SiteDir | None]:
    from app.geo.site_dir import load_site_dir
    from app.store import StoreError

    if "gis.directory" in cfg.unset_for_live():
        return Finding("gis.directory", "error", "not set: the live console needs the agency's GIS layers"), None
    try:
        city = load_site_dir(cfg.gis_dir)
        layers = city.layers()
    except (StoreError, OSError, KeyError, ValueError) as exc:
        return Finding("gis.directory", "error", str(exc)), None
    return Finding("gis.directory", "ok", f"{cfg.gis_dir}: {city.name}, {len(city.sensors)} sensors, "
                                          f"{len(layers.addr_x)} addresses, {len(layers.streets)} street lines"
                                          + ("" if city.coverage_lonlat else ", no coverage polygon")), city


def _keys(cfg: DeploymentConfig, sensor_ids: set[str]) -> list[Finding]:
    from app.feeds.keys import KeysFileError, load_keys

    try:
        keys = load_keys(cfg.keys_file)
    except KeysFileError as exc:
        return [Finding("sensors.keys_file", "error", str(exc))]
    out = [Finding("sensors.keys_file", "ok", f"{cfg.keys_file}: {len(keys)} sensor keys, mode 600")]
    if sensor_ids:
        no_key = sorted(sensor_ids - keys.keys())
        no_pos = sorted(keys.keys() - sensor_ids)
        if not sensor_ids & keys.keys():
            out.append(Finding("sensors.keys_file", "error", "no sensor in the keys file is in the GIS sensors layer "
                                                             "(ids must match)"))
        if no_key:
            out.append(Finding("sensors.keys_file", "warning", f"{len(no_key)} GIS sensors have no key and cannot "
                                                               f"connect: {', '.join(no_key[:5])}{' …' if len(no_key) > 5 else ''}"))
        if no_pos:
            out.append(Finding("sensors.keys_file", "warning", f"{len(no_pos)} keyed sensors are not in the GIS sensors "
                                                               f"layer; their pulses are not located: "
                                                               f"{', '.join(no_pos[:5])}{' …' if len(no_pos) > 5 else ''}"))
    return out


def _tls(cfg: DeploymentConfig) -> list[Finding]:
    if not cfg.tls_enabled:
        return [Finding("tls.enabled", "warning", "false: plain TCP on the loopback address (a local sensor gateway "
                                                   "only)")]
    missing = [k for k in cfg.unset_for_live() if k.startswith("tls.")]
    if missing:
        return [Finding(k, "error", "not set while tls.enabled = true (a test pair: `tocsin feed selfsigned --out "
                                    "DIR`)") for k in missing]
    for key, p in (("tls.cert", cfg.tls_cert), ("tls.key", cfg.tls_key)):
        if not p.is_file():
            return [Finding(key, "error", f"{p} does not exist")]
    from app.feeds.tls import server_context

    try:
        server_context(cfg.tls_cert, cfg.tls_key)
    except (OSError, ValueError) as exc:
        return [Finding("tls.cert", "error", f"the certificate and key do not load together: {exc}")]
    out = [Finding("tls.cert", "ok", f"{cfg.tls_cert} with key {cfg.tls_key}")]
    mode = stat.S_IMODE(cfg.tls_key.stat().st_mode)
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        out.append(Finding("tls.key", "warning", f"{cfg.tls_key} is readable by group or others (mode {mode:03o}); "
                                                 f"run: chmod 600 {cfg.tls_key}"))
    return out


def _database(cfg: DeploymentConfig) -> Finding:
    p = cfg.database
    if not p.is_file():
        return Finding("database.path", "error", f"{p} does not exist: create it and the first administrator with "
                                                 f"`tocsin db init --db {p} --admin ID`")
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            n = con.execute("SELECT count(*) FROM users WHERE role = 'admin' AND active = 1").fetchone()[0]
            total = con.execute("SELECT count(*) FROM users WHERE active = 1").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return Finding("database.path", "error", f"{p} is not a Tocsin database: {exc}")
    if n == 0:
        return Finding("database.path", "error", f"{p} has no active administrator: `tocsin db init --db {p} "
                                                 "--admin ID`")
    return Finding("database.path", "ok", f"{p}: {total} active users, {n} administrator(s)")


def _writable_dir(key: str, path) -> Finding:
    d = path.parent
    if not d.is_dir():
        return Finding(key, "error", f"directory {d} does not exist")
    if not os.access(d, os.W_OK):
        return Finding(key, "error", f"directory {d} is not writable")
    return Finding(key, "ok", str(path))
