"""The deployment configuration: one versioned TOML file naming everything a real
(non-training) console needs — agency profile, GIS layers, sensor keys, TLS, listen
address, database, intake journal and the site's air temperature.

Where it is read from, first match wins: ``--config PATH``, ``$TOCSIN_CONFIG``,
``platformdirs.user_config_dir("tocsin")/tocsin.toml``.  Relative paths in the file are
relative to the file's own directory.  Every value remembers where it came from (the
file, a default, an environment variable) for ``tocsin config show``.

Loading checks the *shape* (known keys, types, ranges, the version) and raises
:class:`ConfigError` naming the key.  Whether the named files exist and load is
``app.config.check``'s job, so a half-written file can still be shown.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

CONFIG_VERSION = 1
ENV_CONFIG = "TOCSIN_CONFIG"
CONFIG_NAME = "tocsin.toml"
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
TEMPERATURE_SOURCES = ("fixed",)

#: version n → function turning a version-n document (dict) into a version n+1 document.
#: Add one entry per format change; ``load_config`` applies them in order.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}


class ConfigError(ValueError):
    """A configuration that cannot be used; ``key`` is the dotted key at fault."""

    def __init__(self, key: str, message: str, *, path: Path | None = None) -> None:
        self.key = key
        self.path = path
        super().__init__(f"{path}: {key}: {message}" if path else f"{key}: {message}")


def user_config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("tocsin", appauthor=False))


def resolve_config_path(cli_path: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """(path of the configuration file, why that one)."""
    if cli_path:
        return Path(cli_path).expanduser().absolute(), "--config"
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser().absolute(), f"${ENV_CONFIG}"
    return user_config_dir() / CONFIG_NAME, "default location"


@dataclass(frozen=True)
class DeploymentConfig:
    path: Path
    path_source: str
    exists: bool
    version: int
    agency_profile: str            # a shipped profile name, or an absolute path
    gis_dir: Path | None
    keys_file: Path
    tls_enabled: bool
    tls_cert: Path | None
    tls_key: Path | None
    listen_host: str
    listen_port: int
    database: Path
    journal: Path
    temperature_source: str
    temperature_c: float
    sources: dict[str, str] = field(default_factory=dict)   # dotted key → where the value came from

    @property
    def listen(self) -> str:
        return f"[{self.listen_host}]:{self.listen_port}" if ":" in self.listen_host else \
            f"{self.listen_host}:{self.listen_port}"

    @property
    def loopback(self) -> bool:
        return self.listen_host in LOOPBACK_HOSTS

    def items(self) -> list[tuple[str, Any, str]]:
        """(dotted key, effective value, source) in the file's order, for ``config show``."""
        vals = {
            "version": self.version, "agency.profile": self.agency_profile, "gis.directory": self.gis_dir,
            "sensors.keys_file": self.keys_file, "feed.listen": self.listen, "feed.journal": self.journal,
            "tls.enabled": self.tls_enabled, "tls.cert": self.tls_cert, "tls.key": self.tls_key,
            "database.path": self.database, "site.temperature_source": self.temperature_source,
            "site.temperature_c": self.temperature_c,
        }
        return [(k, v, self.sources.get(k, "default")) for k, v in vals.items()]

    def unset_for_live(self) -> list[str]:
        """The keys a live console cannot do without that are not set, in this order:
        gis.directory, then tls.cert and tls.key while tls.enabled.  The one rule behind
        ``require_live`` and ``tocsin config check``."""
        needed = {"gis.directory": self.gis_dir}
        if self.tls_enabled:
            needed |= {"tls.cert": self.tls_cert, "tls.key": self.tls_key}
        return [key for key, value in needed.items() if value is None]

    def require_live(self) -> None:
        """Raise ConfigError for the first value a live console cannot do without."""
        unset = self.unset_for_live()
        if unset:
            raise ConfigError(unset[0], _UNSET_FOR_LIVE[unset[0]], path=self.path)


#: what ``require_live`` says about each key of ``unset_for_live``
_UNSET_TLS = "not set while tls.enabled = true (make a pair for a first test with `tocsin feed selfsigned --out DIR`)"
_UNSET_FOR_LIVE = {
    "gis.directory": "not set: name the directory holding the agency's GIS layers (sensors.geojson, streets.geojson, "
                     "addresses.geojson …)",
    "tls.cert": _UNSET_TLS,
    "tls.key": _UNSET_TLS,
}


# ------------------------------------------------------------------ schema
# section → key → (types, description used in errors)
_SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], str]]] = {
    "agency": {"profile": ((str,), "a shipped profile name or a path to a TOML file")},
    "gis": {"directory": ((str,), "a directory path")},
    "sensors": {"keys_file": ((str,), "a file path")},
    "feed": {"listen": ((str,), '"HOST:PORT"'), "journal": ((str,), "a file path")},
    "tls": {"enabled": ((bool,), "true or false"), "cert": ((str,), "a file path"), "key": ((str,), "a file path")},
    "database": {"path": ((str,), "a file path")},
    "site": {"temperature_source": ((str,), '"fixed"'), "temperature_c": ((int, float), "a number (°C)")},
}


def migrate(doc: dict, *, path: Path | None = None) -> tuple[dict, list[int]]:
    """Bring a parsed document to ``CONFIG_VERSION``; (document, versions migrated from)."""
    v = doc.get("version")
    if v is None:
        raise ConfigError("version", f"missing; this Tocsin writes version = {CONFIG_VERSION}", path=path)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError("version", f"must be an integer, got {v!r}", path=path)
    if v > CONFIG_VERSION:
        raise ConfigError("version", f"{v} was written by a newer Tocsin; this one reads up to {CONFIG_VERSION}",
                          path=path)
    if v < 1:
        raise ConfigError("version", f"must be 1 or more, got {v}", path=path)
    applied = []
    while v < CONFIG_VERSION:
        step = MIGRATIONS.get(v)
        if step is None:
            raise ConfigError("version", f"no migration from version {v} to {v + 1}", path=path)
        doc = dict(step(dict(doc)))
        applied.append(v)
        v += 1
        doc["version"] = v
    return doc, applied


def parse_listen(text: str, *, key: str = "feed.listen", path: Path | None = None) -> tuple[str, int]:
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(key, f'expected "HOST:PORT" with a port 0…65535, got {text!r}', path=path)
    return host, int(port)


def load_config(cli_path: str | os.PathLike[str] | None = None, *, missing_ok: bool = True) -> DeploymentConfig:
    """Read and validate the configuration.  A missing file gives the defaults (``exists``
    False) when ``missing_ok``, else a ConfigError."""
    path, why = resolve_config_path(cli_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if not missing_ok:
            raise ConfigError("file", f"no configuration file (from {why}); write one with `tocsin config init`",
                              path=path) from None
        return from_dict({"version": CONFIG_VERSION}, path=path, path_source=why, exists=False)
    except OSError as exc:
        raise ConfigError("file", f"cannot be read: {exc}", path=path) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("file", f"not valid TOML: {exc}", path=path) from None
    return from_dict(doc, path=path, path_source=why, exists=True)


def from_dict(doc: dict, *, path: Path, path_source: str = "--config", exists: bool = True) -> DeploymentConfig:
    doc, _ = migrate(doc, path=path)
    base = path.parent
    here = f"file {path}"
    sources: dict[str, str] = {"version": here if exists else "default"}
    vals: dict[str, Any] = {}
    for section, body in doc.items():
        if section == "version":
            continue
        if section not in _SCHEMA:
            raise ConfigError(section, f"unknown section; known: {', '.join(_SCHEMA)}", path=path)
        if not isinstance(body, dict):
            raise ConfigError(section, "must be a [section] table", path=path)
        for key, value in body.items():
            dotted = f"{section}.{key}"
            spec = _SCHEMA[section].get(key)
            if spec is None:
                raise ConfigError(dotted, f"unknown key; [{section}] takes {', '.join(_SCHEMA[section])}", path=path)
            types, what = spec
            if isinstance(value, bool) and bool not in types or not isinstance(value, types):
                raise ConfigError(dotted, f"must be {what}, got {value!r}", path=path)
            if isinstance(value, str) and not value.strip():
                raise ConfigError(dotted, f"must be {what}, got an empty string (leave the key out for the default)",
                                  path=path)
            vals[dotted] = value
            sources[dotted] = here

    def file_path(key: str) -> Path | None:
        v = vals.get(key)
        if v is None:
            return None
        p = Path(v).expanduser()
        return p if p.is_absolute() else (base / p).resolve()

    from app.store import default_db_path

    profile = vals.get("agency.profile", "default")
    if "/" in profile or "\\" in profile or profile.endswith(".toml"):
        profile = str(file_path("agency.profile"))

    database = file_path("database.path")
    if database is None:
        database = default_db_path()
        sources["database.path"] = "default ($TOCSIN_DB)" if os.environ.get("TOCSIN_DB") else "default"
    journal = file_path("feed.journal")
    if journal is None:
        journal = database.parent / "intake.sqlite3"
        sources["feed.journal"] = "default (next to the database)"
    keys_file = file_path("sensors.keys_file")
    if keys_file is None:
        keys_file = base / "sensor-keys.toml"
        sources["sensors.keys_file"] = "default (next to the configuration)"

    host, port = parse_listen(vals.get("feed.listen", "127.0.0.1:7700"), path=path)
    tls_enabled = vals.get("tls.enabled", True)
    if not tls_enabled and host not in LOOPBACK_HOSTS:
        raise ConfigError("tls.enabled", f"false is allowed only on a loopback listen address (feed.listen is "
                          f"{host}); sensors on a network need TLS", path=path)
    temp_source = vals.get("site.temperature_source", "fixed")
    if temp_source not in TEMPERATURE_SOURCES:
        raise ConfigError("site.temperature_source", f"must be one of {', '.join(TEMPERATURE_SOURCES)} "
                          f"(weather feeds are not supported yet), got {temp_source!r}", path=path)
    temp_c = float(vals.get("site.temperature_c", 15.0))
    if not -50.0 <= temp_c <= 60.0:
        raise ConfigError("site.temperature_c", f"must be between -50 and 60 °C, got {temp_c:g}", path=path)

    return DeploymentConfig(
        path=path, path_source=path_source, exists=exists, version=doc["version"], agency_profile=profile,
        gis_dir=file_path("gis.directory"), keys_file=keys_file, tls_enabled=tls_enabled,
        tls_cert=file_path("tls.cert"), tls_key=file_path("tls.key"), listen_host=host, listen_port=port,
        database=database, journal=journal, temperature_source=temp_source, temperature_c=temp_c, sources=sources)
