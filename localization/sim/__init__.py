"""Pulse-level simulator: sensor layouts, scenario truth, propagation and hearing, the
Cramér–Rao bound, and scoring of engine output against the truth.

Typical use::

    from localization.sim import (Conditions, sensor_grid, square_bounds, random_city_events,
                                  simulate_pulses, score)
    area = square_bounds(area_sq_mi=10)
    sensors = sensor_grid(density_per_sq_mi=15, bounds_m=area, seed=1)
    events = random_city_events(profile="new_years_eve", bounds_m=area, seed=2)
    sim = simulate_pulses(sensors=sensors, events=events, conditions=Conditions.realistic(), seed=3)
    # engine told sim.reported_temperature_c; pulses fed in sim.pulses order (delivery order)
    metrics = score(sim, incidents)

Pure numpy: no I/O, no Qt, no logging configuration.
"""
from localization.sim.city import PROFILES, random_city_events
from localization.sim.conditions import Conditions
from localization.sim.crb import MIN_SENSORS_LOCATABLE, crb_position_rms_m
from localization.sim.hearing import (
    DIRECT,
    ECHO,
    LABEL_LATE,
    LABEL_NOISE,
    NLOS,
    NOISE,
    PATH_NAMES,
    SimResult,
    simulate_pulses,
)
from localization.sim.layout import points_in_polygon, polygon_area_m2, sensor_grid, square_bounds
from localization.sim.scenarios import (
    aerial_shells,
    firecracker_string,
    full_auto,
    gunfight,
    mobile_shooter,
    round_string,
    single_round,
)
from localization.sim.scoring import Score, score
from localization.sim.truth import SOURCE_LEVEL_DB, Events, TruthIncident, TruthShot

__all__ = [
    "Conditions", "DIRECT", "ECHO", "Events", "LABEL_LATE", "LABEL_NOISE", "MIN_SENSORS_LOCATABLE", "NLOS",
    "NOISE", "PATH_NAMES", "PROFILES", "SOURCE_LEVEL_DB", "Score", "SimResult", "TruthIncident", "TruthShot",
    "aerial_shells", "crb_position_rms_m", "firecracker_string", "full_auto", "gunfight", "mobile_shooter",
    "points_in_polygon", "polygon_area_m2", "random_city_events", "round_string", "score", "sensor_grid",
    "simulate_pulses", "single_round", "square_bounds",
]
