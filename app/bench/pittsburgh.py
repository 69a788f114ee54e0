"""Reader for the Pittsburgh live-fire test data (ShotSpotter TN-098, CC BY 4.0).

Each test folder has ``*.allpulses.json`` (every pulse the sensors reported, local xyz
metres, UTC arrival times at 1 ms resolution), ``*.survey.json`` (firing position,
±2.5 m, number of rounds) and ``*.weather.json`` (METAR temperature and wind).
Firing positions FP7–FP9 are the holdout: never tune on them.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from localization.types import Pulse, Sensor

from app.timeutil import parse_utc_ns

DEV_POSITIONS = ("FP1", "FP2", "FP3", "FP4", "FP5", "FP6")
HOLDOUT_POSITIONS = ("FP7", "FP8", "FP9")
DATASET = Path("pittsburgh-live-fire") / "data" / "PittsburghPA_DQV_2018-12-18"


@dataclass(frozen=True, slots=True)
class LiveFireTest:
    name: str
    position: str
    rounds: int
    firearm: str
    survey_xyz: tuple[float, float, float]
    temperature_c: float
    wind_speed_mps: float
    wind_from_deg: float
    sensors: tuple[Sensor, ...]
    pulses: tuple[Pulse, ...]
    folder: Path

    @property
    def wind_vector_mps(self) -> tuple[float, float]:
        """Wind as an (east, north) velocity; METAR gives the direction it blows *from*."""
        to = math.radians(self.wind_from_deg + 180.0)
        return (self.wind_speed_mps * math.sin(to), self.wind_speed_mps * math.cos(to))


def dataset_dir(shared_data: Path) -> Path:
    return Path(shared_data) / DATASET


def load_test(folder: Path) -> LiveFireTest:
    folder = Path(folder)
    name = folder.name
    survey = json.loads((folder / f"{name}.survey.json").read_text())
    weather = json.loads((folder / f"{name}.weather.json").read_text())
    raw = json.loads((folder / f"{name}.allpulses.json").read_text())
    sensors: dict[str, Sensor] = {}
    pulses = []
    for p in raw:
        sid = p["serial_number"]
        loc = p["location"]
        sensors.setdefault(sid, Sensor(sid, float(loc["x"]), float(loc["y"]), float(loc["z"])))
        pulses.append(Pulse(sensor=sid, t_ns=parse_utc_ns(p["arrival_time_utc"]), snr_db=p.get("signal_to_noise_dB"),
                            peak_db=p.get("power_dB_SPL"), id=p["pulse_uuid"]))
    loc = survey["survey_location"]
    return LiveFireTest(
        name=name,
        position=survey["firing_position"],
        rounds=int(survey["num_rounds"]),
        firearm=survey["firearm"],
        survey_xyz=(float(loc["x"]), float(loc["y"]), float(loc["z"])),
        temperature_c=float(weather["temperature"]),
        wind_speed_mps=float(weather.get("speed") or 0.0),
        wind_from_deg=float(weather.get("direction") or 0.0),
        sensors=tuple(sensors.values()),
        pulses=tuple(pulses),
        folder=folder,
    )


def iter_tests(shared_data: Path, positions: tuple[str, ...] = DEV_POSITIONS + HOLDOUT_POSITIONS):
    root = dataset_dir(shared_data)
    if not root.is_dir():
        raise FileNotFoundError(f"Pittsburgh live-fire data not found at {root}")
    for fp in positions:
        for folder in sorted((root / fp).iterdir()):
            if folder.is_dir():
                yield load_test(folder)
