"""Speed of sound in air.

c = 331.3·√(1 + T/273.15) m/s for dry air; humidity adds a little (0.1–0.6 % at
ordinary temperatures), computed here from the ideal-gas mixture of dry air and
water vapour, whose mole fraction follows from relative humidity and the Magnus
saturation vapour pressure.
"""
from __future__ import annotations

import math

DRY_AIR_C0_MPS = 331.3
KELVIN = 273.15


def speed_of_sound_mps(temperature_c: float, humidity_pct: float | None = None) -> float:
    """Speed of sound in m/s at ``temperature_c`` (°C), optionally with relative humidity (%)."""
    if not math.isfinite(temperature_c) or not -80.0 <= temperature_c <= 70.0:
        raise ValueError(f"air temperature must be between -80 and 70 °C, got {temperature_c}")
    c = DRY_AIR_C0_MPS * math.sqrt(1.0 + temperature_c / KELVIN)
    if humidity_pct is None:
        return c
    if not 0.0 <= humidity_pct <= 100.0:
        raise ValueError(f"relative humidity must be between 0 and 100 %, got {humidity_pct}")
    # Mole fraction of water vapour at sea-level pressure (Magnus saturation pressure).
    p_sat_pa = 610.94 * math.exp(17.625 * temperature_c / (temperature_c + 243.04))
    x_w = (humidity_pct / 100.0) * p_sat_pa / 101325.0
    # Ideal-gas mixture: c ∝ √(γ/M); molar heat capacities in J/(mol·K), masses in g/mol.
    cp = (1.0 - x_w) * 29.10 + x_w * 33.58
    cv = (1.0 - x_w) * 20.79 + x_w * 25.27
    molar_mass = (1.0 - x_w) * 28.965 + x_w * 18.015
    gamma_dry = 29.10 / 20.79
    return c * math.sqrt((cp / cv) / gamma_dry * 28.965 / molar_mass)
