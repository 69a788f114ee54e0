"""What each role may see and do — the one table the workflow enforces and the console shows.

    can("dispatcher", "acknowledge")                 → True
    can("trainer", "acknowledge")                    → False (live incidents)
    can("trainer", "acknowledge", exercise=True)     → True  (training / exercise incidents)

``Workflow`` and ``CitizenCalls`` take their allowed roles from here, so a button the
console enables is exactly an action the service will accept.
"""
from __future__ import annotations

from app.store.schema import ROLES

#: permission → roles that hold it on live incidents
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "acknowledge": ("dispatcher", "supervisor"),
    "cad_entry": ("dispatcher", "supervisor"),
    "on_scene": ("dispatcher", "supervisor"),
    "disposition": ("dispatcher", "supervisor"),
    "citizen_call": ("dispatcher", "supervisor"),
    "supervisor_confirm": ("supervisor",),
    "play_audio": ("dispatcher", "supervisor", "analyst", "trainer", "admin"),
    "view_supervisor": ("supervisor", "admin"),
    "view_sensors": ("supervisor", "analyst", "trainer", "admin"),
    "sensor_health": ("supervisor", "admin"),      # the Sensors dock: status, last heard, operational alerts
    "training": ("trainer", "admin"),
    "program_report": ("analyst", "supervisor", "admin"),
}
#: permissions trainers also hold on exercise (training) incidents
EXERCISE_PERMISSIONS: frozenset[str] = frozenset(
    {"acknowledge", "cad_entry", "on_scene", "disposition", "citizen_call", "supervisor_confirm"})
EXERCISE_ROLES: tuple[str, ...] = ("trainer",)


def roles_for(permission: str, *, exercise: bool = False) -> tuple[str, ...]:
    """Roles that hold ``permission`` (on an exercise incident when ``exercise``)."""
    try:
        roles = PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"unknown permission {permission!r}; known: {', '.join(PERMISSIONS)}") from None
    if exercise and permission in EXERCISE_PERMISSIONS:
        roles = roles + tuple(r for r in EXERCISE_ROLES if r not in roles)
    return roles


def can(role: str, permission: str, *, exercise: bool = False) -> bool:
    return role in roles_for(permission, exercise=exercise)


def permissions_of(role: str, *, exercise: bool = False) -> frozenset[str]:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return frozenset(p for p in PERMISSIONS if can(role, p, exercise=exercise))
