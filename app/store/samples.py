"""Small, valid engine values for tests, trainers and demos (no randomness unless seeded)."""
from __future__ import annotations

from localization.geometry import LocalFrame
from localization.types import Ellipse, Incident, Shot

T0_NS = 1_700_000_000 * 1_000_000_000
FRAME = LocalFrame(29.5, -140.5)
"""A site frame (open ocean, far from any real deployment) for storing sample values."""


def sample_incident(uid: str = "E1", *, revision: int = 0, rounds: int = 2, x_m: float = 100.0, y_m: float = 50.0,
                    t0_ns: int = T0_NS, err95_m: float = 8.0, kind: str | None = None) -> Incident:
    shots = tuple(
        Shot(t_ns=t0_ns + k * 560_000_000, x_m=x_m + k * 0.5, y_m=y_m, err95_m=err95_m,
             ellipse=Ellipse(err95_m, err95_m / 2, 30.0), sensors=("PT-01", "PT-02", "PT-03", "PT-04"),
             pulse_ids=(None, None, None, None), residuals_ms=(0.1, -0.2, 0.05, 0.0), rms_ms=0.12)
        for k in range(rounds))
    return Incident(id=uid, kind=kind or ("single_gunshot" if rounds == 1 else "multiple_gunshots"), tags=(),
                    shots=shots, shooter_of_shot=(0,) * rounds, x_m=x_m, y_m=y_m, err95_m=err95_m, revision=revision)
