"""The program report as a ``Document`` (the same content for HTML and PDF)."""
from __future__ import annotations

from datetime import datetime

from app.reports import svg
from app.reports.blocks import Document, Facts, Figure, Heading, Para, Table
from app.reports.period import NS_PER_S, zone
from app.reports.program import ProgramReport, Stat

KIND_WORDS = {"single_gunshot": "Single gunshot", "multiple_gunshots": "Multiple gunshots",
              "possible_gunfire": "Possible gunfire"}


def _pct(a: int, b: int) -> str:
    return "-" if b == 0 else f"{100.0 * a / b:.1f} %"


def _secs(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.0f} s" if v < 120 else f"{v / 60:.1f} min"


def _local(t_ns: int, tz: str) -> str:
    return datetime.fromtimestamp(t_ns / NS_PER_S, tz=zone(tz)).strftime("%Y-%m-%d %H:%M")


def program_document(r: ProgramReport, *, agency: str = "", exercise: bool = False) -> Document:
    p = r.period
    doc = Document(
        title=f"{r.title} - {p.title}",
        subtitle=(f"{agency + ' - ' if agency else ''}{p.kind.title()} {p.label}, local time {p.tz}. "
                  f"Generated {_local(r.generated_ns, p.tz)} by Tocsin from the incident database."),
        banner="EXERCISE - training database, not real incidents" if exercise else "",
        footer=f"{p.kind} {p.label}")
    n = r.activations
    doc.add(Heading("Summary"), Facts([
        ("Activations (alerts)", f"{n:,}"),
        *[(f"  {KIND_WORDS.get(k, k)}", f"{v:,} ({_pct(v, n)})") for k, v in r.by_kind.items()],
        ("Also called in by the community", f"{r.with_calls:,} ({_pct(r.with_calls, n)}); {r.calls:,} calls"),
        ("Not called in by anyone", f"{r.without_calls:,} ({_pct(r.without_calls, n)})"),
        ("Rounds fired", f"{r.rounds_total:,}" + (f"; mean {r.rounds_mean:.1f}, median {r.rounds_median:g}, "
                                                  f"max {r.rounds_max}" if n else "")),
        ("Founded / unfounded / other source", " / ".join(f"{r.dispositions[k]:,}" for k in
                                                           ("founded", "unfounded", "other_source"))
         + f"; not recorded {r.dispositions['not recorded']:,}"),
        ("Founded rate (of decided)", "-" if r.founded_rate is None else f"{100 * r.founded_rate:.1f} %"),
        ("EMS requested", f"{r.ems_requests:,}"),
        ("Missed incidents reported", f"{r.missed['reported']:,}"),
        ("Significant incidents", f"{r.significant_total:,}"),
    ]))
    if r.sources and set(r.sources) != {"engine"}:
        doc.add(Para("Records by source: " + ", ".join(f"{k} {v:,}" for k, v in sorted(r.sources.items()))
                     + ". Imported history carries no workflow times, calls or dispositions unless the export had "
                       "them; those figures then read zero or 'not recorded'.", "note"))
    doc.add(Heading("Activations and community calls"),
            Table(["", "count", "share"],
                  [["Activations", f"{n:,}", "100 %" if n else "-"],
                   ["... also reported by a community call", f"{r.with_calls:,}", _pct(r.with_calls, n)],
                   ["... reported by no one (alert only)", f"{r.without_calls:,}", _pct(r.without_calls, n)],
                   ["Citizen calls linked to alerts", f"{r.calls:,}", ""]],
                  widths=(3, 1, 1), align_right=(1, 2)))
    doc.add(Heading("Outcomes"),
            Table(["disposition", "count", "share"],
                  [[k.replace("_", " "), f"{v:,}", _pct(v, n)] for k, v in r.dispositions.items()],
                  widths=(3, 1, 1), align_right=(1, 2)))
    doc.add(Heading("Rounds fired"),
            Figure(svg.bar_chart(list(r.rounds_bins), list(r.rounds_bins.values()),
                                 title="Activations by rounds fired", height=200), width_frac=0.8))
    doc.add(Heading("Where"),
            Figure(svg.heat_map(r.heat, title=f"Activations by location ({n:,})"),
                   caption="Cells of the grid coloured by the number of activations (square-root scale); "
                           "dashed line: coverage area, where known.", width_frac=0.85))
    slice_title = "Activations by day of the month" if p.kind == "month" else "Activations by month"
    doc.add(Heading("When"),
            Figure(svg.bar_chart(list(r.by_slice), list(r.by_slice.values()), title=slice_title, height=200,
                                 value_labels=p.kind == "year")),
            Figure(svg.bar_chart(list(r.by_weekday), list(r.by_weekday.values()), title="By day of the week",
                                 height=190), width_frac=0.6),
            Figure(svg.bar_chart([f"{h:02d}" for h in r.by_hour], list(r.by_hour.values()),
                                 title="By hour of the day (local)", height=200, value_labels=False)))
    doc.add(Heading("Response times"),
            Table(["interval", "incidents", "median", "90th percentile", "mean"],
                  [[k, f"{s.n:,}", _secs(s.median_s), _secs(s.p90_s), _secs(s.mean_s)]
                   for k, s in r.response.items()], widths=(3, 1, 1, 1, 1), align_right=(1, 2, 3, 4)))
    if all(s.n == 0 for s in r.response.values()):
        doc.add(Para("No acknowledgment or dispatch times were recorded for these incidents.", "note"))
    doc.add(Heading("Significant incidents and investigations"))
    if r.significant:
        doc.add(Table(["#", "when (local)", "type", "rounds", "address", "disposition", "why"],
                      [[s.id, _local(s.start_ns, p.tz), KIND_WORDS.get(s.kind, s.kind), s.rounds, s.address or "-",
                        (s.disposition or "-").replace("_", " "), ", ".join(s.why)] for s in r.significant],
                      widths=(0.6, 1.6, 1.4, 0.7, 3.2, 1.1, 2.0), align_right=(0, 3),
                      caption=(f"Showing {len(r.significant)} of {r.significant_total}." if
                               r.significant_total > len(r.significant) else "")))
    else:
        doc.add(Para("None: no incident with 10 or more rounds, several shooters, a victim, an EMS request or a "
                     "legal hold.", "note"))
    doc.add(Heading("Missed incidents (gunfire not detected)"),
            Facts([(k.capitalize(), f"{v:,}") for k, v in r.missed.items()]))
    if r.missed_rows:
        doc.add(Table(["report", "found (local)", "officer", "evidence", "filed"],
                      [[m["id"], _local(m["found_ns"], p.tz), m["officer"], m["evidence"].replace(",", ", "),
                        "-" if m["filed_ns"] is None else _local(m["filed_ns"], p.tz)] for m in r.missed_rows],
                      widths=(0.7, 1.6, 1.6, 2, 1.6)))
    return doc


def stat_text(s: Stat) -> str:
    return f"n={s.n} median {_secs(s.median_s)} p90 {_secs(s.p90_s)}"
