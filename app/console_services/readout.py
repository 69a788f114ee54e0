"""The dispatcher's read-out: one sentence ready to say on the radio.

    "Multiple gunshots, 5 rounds, single shooter, in front of 123 Main St,
     near Main St & 4th Ave, 21:14:07 (52 s ago)"

An incident the audio marked for review keeps its alert and says so up front:
"Possible gunfire — probable fireworks, review, 14 rounds, …".
"""
from __future__ import annotations

from datetime import datetime, timezone, tzinfo

from localization.geometry import compass_point
from localization.types import Incident

from app.store import IncidentSummary

KIND_WORDS = {
    "single_gunshot": "Single gunshot",
    "multiple_gunshots": "Multiple gunshots",
    "possible_gunfire": "Possible gunfire",
}
KIND_SHORT = {"single_gunshot": "Single", "multiple_gunshots": "Multiple", "possible_gunfire": "Possible"}
REVIEW_WORDS = {"probable_fireworks": "probable fireworks, review", "non_gunfire": "probably not gunfire, review"}
REVIEW_SHORT = {"probable_fireworks": "fireworks?", "non_gunfire": "not gunfire?"}
TAG_WORDS = {
    "multiple_shooters": "multiple shooters",
    "mobile_shooter": "mobile",
    "full_auto": "full-auto",
    "high_capacity": "high capacity",
}


def kind_words(incident: Incident | IncidentSummary) -> str:
    """"Multiple gunshots", or "Possible gunfire — probable fireworks, review" when the audio
    marked the incident for review."""
    words = KIND_WORDS.get(incident.kind, incident.kind)
    label = getattr(incident, "review_label", None)
    return f"{words} — {REVIEW_WORDS.get(label, label)}" if label else words


def kind_short(incident: Incident | IncidentSummary) -> str:
    """The queue's Type cell: "Multiple", "Possible · fireworks?"."""
    short = KIND_SHORT.get(incident.kind, incident.kind)
    label = getattr(incident, "review_label", None)
    return f"{short} · {REVIEW_SHORT.get(label, label)}" if label else short


def format_age(seconds: float) -> str:
    """Live age as a dispatcher reads it: "52 s", "2 m 13 s", "1 h 04 m"."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} m {s % 60:02d} s"
    if s < 86400:
        return f"{s // 3600} h {(s % 3600) // 60:02d} m"
    return f"{s // 86400} d {(s % 86400) // 3600:02d} h"


def clock_time(t_ns: int, tz: tzinfo | None = None) -> str:
    """HH:MM:SS in the console's time zone (local time unless one is given)."""
    dt = datetime.fromtimestamp(t_ns / 1e9, tz=timezone.utc).astimezone(tz)
    return dt.strftime("%H:%M:%S")


def movement_words(incident: Incident) -> str | None:
    """"moving NE at 12 m/s (27 mph)" for a mobile shooter, else None."""
    if incident.speed_mps is None or incident.heading_deg is None or "mobile_shooter" not in incident.tags:
        return None
    mph = incident.speed_mps * 2.236936
    return f"moving {compass_point(incident.heading_deg)} at {incident.speed_mps:.0f} m/s ({mph:.0f} mph)"


def tag_words(incident: Incident | IncidentSummary) -> str:
    """Short tag list for the queue: "multiple shooters · mobile NE 12 m/s · full-auto"."""
    parts = []
    for tag in incident.tags:
        if tag == "mobile_shooter" and incident.heading_deg is not None and incident.speed_mps is not None:
            parts.append(f"mobile {compass_point(incident.heading_deg)} {incident.speed_mps:.0f} m/s")
        else:
            parts.append(TAG_WORDS.get(tag, tag))
    return " · ".join(parts)


def readout(
    incident: Incident,
    *,
    location_words: str,
    near_words: str | None,
    reported_ns: int,
    now_ns: int,
    tz: tzinfo | None = None,
) -> str:
    """The one-line radio read-out for an incident."""
    parts = [kind_words(incident)]
    n = incident.rounds
    parts.append(f"{n} round" + ("" if n == 1 else "s"))
    shooters = incident.shooters
    parts.append("single shooter" if shooters <= 1 else f"{shooters} shooters")
    move = movement_words(incident)
    if move:
        parts.append(move)
    parts.append(location_words)
    if near_words:
        parts.append(near_words if near_words.startswith("near") else f"near {near_words}")
    parts.append(f"{clock_time(reported_ns, tz)} ({format_age((now_ns - reported_ns) / 1e9)} ago)")
    return ", ".join(parts)
