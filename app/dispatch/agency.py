"""Agency profiles: one TOML file per agency holding its dispatch policy.

Profiles are validated strictly — an unknown key, a wrong type or an out-of-range
value is an ``AgencyProfileError`` naming the file, the key and the rule, because a
silently ignored typo in ``supervisor_confirmation_required`` is a policy violation.
The shipped examples live in ``resources/agencies/``; ``default.toml`` documents every
key.  ``format_version`` lets later releases migrate old profiles.
"""
from __future__ import annotations

from app.paths import RESOURCES

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.store.errors import ValidationError
from app.store.schema import ROLES

AGENCIES_DIR = RESOURCES / "agencies"
FORMAT_VERSION = 1
TEMPERATURE_SOURCES = ("metar", "sensor", "fixed")


class AgencyProfileError(ValidationError):
    """A profile that does not load; the message names file, key and rule."""


@dataclass(frozen=True, slots=True)
class AgencyProfile:
    id: str
    name: str
    timezone: str
    type_code: str
    priority: int
    type_description: str
    ack_timeout_s: float
    escalate_to: str
    supervisor_confirmation_required: bool
    min_monitors: int
    retention_years: float
    release_roles: tuple[str, ...]
    release_title: str
    units: tuple[str, ...]
    coverage: tuple[tuple[float, float], ...]  # (lon, lat) ring, may be empty
    temperature_source: str
    temperature_station: str | None
    temperature_fixed_c: float | None
    duplicate_radius_m: float
    duplicate_window_s: float
    missed_report_due_h: float
    source: str = field(default="", compare=False)


_SPEC: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    # section: {key: (type, required)}
    "agency": {"id": (str, True), "name": (str, True), "timezone": (str, False)},
    "cad": {"type_code": (str, True), "priority": (int, True), "description": (str, False)},
    "acknowledgment": {"timeout_s": ((int, float), True), "escalate_to": (str, False),
                       "supervisor_confirmation_required": (bool, True)},
    "staffing": {"min_monitors": (int, True)},
    "retention": {"years": ((int, float), True)},
    "release": {"authorizing_roles": (list, True), "authorizing_title": (str, False)},
    "units": {"roster": (list, False)},
    "coverage": {"polygon": (list, False), "file": (str, False)},
    "temperature": {"source": (str, True), "station": (str, False), "fixed_c": ((int, float), False)},
    "citizen_calls": {"duplicate_radius_m": ((int, float), False), "duplicate_window_s": ((int, float), False)},
    "missed_reports": {"due_hours": ((int, float), False)},
}
_REQUIRED_SECTIONS = ("agency", "cad", "acknowledgment", "staffing", "retention", "release", "temperature")


def _type_name(t) -> str:
    if isinstance(t, tuple):
        return "a number"
    return {str: "a string", int: "an integer", bool: "true or false", list: "a list"}[t]


def parse_agency(data: dict[str, Any], *, source: str = "<profile>", base_dir: Path | None = None) -> AgencyProfile:
    def fail(msg: str) -> AgencyProfileError:
        return AgencyProfileError(f"{source}: {msg}")

    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise fail(f"format_version must be {FORMAT_VERSION}, got {version!r}")
    for section in data:
        if section == "format_version":
            continue
        if section not in _SPEC:
            raise fail(f"unknown section [{section}]; known sections: {', '.join(_SPEC)}")
        if not isinstance(data[section], dict):
            raise fail(f"[{section}] must be a table")
    for section in _REQUIRED_SECTIONS:
        if section not in data:
            raise fail(f"missing section [{section}]")
    for section, keys in _SPEC.items():
        table = data.get(section, {})
        for key in table:
            if key not in keys:
                raise fail(f"unknown key [{section}].{key}; known keys: {', '.join(keys)}")
        for key, (typ, required) in keys.items():
            if key not in table:
                if required:
                    raise fail(f"missing key [{section}].{key}")
                continue
            value = table[key]
            if isinstance(value, bool) and typ is not bool and typ != (bool,):
                raise fail(f"[{section}].{key} must be {_type_name(typ)}, got {value!r}")
            if not isinstance(value, typ):
                raise fail(f"[{section}].{key} must be {_type_name(typ)}, got {value!r}")

    def get(section: str, key: str, default=None):
        return data.get(section, {}).get(key, default)

    agency_id = get("agency", "id").strip()
    if not agency_id or not all(c.isalnum() or c in "-_" for c in agency_id):
        raise fail(f"[agency].id must be letters, digits, '-' or '_', got {agency_id!r}")
    tz = get("agency", "timezone", "UTC")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except Exception:
        raise fail(f"[agency].timezone {tz!r} is not a known IANA time zone") from None
    code = get("cad", "type_code").strip()
    if not code or len(code) > 16 or not all(c.isalnum() or c in "-_/" for c in code):
        raise fail(f"[cad].type_code must be 1–16 letters or digits, got {code!r}")
    priority = get("cad", "priority")
    if not 1 <= priority <= 9:
        raise fail(f"[cad].priority must be between 1 (highest) and 9, got {priority}")
    timeout = float(get("acknowledgment", "timeout_s"))
    if not 5 <= timeout <= 3600:
        raise fail(f"[acknowledgment].timeout_s must be between 5 and 3600 seconds, got {timeout:g}")
    escalate_to = get("acknowledgment", "escalate_to", "supervisor")
    if escalate_to not in ROLES:
        raise fail(f"[acknowledgment].escalate_to must be one of {', '.join(ROLES)}, got {escalate_to!r}")
    monitors = get("staffing", "min_monitors")
    if not 0 <= monitors <= 20:
        raise fail(f"[staffing].min_monitors must be between 0 and 20, got {monitors}")
    years = float(get("retention", "years"))
    if not 1 <= years <= 100:
        raise fail(f"[retention].years must be between 1 and 100, got {years:g}")
    roles = get("release", "authorizing_roles")
    if not roles or any(r not in ROLES for r in roles):
        raise fail(f"[release].authorizing_roles must be a non-empty list of roles from {', '.join(ROLES)}, got {roles!r}")
    roster = get("units", "roster", [])
    if any(not isinstance(u, str) or not u.strip() for u in roster):
        raise fail("[units].roster must be a list of non-empty unit names")
    if len(set(roster)) != len(roster):
        raise fail("[units].roster lists a unit twice")
    coverage = _coverage(get("coverage", "polygon", []), get("coverage", "file", ""), base_dir, fail)
    temp_source = get("temperature", "source")
    if temp_source not in TEMPERATURE_SOURCES:
        raise fail(f"[temperature].source must be one of {', '.join(TEMPERATURE_SOURCES)}, got {temp_source!r}")
    station = get("temperature", "station")
    fixed_c = get("temperature", "fixed_c")
    if temp_source == "metar" and not station:
        raise fail("[temperature].station (a METAR station id such as 'KSAC') is required when source = \"metar\"")
    if temp_source == "fixed" and fixed_c is None:
        raise fail("[temperature].fixed_c is required when source = \"fixed\"")
    if fixed_c is not None and not -60 <= fixed_c <= 60:
        raise fail(f"[temperature].fixed_c must be between -60 and 60 °C, got {fixed_c}")
    radius = float(get("citizen_calls", "duplicate_radius_m", 400))
    window = float(get("citizen_calls", "duplicate_window_s", 900))
    if radius <= 0 or window <= 0:
        raise fail("[citizen_calls] duplicate_radius_m and duplicate_window_s must be positive")
    due_h = float(get("missed_reports", "due_hours", 24))
    if not 0 < due_h <= 168:
        raise fail(f"[missed_reports].due_hours must be between 0 and 168, got {due_h:g}")
    return AgencyProfile(
        id=agency_id, name=get("agency", "name"), timezone=tz, type_code=code, priority=priority,
        type_description=get("cad", "description", ""), ack_timeout_s=timeout, escalate_to=escalate_to,
        supervisor_confirmation_required=get("acknowledgment", "supervisor_confirmation_required"),
        min_monitors=monitors, retention_years=years, release_roles=tuple(roles),
        release_title=get("release", "authorizing_title", ""), units=tuple(u.strip() for u in roster),
        coverage=coverage, temperature_source=temp_source, temperature_station=station,
        temperature_fixed_c=None if fixed_c is None else float(fixed_c), duplicate_radius_m=radius,
        duplicate_window_s=window, missed_report_due_h=due_h, source=source,
    )


def _coverage(polygon: list, file: str, base_dir: Path | None, fail) -> tuple[tuple[float, float], ...]:
    if polygon and file:
        raise fail("[coverage] give either polygon or file, not both")
    if file:
        p = Path(file)
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        try:
            gj = json.loads(p.read_text())
        except (OSError, ValueError) as exc:
            raise fail(f"[coverage].file {file!r} could not be read as GeoJSON: {exc}") from None
        feats = gj.get("features", [gj]) if isinstance(gj, dict) else []
        geoms = [f.get("geometry", f) for f in feats]
        polys = [g for g in geoms if isinstance(g, dict) and g.get("type") == "Polygon"]
        if not polys:
            raise fail(f"[coverage].file {file!r} holds no Polygon")
        polygon = polys[0]["coordinates"][0]
    if not polygon:
        return ()
    try:
        ring = tuple((float(p[0]), float(p[1])) for p in polygon)
    except (TypeError, ValueError, IndexError):
        raise fail("[coverage].polygon must be a list of [longitude, latitude] pairs") from None
    if len(ring) < 3:
        raise fail("[coverage].polygon needs at least 3 points")
    if any(not (-180 <= lon <= 180 and -90 <= lat <= 90) for lon, lat in ring):
        raise fail("[coverage].polygon has a point outside longitude ±180 / latitude ±90 (order is [lon, lat])")
    return ring


def load_agency(path_or_name: str | Path) -> AgencyProfile:
    """Load a profile from a path, or a shipped one by name (``"sacramento"``)."""
    p = Path(path_or_name)
    if p.suffix != ".toml" and not p.exists():
        p = AGENCIES_DIR / f"{path_or_name}.toml"
        if not p.exists():
            raise AgencyProfileError(f"no agency profile {path_or_name!r}; shipped profiles: {', '.join(shipped_agencies())}")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AgencyProfileError(f"agency profile {p} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise AgencyProfileError(f"{p}: not valid TOML: {exc}") from None
    return parse_agency(data, source=str(p), base_dir=p.parent)


def shipped_agencies() -> list[str]:
    return sorted(p.stem for p in AGENCIES_DIR.glob("*.toml"))


def default_agency() -> AgencyProfile:
    return load_agency(AGENCIES_DIR / "default.toml")
