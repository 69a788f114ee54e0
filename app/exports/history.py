"""Import incident history exported by another vendor (CSV + a column mapping).

Built-in mappings cover the public exports in ``../shared/data/incidents`` (Washington
DC, San Francisco, Springfield MA, Cambridge MA) and Tocsin's own CSV export; any other
layout is described by a TOML mapping file (see ``mapping_from_dict`` for the keys).
Every row is either imported or rejected with a reason — never silently dropped.
"""
from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

from app.store import Store
from app.store.clock import NS_PER_S
from app.store.errors import ValidationError
from app.store.records import ImportedIncident

_KIND_WORDS = {
    "singlegunshot": "single_gunshot", "sg": "single_gunshot", "single": "single_gunshot",
    "multiplegunshots": "multiple_gunshots", "mg": "multiple_gunshots", "multiple": "multiple_gunshots",
    "possiblegunfire": "possible_gunfire", "pg": "possible_gunfire", "possible": "possible_gunfire",
}


@dataclass(frozen=True)
class ColumnMapping:
    name: str
    timezone: str
    formats: tuple[str, ...]                # strptime formats for "<date> <time>" (or the datetime column)
    id: str | None = None
    datetime: str | None = None
    date: str | None = None
    time: str | None = None
    time_is_range: bool = False             # "3:00AM - 4:00AM": the start is used
    lat: str | None = None
    lon: str | None = None
    latlon: str | None = None               # one column "(lat, lon)"
    kind: str | None = None
    kind_map: dict = field(default_factory=dict)   # normalized value → kind (adds to the built-in words)
    default_kind: str | None = None         # when the kind column is absent/empty and rounds do not tell
    rounds: str | None = None
    address: str | None = None
    disposition: str | None = None          # a column holding founded / unfounded / other_source
    evidence: dict = field(default_factory=dict)   # evidence name → numeric column (> 0 means present)
    extra: tuple[str, ...] = ()


BUILTIN: dict[str, ColumnMapping] = {
    "washington_dc": ColumnMapping(
        name="washington_dc", timezone="America/New_York", formats=("%m/%d/%y %H:%M",), id="Incident ID",
        datetime="Date Time", lat="Latitude-100meter", lon="Longitude-100meter", kind="Type",
        extra=("Coverage Area",)),
    "san_francisco": ColumnMapping(
        name="san_francisco", timezone="America/Los_Angeles", formats=("%d-%b-%y %H:%M:%S",), id="ID",
        date="Date", time="Time", lat="Latitude", lon="Longitude", kind="Type", rounds="Rnds",
        address="returned address", extra=("Beat", "DISPO")),
    "springfield_ma": ColumnMapping(
        name="springfield_ma", timezone="America/New_York", formats=("%m/%d/%Y %I:%M%p",), date="Date",
        time="Time Range", time_is_range=True, lat="Latitude", lon="Longitude", kind="Incident Type"),
    "cambridge_ma": ColumnMapping(
        name="cambridge_ma", timezone="America/New_York", formats=("%Y-%m-%d %I:%M %p",), id="index", date="date",
        time="time", latlon="LAT_LON_arcgis", address="location", default_kind="possible_gunfire",
        rounds="shell_casings", evidence={"casings": "shell_casings", "victim": "injuries"},
        extra=("shotspotter_alert", "arrests", "additional_details")),
    "tocsin": ColumnMapping(
        name="tocsin", timezone="UTC", formats=("%Y-%m-%dT%H:%M:%S%z",), id="uid", datetime="start", lat="lat",
        lon="lon", kind="kind", rounds="rounds", address="address", disposition="disposition"),
}
# Which built-in fits which file name (used when --mapping is not given).
GUESS = {"washington_dc": "washington_dc", "san_francisco": "san_francisco", "springfield": "springfield_ma",
         "cambridge": "cambridge_ma"}


def mapping_from_dict(d: dict) -> ColumnMapping:
    m = d.get("mapping", d)
    known = set(ColumnMapping.__dataclass_fields__)
    unknown = set(m) - known
    if unknown:
        raise ValidationError(f"unknown mapping key(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    for req in ("name", "timezone", "formats"):
        if req not in m:
            raise ValidationError(f"mapping needs {req!r}")
    m = dict(m)
    m["formats"] = tuple(m["formats"])
    m["extra"] = tuple(m.get("extra", ()))
    if not (m.get("datetime") or m.get("date")):
        raise ValidationError("mapping needs a 'datetime' column or 'date' (+ 'time') columns")
    if not (m.get("latlon") or (m.get("lat") and m.get("lon"))):
        raise ValidationError("mapping needs 'lat' and 'lon' columns or a 'latlon' column")
    return ColumnMapping(**m)


def load_mapping(name_or_path: str) -> ColumnMapping:
    if name_or_path in BUILTIN:
        return BUILTIN[name_or_path]
    p = Path(name_or_path)
    if not p.is_file():
        raise ValidationError(f"no mapping {name_or_path!r}: give a TOML file or one of {', '.join(BUILTIN)}")
    try:
        return mapping_from_dict(tomllib.loads(p.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{p}: not valid TOML: {exc}") from None


def guess_mapping(path: Path) -> ColumnMapping | None:
    stem = path.name.lower()
    for key, name in GUESS.items():
        if key in stem:
            return BUILTIN[name]
    return None


@dataclass
class ImportReport:
    rows: int = 0
    parsed: int = 0
    inserted: int = 0
    skipped_existing: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        s = (f"{self.rows} rows: {self.inserted} imported, {self.skipped_existing} already present, "
             f"{len(self.rejected)} rejected")
        if self.rejected:
            s += "; first: " + "; ".join(f"row {n}: {why}" for n, why in self.rejected[:3])
        return s


def _num(v: str | None) -> float | None:
    """A number as clerks type it: stray quotes, spaces and dots dropped, a lone decimal
    comma read as a point ("42,116" → 42.116, "42.108 ." → 42.108)."""
    v = re.sub(r"[^0-9.,+-]", "", v or "").strip(".,")
    if not v:
        return None
    if "," in v and "." not in v and v.count(",") == 1:
        v = v.replace(",", ".")
    try:
        return float(v)
    except ValueError:
        raise ValueError(f"{v!r} is not a number") from None


def _kind(m: ColumnMapping, raw: str | None, rounds: int | None) -> str:
    key = re.sub(r"[^a-z]", "", (raw or "").lower())
    if key:
        local = {re.sub(r"[^a-z]", "", k.lower()): v for k, v in m.kind_map.items()}
        kind = local.get(key) or _KIND_WORDS.get(key)
        if kind is None:
            raise ValueError(f"unknown incident type {raw!r}")
        return kind
    if rounds is not None and rounds >= 1:
        return "single_gunshot" if rounds == 1 else "multiple_gunshots"
    if m.default_kind:
        return m.default_kind
    raise ValueError("no incident type and no round count")


def parse_rows(path: Path, m: ColumnMapping, report: ImportReport) -> Iterator[ImportedIncident]:
    tz = ZoneInfo(m.timezone)
    seen: set[str] = set()
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        needed = [c for c in (m.id, m.datetime, m.date, m.time, m.lat, m.lon, m.latlon, m.kind, m.rounds, m.address,
                              m.disposition, *m.evidence.values(), *m.extra) if c]
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationError(f"{path.name}: column(s) {', '.join(map(repr, missing))} not found "
                                  f"(mapping {m.name!r}); columns are {reader.fieldnames}")
        for n, row in enumerate(reader, start=1):
            report.rows += 1
            try:
                rec = _parse_row(m, row, n, tz)
            except (ValueError, KeyError) as exc:
                report.rejected.append((n, str(exc)))
                continue
            if rec.uid in seen:  # a vendor id repeated in one file: keep both rows
                rec = replace(rec, uid=f"{rec.uid}#row{n}")
            seen.add(rec.uid)
            report.parsed += 1
            yield rec


def _parse_row(m: ColumnMapping, row: dict, n: int, tz: ZoneInfo) -> ImportedIncident:
    if m.datetime:
        text = row[m.datetime].strip()
    else:
        t = (row[m.time] or "").strip() if m.time else "00:00"
        if m.time_is_range:
            t = re.split(r"\s*-\s*", t)[0]
        text = f"{row[m.date].strip()} {t.replace(' ', '') if m.time_is_range else t}"
    dt = None
    for fmt in m.formats:
        try:
            dt = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    if dt is None:
        raise ValueError(f"time {text!r} matches none of {list(m.formats)}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    start_ns = int(dt.timestamp()) * NS_PER_S
    if m.latlon:
        nums = re.findall(r"-?\d+(?:\.\d+)?", row[m.latlon])
        if len(nums) != 2:
            raise ValueError(f"location {row[m.latlon]!r} is not '(lat, lon)'")
        lat, lon = float(nums[0]), float(nums[1])
    else:
        lat, lon = _num(row[m.lat]), _num(row[m.lon])
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"missing or invalid latitude/longitude {lat}, {lon}")
    r = _num(row[m.rounds]) if m.rounds else None
    rounds = None if r is None else int(r)
    if rounds is not None and rounds < 0:
        raise ValueError(f"negative round count {rounds}")
    kind = _kind(m, row.get(m.kind) if m.kind else None, rounds)
    if rounds is None:
        rounds = 2 if kind == "multiple_gunshots" else 1  # the least the type implies
    evidence = tuple(e for e, col in m.evidence.items() if (_num(row[col]) or 0) > 0)
    disposition = (row[m.disposition].strip() or None) if m.disposition else None
    if disposition is None and evidence:
        disposition = "founded"
    if disposition not in (None, "founded", "unfounded", "other_source"):
        raise ValueError(f"unknown disposition {disposition!r}")
    vid = (row[m.id].strip() if m.id else "") or f"row{n}"
    prefix = "" if m.name == "tocsin" else f"{m.name}:"
    return ImportedIncident(uid=f"{prefix}{vid}", start_ns=start_ns, kind=kind, rounds=rounds, lat=lat, lon=lon,
                            address=(row[m.address].strip() or None) if m.address else None,
                            disposition=disposition, evidence=evidence,
                            extra={c: row[c] for c in m.extra if row.get(c)})


def import_history(store: Store, path: str | Path, mapping: ColumnMapping, *, actor: str) -> ImportReport:
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"no such file: {path}")
    report = ImportReport()
    inserted, skipped = store.import_incidents(parse_rows(path, mapping, report), actor=actor,
                                               source_label=f"{path.name} ({mapping.name})")
    report.inserted, report.skipped_existing = inserted, skipped
    return report
