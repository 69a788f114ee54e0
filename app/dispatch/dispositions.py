"""The dispositions a dispatcher picks from, in words, and what each records.

``Workflow.close`` takes the disposition as data (``founded`` + evidence, ``unfounded``,
``other_source`` + source); a console offers these choices so that the words on the
button are exactly what is recorded — a founded choice names its evidence.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.store.errors import ValidationError


@dataclass(frozen=True, slots=True)
class DispositionChoice:
    label: str
    disposition: str
    evidence: tuple[str, ...] = ()
    other_source: str | None = None


CHOICES: tuple[DispositionChoice, ...] = (
    DispositionChoice("Founded – casings found", "founded", ("casings",)),
    DispositionChoice("Founded – victim", "founded", ("victim",)),
    DispositionChoice("Founded – property damage", "founded", ("property_damage",)),
    DispositionChoice("Founded – witness", "founded", ("witness",)),
    DispositionChoice("Unfounded – nothing found", "unfounded"),
    DispositionChoice("Unfounded – fireworks", "other_source", other_source="fireworks"),
    DispositionChoice("Unfounded – vehicle backfire", "other_source", other_source="backfire"),
    DispositionChoice("Unfounded – construction", "other_source", other_source="construction"),
    DispositionChoice("Unfounded – helicopter", "other_source", other_source="helicopter"),
    DispositionChoice("Unfounded – other source", "other_source", other_source="other"),
)
LABELS: tuple[str, ...] = tuple(c.label for c in CHOICES)


def choice(label: str) -> DispositionChoice:
    for c in CHOICES:
        if c.label == label:
            return c
    raise ValidationError(f"unknown disposition {label!r}; choose one of: {'; '.join(LABELS)}")


def label_for(disposition: str | None, evidence: str | tuple[str, ...] = (), other_source: str | None = None) -> str | None:
    """Words for a recorded disposition (``evidence`` as stored: comma-separated or a tuple)."""
    if disposition is None:
        return None
    ev = tuple(e for e in evidence.split(",") if e) if isinstance(evidence, str) else tuple(evidence)
    for c in CHOICES:
        if (c.disposition, c.evidence, c.other_source) == (disposition, ev, other_source or None):
            return c.label
    if disposition == "founded":
        return "Founded – " + ", ".join(e.replace("_", " ") for e in ev) if ev else "Founded"
    if disposition == "other_source":
        for c in CHOICES:
            if c.other_source == other_source:
                return c.label
        return f"Unfounded – {other_source or 'other source'}"
    return "Unfounded – nothing found"
