"""What the console needs from an agency profile.

The TOML agency profiles are owned by ``app/geo``; ``from_any`` adapts whatever object
that module returns (attribute or mapping access) so widgets only ever see this type.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ConsoleProfile:
    name: str = "Port Tocsin Emergency Communications"
    short_name: str = "PTEC"
    cad_type_code: str = "SHOTS"
    cad_priority: int = 1
    ack_timeout_s: float = 60.0
    monitors_required: int = 2
    tile_url: str | None = None
    units: tuple[str, ...] = ("1A12", "1A14", "1A21", "2B03", "2B07", "K9-4", "SGT-2", "MEDIC-7")
    dispositions: tuple[str, ...] = (
        "Founded – shooting",
        "Founded – shots fired, no victim",
        "Unfounded – fireworks",
        "Unfounded – vehicle backfire",
        "Unfounded – construction",
        "Unfounded – nothing found",
        "Cancelled by supervisor",
    )
    timezone: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def from_any(obj: Any) -> ConsoleProfile:
    """Build a ConsoleProfile from an ``app.geo`` profile object or a plain dict; missing
    fields keep the defaults above."""
    if obj is None:
        return ConsoleProfile()
    if isinstance(obj, ConsoleProfile):
        return obj
    d = ConsoleProfile()
    cad = _get(obj, "cad", default={}) or {}
    return ConsoleProfile(
        name=str(_get(obj, "name", "agency_name", default=d.name)),
        short_name=str(_get(obj, "short_name", "code", default=d.short_name)),
        cad_type_code=str(_get(obj, "cad_type_code", default=_get(cad, "type_code", default=d.cad_type_code))),
        cad_priority=int(_get(obj, "cad_priority", default=_get(cad, "priority", default=d.cad_priority))),
        ack_timeout_s=float(_get(obj, "ack_timeout_s", "acknowledge_timeout_s", default=d.ack_timeout_s)),
        monitors_required=int(_get(obj, "monitors_required", default=d.monitors_required)),
        tile_url=_get(obj, "tile_url", default=None),
        units=tuple(_get(obj, "units", default=d.units) or d.units),
        dispositions=tuple(_get(obj, "dispositions", default=d.dispositions) or d.dispositions),
        timezone=_get(obj, "timezone", default=None),
    )
