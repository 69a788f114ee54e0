"""The audio verdict reaches the incident: pulses with detector features give the engine's
incidents a gunfire probability; decoy-like audio is kept and marked for review, never dropped."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from localization import EngineConfig, Pulse, Sensor, locate_batch
from localization.audio.classify import pulse_logits
from localization.audio.training import simulate_incident
from localization.incidents import audio_verdict
from localization.types import REVIEW_LABELS, Ellipse, Shot

T0 = 1_700_000_000 * 10**9
C_MPS = EngineConfig().c_mps
SENSORS = [Sensor(f"S{i:02d}", float(x), float(y), 8.0)
           for i, (x, y) in enumerate([(-300, -300), (300, -300), (300, 300), (-300, 300), (0, 420), (420, 0)])]


def _pulses(kind: str, seed: int, *, source=(40.0, -60.0), features: bool = True) -> list[Pulse]:
    """Pulses of a synthetic ``kind`` incident at ``source``, every sensor hearing every round,
    carrying the detector features the audio layer measured for that kind (cycled)."""
    sim = simulate_incident(kind, seed)
    feats = [tuple(sorted(f.items())) for f in sim.pulse_features]
    assert feats, "the synthetic incident must have detected pulses"
    out, k = [], 0
    for j, t_s in enumerate(sim.shot_times_s):
        for s in SENSORS:
            d = float(np.hypot(s.x_m - source[0], s.y_m - source[1]))
            t_ns = T0 + int(round((t_s + d / C_MPS) * 1e9))
            out.append(Pulse(s.id, t_ns, snr_db=20.0, id=f"{s.id}:{j}", features=feats[k % len(feats)] if features else ()))
            k += 1
    return out


def test_gunfire_like_audio_stays_gunfire():
    incs = locate_batch(SENSORS, _pulses("gunshot", 2))
    assert len(incs) == 1
    inc = incs[0]
    rounds = len(simulate_incident("gunshot", 2).shot_times_s)
    assert rounds >= 2 and inc.kind == "multiple_gunshots" and inc.rounds == rounds
    assert inc.gunfire_p is not None and inc.gunfire_p >= 0.5
    assert inc.review_label is None
    assert any(n.startswith("audio: gunfire probability") for n in inc.notes)


def test_firecracker_string_is_kept_as_possible_gunfire_marked_probable_fireworks():
    incs = locate_batch(SENSORS, _pulses("firecracker", 2))
    assert incs, "a decoy must never be dropped silently"
    big = max(incs, key=lambda i: i.rounds)
    assert big.rounds >= 8
    assert big.kind == "possible_gunfire"
    assert big.gunfire_p is not None and big.gunfire_p < 0.2
    assert big.review_label == "probable_fireworks"
    assert "review" in big.notes[0]


def test_balloon_pop_is_kept_marked_non_gunfire():
    incs = locate_batch(SENSORS, _pulses("balloon_pop", 1))
    assert len(incs) == 1
    assert incs[0].kind == "possible_gunfire" and incs[0].review_label == "non_gunfire"


def test_without_detector_features_nothing_changes():
    incs = locate_batch(SENSORS, _pulses("firecracker", 2, features=False))
    assert incs and all(i.gunfire_p is None and i.review_label is None and not i.notes for i in incs)
    assert max(incs, key=lambda i: i.rounds).kind == "multiple_gunshots"


def _shots(n: int, gap_s: float) -> tuple[Shot, ...]:
    return tuple(Shot(T0 + int(k * gap_s * 1e9), 0.0, 0.0, 5.0, Ellipse(5.0, 3.0, 0.0), ("A", "B", "C", "D"),
                      (None,) * 4, (0.0,) * 4, 0.1) for k in range(n))


@pytest.mark.parametrize("logit, kind, review", [(4.0, "multiple_gunshots", None),
                                                 (-6.0, "possible_gunfire", "non_gunfire")])
def test_audio_verdict_sets_kind_and_label(logit, kind, review):
    a = audio_verdict("multiple_gunshots", _shots(3, 0.5), np.full(12, logit))
    assert a.kind == kind and a.review_label == review
    assert (a.gunfire_p >= 0.5) == (kind != "possible_gunfire")


def test_audio_verdict_never_upgrades_a_possible_location():
    a = audio_verdict("possible_gunfire", _shots(1, 1.0), np.full(4, 6.0))
    assert a.kind == "possible_gunfire" and a.gunfire_p >= 0.5


def test_a_measured_height_reaches_the_audio_verdict():
    """Shells burst high: the incident's measured source height (the median over the shots
    whose height was measured) is weighed with the audio, lowering the gunfire probability
    of the same pulses heard from ground level."""
    from localization.incidents import IncidentParams, IncidentTracker, measured_height

    low = _shots(3, 2.0)
    high = tuple(dataclasses.replace(s, height_m=h) for s, h in zip(low, (150.0, None, 170.0)))
    assert measured_height(low) is None and measured_height(high) == pytest.approx(160.0)
    logits = np.full(4, 1.0)
    probs = []
    for shots in (low, high):
        tracker = IncidentTracker(IncidentParams())
        for s in shots:
            iid = tracker.add(s, logits)
        probs.append(tracker.snapshot(iid).gunfire_p)
    assert probs[1] < probs[0]
    assert audio_verdict("multiple_gunshots", high, np.full(12, 1.0), height_m=160.0).gunfire_p == pytest.approx(probs[1])


def test_review_labels_and_default_fields():
    assert set(REVIEW_LABELS) == {"probable_fireworks", "non_gunfire"}
    f = {x.name: x.default for x in dataclasses.fields(incident_type())}
    assert f["gunfire_p"] is None and f["review_label"] is None
    assert pulse_logits([]).shape == (0,)


def incident_type():
    from localization.types import Incident

    return Incident
