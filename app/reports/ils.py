"""The Investigative Lead Summary of one incident — the document investigators (and
courts) use: the shot sequence to the millisecond with intervals, per-shot locations with
their error, which shooter fired first, a map, the waveform, the incident's revision
history and the SHA-256 of every audio clip (re-checked now).  No Qt.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from app.reports.period import NS_PER_S, zone
from app.store import Store
from app.store.records import IncidentDetail, IncidentRow


@dataclass(frozen=True, slots=True)
class ShotLine:
    n: int                 # 1-based, in time order
    t_ns: int
    interval_ms: float | None
    since_first_ms: float
    shooter: int
    x_m: float | None
    y_m: float | None
    lat: float | None
    lon: float | None
    err95_m: float | None
    sensors: tuple[str, ...]
    rms_ms: float | None
    low_confidence: bool


@dataclass(frozen=True, slots=True)
class ClipLine:
    sensor: str | None
    path: str
    sha256: str
    intact: bool
    start_ns: int | None
    duration_s: float | None


@dataclass(frozen=True)
class LeadSummary:
    incident: IncidentRow
    detail: IncidentDetail
    tz: str
    shots: tuple[ShotLine, ...]
    attribution: tuple[str, ...]
    sensors: tuple[tuple[str, float, float], ...]   # (id, x_m, y_m) of the sensors that heard the shots
    clips: tuple[ClipLine, ...]
    waveform: tuple[list[float], float, float, str] | None   # samples, rate, clip start offset, sensor
    generated_ns: int

    def local(self, t_ns: int, *, ms: bool = True) -> str:
        dt = datetime.fromtimestamp(t_ns / NS_PER_S, tz=zone(self.tz))
        return dt.strftime("%Y-%m-%d %H:%M:%S") + (f".{(t_ns // 1_000_000) % 1000:03d}" if ms else "")


def utc_ms(t_ns: int) -> str:
    dt = datetime.fromtimestamp(t_ns // NS_PER_S, tz=timezone.utc)
    return dt.strftime("%H:%M:%S") + f".{(t_ns // 1_000_000) % 1000:03d}Z"


def attribution_lines(shots: tuple[ShotLine, ...]) -> tuple[str, ...]:
    """Plain sentences: who fired first, how many rounds each shooter fired, returned fire."""
    if not shots:
        return ("No shot of this incident was located; there is no shot sequence.",)
    by: dict[int, list[ShotLine]] = {}
    for s in shots:
        by.setdefault(s.shooter, []).append(s)
    out = []
    first = shots[0]
    span_s = (shots[-1].t_ns - first.t_ns) / NS_PER_S
    if len(by) == 1:
        out.append(f"All {len(shots)} located round(s) are attributed to one shooter (shooter {first.shooter}), "
                   f"over {span_s:.3f} s.")
    else:
        out.append(f"{len(by)} shooters. Shooter {first.shooter} fired first (shot 1 at {utc_ms(first.t_ns)}).")
        order = sorted(by, key=lambda k: by[k][0].t_ns)
        for k in order[1:]:
            s0 = by[k][0]
            out.append(f"Shooter {k} first fired {(s0.t_ns - first.t_ns) / 1e6:,.0f} ms after shot 1 "
                       f"(shot {s0.n}).")
        for k in order:
            ss = by[k]
            out.append(f"Shooter {k}: {len(ss)} round(s), shots {', '.join(str(s.n) for s in ss)}.")
    gaps = [s.interval_ms for s in shots if s.interval_ms is not None]
    if gaps:
        rate = 60000.0 / (sum(gaps) / len(gaps)) if sum(gaps) > 0 else 0.0
        out.append(f"Intervals between rounds: {min(gaps):,.0f} to {max(gaps):,.0f} ms "
                   f"(mean {sum(gaps) / len(gaps):,.0f} ms, about {rate:,.0f} rounds per minute).")
    return tuple(out)


def lead_summary(store: Store, incident_id: int, *, tz: str = "UTC", waveform: bool = True) -> LeadSummary:
    detail = store.get_incident(incident_id)
    inc = detail.incident
    conn = store.conn
    rev = conn.execute("SELECT id FROM incident_revisions WHERE incident_id = ? AND revision = ("
                       "SELECT max(revision) FROM incident_revisions r JOIN shots s ON s.revision_id = r.id "
                       "WHERE r.incident_id = ?)", (incident_id, incident_id)).fetchone()
    rows = [] if rev is None else conn.execute("SELECT * FROM shots WHERE revision_id = ? ORDER BY t_ns, idx",
                                               (rev[0],)).fetchall()
    shots: list[ShotLine] = []
    for i, r in enumerate(rows):
        prev = rows[i - 1]["t_ns"] if i else None
        shots.append(ShotLine(i + 1, r["t_ns"], None if prev is None else (r["t_ns"] - prev) / 1e6,
                              (r["t_ns"] - rows[0]["t_ns"]) / 1e6, int(r["shooter"] or 0) + 1, r["x_m"], r["y_m"],
                              r["lat"], r["lon"], r["err95_m"], tuple(json.loads(r["sensors"] or "[]")),
                              r["rms_ms"], bool(r["low_confidence"])))
    used = {sid for s in shots for sid in s.sensors}
    sensors = tuple((s.id, s.x_m, s.y_m) for s in store.sensors() if s.id in used)
    clips = []
    checks = dict(store.verify_audio(incident_id))
    for c in detail.audio_clips:
        clips.append(ClipLine(c["sensor_id"], c["path"], c["sha256"], bool(checks.get(c["path"], False)),
                              c["start_ns"], c["duration_s"]))
    wave = _waveform(clips) if waveform else None
    return LeadSummary(inc, detail, tz, tuple(shots), attribution_lines(tuple(shots)), sensors, tuple(clips), wave,
                       store.clock.now_ns())


def _waveform(clips: list[ClipLine]) -> tuple[list[float], float, float, str] | None:
    """The first intact clip's samples (mono), for the waveform figure."""
    for c in clips:
        if not c.intact:
            continue
        try:
            import soundfile as sf

            data, rate = sf.read(c.path, dtype="float32", always_2d=True)
        except Exception:  # noqa: BLE001 - an unreadable clip is reported as such, not fatal
            continue
        return data[:, 0].tolist(), float(rate), 0.0, c.sensor or "?"
    return None


def ils_document(s: LeadSummary, *, agency: str = ""):
    from app.reports import svg
    from app.reports.blocks import Document, Facts, Figure, Heading, Para, Table
    from app.reports.program_doc import KIND_WORDS

    inc, d = s.incident, s.detail
    doc = Document(title=f"Investigative Lead Summary - incident #{inc.id}",
                   subtitle=(f"{agency + ' - ' if agency else ''}{KIND_WORDS.get(inc.kind, inc.kind)}, "
                             f"{s.local(inc.start_ns, ms=False)} ({s.tz}). Generated {s.local(s.generated_ns, ms=False)} "
                             "by Tocsin from the incident database."),
                   banner="EXERCISE - training incident, not real gunfire" if inc.exercise else "",
                   footer=f"incident {inc.uid}, revision {inc.current_revision}")
    facts = [("Incident", f"#{inc.id} ({inc.uid})"), ("Type", KIND_WORDS.get(inc.kind, inc.kind)),
             ("Tags", ", ".join(inc.tags) or "-"), ("Rounds", str(inc.rounds)), ("Shooters", str(inc.shooters)),
             ("First round (local)", s.local(inc.start_ns)), ("First round (UTC)", utc_ms(inc.start_ns)),
             ("Location", inc.address or "-"),
             ("Latitude, longitude", "-" if inc.lat is None else f"{inc.lat:.6f}, {inc.lon:.6f}"),
             ("Error (95 %)", "-" if inc.err95_m is None else f"{inc.err95_m:.1f} m"),
             ("Status / disposition", f"{inc.status} / {(inc.disposition or '-').replace('_', ' ')}"),
             ("CAD", ", ".join(f"{c['cad_number']} ({c['type_code']} P{c['priority']})" for c in d.cad_entries) or "-"),
             ("Revisions", str(len(d.revisions)))]
    doc.add(Heading("Incident"), Facts(facts))
    doc.add(Heading("Shot sequence"))
    if s.shots:
        doc.add(Table(["shot", "time (local)", "UTC", "interval ms", "from first ms", "shooter", "x, y (m)",
                       "lat, lon", "err95 m", "sensors"],
                      [[sh.n, s.local(sh.t_ns)[11:], utc_ms(sh.t_ns),
                        "-" if sh.interval_ms is None else f"{sh.interval_ms:,.0f}", f"{sh.since_first_ms:,.0f}",
                        sh.shooter, "-" if sh.x_m is None else f"{sh.x_m:.1f}, {sh.y_m:.1f}",
                        "-" if sh.lat is None else f"{sh.lat:.6f}, {sh.lon:.6f}",
                        "-" if sh.err95_m is None else f"{sh.err95_m:.1f}" + (" (low conf.)" if sh.low_confidence else ""),
                        len(sh.sensors)] for sh in s.shots],
                      widths=(0.5, 1.3, 1.3, 0.9, 0.9, 0.7, 1.3, 1.9, 0.9, 0.7), align_right=(0, 3, 4, 5, 8, 9),
                      caption="Times are arrival-derived shot times to the millisecond; 'interval' is the time since "
                              "the previous round."))
    doc.add(Heading("Shooter attribution", 3), *[Para(t) for t in s.attribution])
    located = [{"x_m": sh.x_m, "y_m": sh.y_m, "err95_m": sh.err95_m, "shooter": sh.shooter, "n": sh.n}
               for sh in s.shots if sh.x_m is not None]
    if located:
        doc.add(Heading("Map"), Figure(svg.shot_map(located, sensors=s.sensors,
                                                    title=f"Incident #{inc.id}: located shots and 95 % error circles"),
                                       caption="Local frame in metres, north up. Triangles: sensors that heard the shots "
                                               "(restricted information: not for public release).", width_frac=0.9))
    doc.add(Heading("Waveform"))
    if s.waveform is not None:
        samples, rate, _, sensor = s.waveform
        clip0 = next((c for c in s.clips if c.sensor == sensor), None)
        marks = []
        if clip0 is not None and clip0.start_ns is not None:
            marks = [((sh.t_ns - clip0.start_ns) / NS_PER_S, str(sh.n)) for sh in s.shots]
        doc.add(Figure(svg.waveform(samples, rate, markers_s=marks, title=f"Sensor {sensor} audio clip"),
                       caption="Peak envelope of the clip; red lines mark the located shot times (emission times, so "
                               "the sound reaches this sensor a little later)."))
    else:
        doc.add(Para("No audio clip is stored for this incident (or none could be read).", "note"))
    doc.add(Heading("Revision history"),
            Table(["rev", "when (local)", "by", "reason", "type", "rounds", "err95 m"],
                  [[r.revision, s.local(r.created_ns, ms=False), r.actor, r.reason, KIND_WORDS.get(r.kind, r.kind),
                    r.rounds, "-" if r.err95_m is None else f"{r.err95_m:.1f}"] for r in d.revisions],
                  widths=(0.4, 1.5, 1, 3.2, 1.3, 0.6, 0.7), align_right=(0, 5, 6),
                  caption="Revisions are immutable; each new one keeps the earlier ones."))
    events = _workflow_events(s)
    if events:
        doc.add(Heading("Response"), Table(["when (local)", "event", "by"], events, widths=(1.4, 4, 1)))
    doc.add(Heading("Audio evidence"))
    if s.clips:
        doc.add(Table(["sensor", "file", "SHA-256", "intact"],
                      [[c.sensor or "-", Path(c.path).name, c.sha256, "yes" if c.intact else "NO - changed or missing"]
                       for c in s.clips], widths=(0.7, 1.8, 4.6, 0.9),
                      caption="Each file is re-hashed when this summary is generated and compared with the hash "
                              "recorded when the clip was stored."))
        if not all(c.intact for c in s.clips):
            doc.add(Para("Warning: at least one audio clip no longer matches its recorded hash.", "warning"))
    else:
        doc.add(Para("No audio clips are registered for this incident.", "note"))
    return doc


def _workflow_events(s: LeadSummary) -> list[list[str]]:
    d = s.detail
    ev: list[tuple[int, str, str]] = []
    for e in d.status_events:
        ev.append((e["t_ns"], f"{e['from_status']} -> {e['to_status']}" + (f" ({e['note']})" if e["note"] else ""),
                   e["user_id"]))
    for a in d.acknowledgments:
        ev.append((a["t_ns"], f"{a['kind']} acknowledgment after {a['delay_s']:.0f} s", a["user_id"]))
    for c in d.cad_entries:
        ev.append((c["created_ns"], f"CAD {c['cad_number']} {c['type_code']} priority {c['priority']}", c["user_id"]))
    for u in d.units:
        ev.append((u["assigned_ns"], f"unit {u['unit']}" + (" (self-dispatched)" if u["self_dispatched"] else ""),
                   u["user_id"]))
    for c in d.citizen_calls:
        bits = [b for b in ("victim confirmed" if c["victim_confirmed"] else "", c["subject_description"] or "",
                            c["vehicle_description"] or "", c["discarded_weapon"] or "") if b]
        ev.append((c["received_ns"], "citizen call linked" + (": " + "; ".join(bits) if bits else ""), c["user_id"]))
    for e in d.ems_requests:
        ev.append((e["t_ns"], f"EMS requested ({e['reason']})", e["user_id"]))
    for x in d.dispositions:
        ev.append((x["t_ns"], f"disposition {x['disposition']}" + (f", evidence {x['evidence']}" if x["evidence"] else ""),
                   x["user_id"]))
    ev.sort(key=lambda e: e[0])
    return [[s.local(t, ms=False), what, who] for t, what, who in ev]
