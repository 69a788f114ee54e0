"""Audio signal processing (pure numpy): synthesis of sensor recordings, impulse onset
detection with shape features, and gunfire classification.

>>> from localization.audio import Synthesizer, gunfire, detect_impulses, classify_incident
"""
from localization.audio.classify import (
    GUNFIRE_THRESHOLD, POSSIBLE_THRESHOLD, GunfireModel, Verdict, classify_incident, default_model,
    pulse_gunfire_probability,
)
from localization.audio.features import FEATURE_NAMES
from localization.audio.onset import Detection, detect_impulses
from localization.audio.sources import DECOY_KINDS, SOURCE_KINDS, WEAPONS, SourceEvent, decoy, gunfire
from localization.audio.synthesis import Arrival, SensorAudio, Synthesizer, synthesize

__all__ = [
    "Arrival", "DECOY_KINDS", "Detection", "FEATURE_NAMES", "GUNFIRE_THRESHOLD", "GunfireModel",
    "POSSIBLE_THRESHOLD", "SOURCE_KINDS", "SensorAudio", "SourceEvent", "Synthesizer", "Verdict", "WEAPONS",
    "classify_incident", "decoy", "default_model", "detect_impulses", "gunfire", "pulse_gunfire_probability",
    "synthesize",
]
