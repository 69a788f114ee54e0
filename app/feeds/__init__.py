"""Live feeds: where pulses, audio and sensor health come from.

Qt-free.  Two feeds behind one interface (:class:`~app.feeds.feed.Feed`):
the live simulator (``simulator.py``) and the authenticated sensor socket
(``server.py``, protocol in ``docs/protocol.md``).
"""
from __future__ import annotations

from app.feeds.events import AudioClip, HealthReport, OperationalAlert, SensorStatus
from app.feeds.feed import AlertEvent, AudioEvent, EventQueue, Feed, FeedEvent, FeedListener, PulsesEvent, StatusEvent
from app.feeds.health import HealthMonitor, HealthPolicy
from app.feeds.sink import Intake, MemorySink, PulseSink

__all__ = [
    "AlertEvent", "AudioClip", "AudioEvent", "EventQueue", "Feed", "FeedEvent", "FeedListener", "HealthMonitor",
    "HealthPolicy", "HealthReport", "Intake", "MemorySink", "OperationalAlert", "PulseSink", "PulsesEvent",
    "SensorStatus", "StatusEvent",
]
