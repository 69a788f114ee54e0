"""Tocsin's acoustic source localization engine.

"Localization" here means *acoustic source localization* — finding where a gunshot
was fired from the times GPS-timed sensors heard it — not translation of the user
interface.  The package is pure numpy: it never imports Qt, SQLite or ``app``, does no
I/O and configures no logging, so it can be installed and used on its own.

Data flows ``Pulse`` → ``Shot`` → ``Incident``:

>>> from localization import Engine, EngineConfig, Sensor, Pulse
"""
from localization.types import (
    Ellipse,
    Incident,
    IncidentKind,
    IncidentTag,
    Pulse,
    Sensor,
    Shot,
)
from localization.geometry import LocalFrame
from localization.propagation import speed_of_sound_mps
from localization.engine import Engine, EngineConfig, locate_batch

__all__ = [
    "Ellipse",
    "Engine",
    "EngineConfig",
    "Incident",
    "IncidentKind",
    "IncidentTag",
    "LocalFrame",
    "Pulse",
    "Sensor",
    "Shot",
    "locate_batch",
    "speed_of_sound_mps",
]
