"""``tocsin locate PULSES.jsonl [--sensors SENSORS.csv] [--temperature-c T] [--out FILE] [--strict]``

The batch contract used by analysts and outside checks — keep it stable.

* SENSORS.csv: header ``id,lat,lon[,alt_m]`` or ``id,x_m,y_m[,z_m]``.
* PULSES.jsonl: one JSON object a line with ``sensor`` and ``t_ns`` (int, UTC ns) or ``t``
  (ISO-8601 UTC); optional inline position (``lat,lon,alt_m`` or ``x_m,y_m,z_m``),
  ``snr_db``, ``peak_db``, ``id``; the detector's shape features as ``tocsin detect`` writes
  them (``rise_time_ms``, ``centroid_hz`` … — ``localization.audio.FEATURE_NAMES``), which
  give each incident an audio verdict; unknown fields are ignored; any order.
* Output: JSON Lines, one incident a line (see ``incident_to_json``); ``gunfire_p`` and
  ``review_label`` (``probable_fireworks`` / ``non_gunfire``) are null when no pulse
  carried detector features.
* A bad line is reported on stderr with its line number and reason; the rest is
  processed; exit status 2 if anything was rejected.  ``--strict`` stops at the first.
"""
from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from localization import EngineConfig, LocalFrame, Pulse, Sensor, locate_batch
from localization.audio.features import FEATURE_NAMES
from localization.types import Incident

from app.cli import CliError
from app.timeutil import parse_utc_ns

# Earliest and latest plausible arrival times: 2000-01-01 .. 2100-01-01 UTC.
MIN_T_NS = 946_684_800 * 10**9
MAX_T_NS = 4_102_444_800 * 10**9


def register(sub) -> None:
    p = sub.add_parser("locate", help="locate gunfire from a file of sensor pulses (batch)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("pulses", help="pulses, JSON Lines (one object a line)")
    p.add_argument("--sensors", help="sensor positions, CSV with id,lat,lon[,alt_m] or id,x_m,y_m[,z_m]")
    p.add_argument("--temperature-c", type=float, default=15.0, help="air temperature at the site, °C (default 15)")
    p.add_argument("--out", help="write incidents here instead of standard output")
    p.add_argument("--strict", action="store_true", help="stop at the first bad input line")
    p.set_defaults(func=run)


class BadLine(Exception):
    pass


@dataclass
class Frame:
    """Which coordinate frame the input used: geodetic (with a local frame) or local metres."""

    geodetic: bool | None = None
    frame: LocalFrame | None = None


def read_sensors_csv(path: Path, frame: Frame) -> dict[str, tuple]:
    """id → raw position tuple ('geo', lat, lon, alt) or ('xyz', x, y, z)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CliError(f"cannot read sensors file {path}: {exc.strerror or exc}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise CliError(f"{path}: empty sensors file")
    header = [h.strip().lower() for h in rows[0]]
    if header[:3] == ["id", "lat", "lon"]:
        geo = True
    elif header[:3] == ["id", "x_m", "y_m"]:
        geo = False
    else:
        raise CliError(f"{path}:1: header must start with 'id,lat,lon' or 'id,x_m,y_m', got {','.join(rows[0])!r}")
    frame.geodetic = geo
    out: dict[str, tuple] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) < 3:
            raise CliError(f"{path}:{n}: expected at least 3 columns, got {len(row)}")
        sid = row[0].strip()
        try:
            a, b = float(row[1]), float(row[2])
            c = float(row[3]) if len(row) > 3 and row[3].strip() else 0.0
        except ValueError:
            raise CliError(f"{path}:{n}: position values must be numbers") from None
        if not all(math.isfinite(v) for v in (a, b, c)):
            raise CliError(f"{path}:{n}: position values must be finite")
        if geo and not (-90 <= a <= 90 and -180 <= b <= 180):
            raise CliError(f"{path}:{n}: latitude/longitude out of range ({a}, {b})")
        if sid in out:
            raise CliError(f"{path}:{n}: duplicate sensor id {sid!r}")
        out[sid] = ("geo" if geo else "xyz", a, b, c)
    if not out:
        raise CliError(f"{path}: no sensors listed")
    return out


def parse_pulse(line: str, known: dict[str, tuple], frame: Frame) -> Pulse:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise BadLine("expected a JSON object")
    sid = obj.get("sensor")
    if not isinstance(sid, str) or not sid:
        raise BadLine("missing field 'sensor' (a string)")
    if "t_ns" in obj:
        t = obj["t_ns"]
        if isinstance(t, bool) or not isinstance(t, int):
            raise BadLine("'t_ns' must be an integer (UTC nanoseconds)")
    elif "t" in obj:
        if not isinstance(obj["t"], str):
            raise BadLine("'t' must be an ISO-8601 UTC string")
        try:
            t = parse_utc_ns(obj["t"])
        except ValueError as exc:
            raise BadLine(f"bad time 't': {exc}") from None
    else:
        raise BadLine("missing time: give 't_ns' (integer UTC ns) or 't' (ISO-8601 UTC)")
    if not MIN_T_NS <= t <= MAX_T_NS:
        raise BadLine(f"impossible time {t} ns (outside 2000–2100 UTC)")
    inline = _inline_position(obj)
    if inline is not None:
        geo = inline[0] == "geo"
        if frame.geodetic is None:
            frame.geodetic = geo
        elif frame.geodetic != geo:
            raise BadLine("mixes lat/lon and local x/y positions; use one frame throughout")
        prev = known.get(sid)
        if prev is None:
            known[sid] = inline
        elif any(abs(p - q) > 0.5 for p, q in zip(_xyzish(prev), _xyzish(inline))):
            raise BadLine(f"sensor {sid!r} given at a different position than before")
    elif sid not in known:
        raise BadLine(f"unknown sensor {sid!r} (not in --sensors and no inline position)")
    snr = _opt_float(obj, "snr_db")
    peak = _opt_float(obj, "peak_db")
    pid = obj.get("id")
    features = tuple((name, v) for name in FEATURE_NAMES if (v := _opt_float(obj, name)) is not None)
    return Pulse(sensor=sid, t_ns=int(t), snr_db=snr, peak_db=peak, id=None if pid is None else str(pid),
                 features=features)


def _xyzish(p: tuple) -> tuple[float, float, float]:
    if p[0] == "geo":  # compare degrees scaled to ~metres
        return (p[1] * 111_000.0, p[2] * 111_000.0, p[3])
    return p[1:]


def _inline_position(obj: dict):
    if "lat" in obj or "lon" in obj:
        try:
            lat, lon = float(obj["lat"]), float(obj["lon"])
            alt = float(obj.get("alt_m", 0.0) or 0.0)
        except (KeyError, TypeError, ValueError):
            raise BadLine("inline position needs numeric 'lat' and 'lon' (and optional 'alt_m')") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not math.isfinite(alt):
            raise BadLine(f"inline lat/lon out of range ({lat}, {lon})")
        return ("geo", lat, lon, alt)
    if "x_m" in obj or "y_m" in obj:
        try:
            x, y = float(obj["x_m"]), float(obj["y_m"])
            z = float(obj.get("z_m", 0.0) or 0.0)
        except (KeyError, TypeError, ValueError):
            raise BadLine("inline position needs numeric 'x_m' and 'y_m' (and optional 'z_m')") from None
        if not all(math.isfinite(v) for v in (x, y, z)):
            raise BadLine("inline position must be finite")
        return ("xyz", x, y, z)
    return None


def _opt_float(obj: dict, key: str) -> float | None:
    v = obj.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise BadLine(f"'{key}' must be a number")
    return float(v)


def build_sensors(known: dict[str, tuple], frame: Frame) -> tuple[list[Sensor], LocalFrame | None]:
    if frame.geodetic:
        lats = [p[1] for p in known.values()]
        lons = [p[2] for p in known.values()]
        alts = [p[3] for p in known.values()]
        lf = LocalFrame(sum(lats) / len(lats), sum(lons) / len(lons), min(alts))
        sensors = []
        for sid, p in known.items():
            e, n, u = lf.to_local(p[1], p[2], p[3])
            sensors.append(Sensor(sid, float(e), float(n), float(u)))
        return sensors, lf
    return [Sensor(sid, p[1], p[2], p[3]) for sid, p in known.items()], None


def incident_to_json(inc: Incident, frame: LocalFrame | None) -> dict:
    """The contract's output object for one incident."""

    def pos(x: float, y: float) -> dict:
        if frame is None:
            return {"x_m": round(x, 2), "y_m": round(y, 2)}
        lat, lon, _ = frame.to_geodetic(x, y, 0.0)
        return {"lat": round(float(lat), 7), "lon": round(float(lon), 7)}

    shots = []
    for s, who in zip(inc.shots, inc.shooter_of_shot):
        shots.append({"t_ns": s.t_ns, **pos(s.x_m, s.y_m), "err95_m": round(s.err95_m, 2), "shooter": who,
                      "sensors": list(s.sensors)})
    return {
        "id": inc.id,
        "kind": inc.kind,
        "tags": list(inc.tags),
        "rounds": inc.rounds,
        "shooters": inc.shooters,
        "start_ns": inc.start_ns,
        "end_ns": inc.end_ns,
        **pos(inc.x_m, inc.y_m),
        "err95_m": round(inc.err95_m, 2),
        "speed_mps": None if inc.speed_mps is None else round(inc.speed_mps, 2),
        "heading_deg": None if inc.heading_deg is None else round(inc.heading_deg, 1),
        "shots": shots,
        "gunfire_p": None if inc.gunfire_p is None else round(inc.gunfire_p, 4),
        "review_label": inc.review_label,
    }


def run(args) -> int:
    frame = Frame()
    known: dict[str, tuple] = {}
    if args.sensors:
        known = read_sensors_csv(Path(args.sensors), frame)
    try:
        EngineConfig(temperature_c=args.temperature_c)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    path = Path(args.pulses)
    try:
        fh = sys.stdin if args.pulses == "-" else path.open(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read pulses file {path}: {exc.strerror or exc}") from None
    pulses: list[Pulse] = []
    rejected = 0
    with fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                pulses.append(parse_pulse(line, known, frame))
            except BadLine as exc:
                rejected += 1
                print(f"{args.pulses}:{n}: {exc}", file=sys.stderr)
                if args.strict:
                    print("tocsin: stopped at the first bad line (--strict)", file=sys.stderr)
                    return 2
    out = []
    if pulses:
        sensors, lf = build_sensors(known, frame)
        used = {p.sensor for p in pulses}
        sensors = [s for s in sensors if s.id in used] or sensors
        incidents = locate_batch(sensors, pulses, EngineConfig(temperature_c=args.temperature_c))
        out = [incident_to_json(i, lf) for i in incidents]
    text = "".join(json.dumps(o, separators=(",", ":")) + "\n" for o in out)
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
    if rejected:
        print(f"tocsin: {rejected} line(s) rejected; {len(pulses)} pulses processed, {len(out)} incident(s)",
              file=sys.stderr)
        return 2
    return 0
