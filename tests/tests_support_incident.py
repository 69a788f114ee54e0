"""Small hand-made engine ``Incident``s for report and training tests."""
from __future__ import annotations

from localization.types import Ellipse, Incident, Shot


def engine_incident(t_ns: int, *, uid: str = "eng-1", x_m: float = 10.0, y_m: float = 20.0,
                    shooters: tuple[int, ...] = (0, 0, 0), interval_ms: float = 400.0, revision: int = 0) -> Incident:
    """``len(shooters)`` shots ``interval_ms`` apart; shooter index per shot (0-based)."""
    shots = tuple(Shot(t_ns=t_ns + int(i * interval_ms * 1e6), x_m=x_m + 30.0 * s + i, y_m=y_m - i, err95_m=8.0 + i,
                       ellipse=Ellipse(9.0, 6.0, 30.0), sensors=("S01", "S02", "S03", "S04"),
                       pulse_ids=(None,) * 4, residuals_ms=(0.1, -0.2, 0.05, 0.0), rms_ms=0.12)
                  for i, s in enumerate(shooters))
    kind = "multiple_gunshots" if len(shots) > 1 else "single_gunshot"
    return Incident(id=uid, kind=kind, tags=("multiple_shooters",) if max(shooters) > 0 else (), shots=shots,
                    shooter_of_shot=tuple(shooters), x_m=x_m, y_m=y_m, err95_m=12.0, revision=revision)
