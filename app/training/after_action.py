"""The after-action report of a training run: what happened, what the trainee did, and
how it scored — as a report ``Document`` (HTML and PDF through ``app.reports``)."""
from __future__ import annotations

from app.reports import svg
from app.reports.blocks import Document, Facts, Figure, Heading, Para, Table
from app.training.scoring import LABEL, Score

STATUS_WORDS = {"met": "met", "late": "LATE", "wrong": "WRONG", "missed": "MISSED"}


def _mmss(t: float | None) -> str:
    if t is None:
        return "-"
    return f"{int(t // 60):02d}:{t % 60:04.1f}"


def timeline_svg(session, score: Score, width: int = 680) -> str:
    """Two lanes over the scenario time: what happened (top) and what the trainee did."""
    dur = max(session.scenario.duration_s, max((a.t_s for a in session.actions), default=0.0))
    left, right, top = 90, 12, 26
    lanes = (("scenario", [s for s in session.stimuli if s.kind != "alert_update"]), ("trainee", session.actions))
    h = top + 46 * len(lanes) + 22
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" viewBox="0 0 {width} {h}">',
             f'<rect x="0" y="0" width="{width}" height="{h}" fill="#ffffff"/>',
             f'<text x="8" y="16" {svg.FONT} font-size="13" font-weight="bold" fill="#222222">Timeline</text>']
    pw = width - left - right

    def x(t: float) -> float:
        return left + pw * min(max(t, 0.0), dur) / max(dur, 1e-9)

    colours = {"alert": "#c0392b", "call": "#2471a3", "missed_found": "#7d3c98", "outage_start": "#7f8c8d",
               "outage_end": "#bdc3c7"}
    for k, (name, items) in enumerate(lanes):
        y = top + 46 * k + 20
        parts.append(f'<text x="8" y="{y + 4}" {svg.FONT} font-size="10" fill="#222222">{name}</text>')
        parts.append(f'<line x1="{left}" y1="{y}" x2="{left + pw}" y2="{y}" stroke="#d0d0d0" stroke-width="1"/>')
        for j, it in enumerate(items):
            if name == "scenario":
                col, lab = colours.get(it.kind, "#555555"), it.kind.split("_")[0]
            else:
                col, lab = ("#229954" if it.ok else "#b9770e"), it.action.replace("_", " ")
            xx = x(it.t_s)
            parts.append(f'<circle cx="{xx:.1f}" cy="{y}" r="4" fill="{col}"/>')
            dy = -8 if j % 2 == 0 else 16
            parts.append(f'<text x="{xx:.1f}" y="{y + dy}" {svg.FONT} font-size="7" text-anchor="middle" '
                         f'fill="{col}">{svg._t(lab)}</text>')
    yb = top + 46 * len(lanes) + 6
    step = next((v for v in (10, 30, 60, 120, 300, 600, 900, 1800) if dur / v <= 10), 3600)
    t = 0.0
    while t <= dur + 1e-9:
        parts.append(f'<text x="{x(t):.1f}" y="{yb + 8}" {svg.FONT} font-size="8" text-anchor="middle" '
                     f'fill="#222222">{int(t // 60)}:{int(t % 60):02d}</text>')
        t += step
    parts.append("</svg>")
    return "".join(parts)


def after_action_document(session, score: Score) -> Document:
    sc = session.scenario
    doc = Document(title=f"After-action report - {sc.title}",
                   subtitle=f"Training scenario '{sc.id}' ({sc.general_order or 'no general order named'}); agency "
                            f"profile {session.agency.name}; trainee {session.trainee}.",
                   banner="EXERCISE - training run on a separate database; nothing reached real records or CAD",
                   footer=f"scenario {sc.id}")
    doc.add(Heading("Result"), Facts([
        ("Score", f"{score.percent:.0f} % ({score.points:g} of {len(score.results)} points)"),
        ("Met / late / wrong / missed", " / ".join(str(score.count(s)) for s in ("met", "late", "wrong", "missed"))),
        ("Alerts raised", str(sum(1 for s in session.stimuli if s.kind == "alert"))),
        ("Citizen calls", str(sum(1 for s in session.stimuli if s.kind == "call"))),
        ("Trainee actions", f"{len(session.actions)} ({sum(1 for a in session.actions if not a.ok)} refused)"),
    ]))
    if sc.description:
        doc.add(Para(sc.description))
    doc.add(Heading("Expected actions"),
            Table(["expected", "about", "limit", "reference", "done at", "result", "detail"],
                  [[LABEL.get(r.expectation.action, r.expectation.action), r.expectation.ref,
                    f"{r.expectation.within_s:.0f} s", _mmss(r.reference_s), _mmss(r.done_s),
                    STATUS_WORDS[r.status], r.detail] for r in score.results],
                  widths=(2.4, 1.0, 0.6, 0.8, 0.8, 0.8, 3.2)))
    doc.add(Figure(timeline_svg(session, score), caption="Top: alerts, calls, outages and findings as they happened; "
                                                        "bottom: the trainee's actions (orange: refused)."))
    rows = [[_mmss(s.t_s), "scenario", s.text] for s in session.stimuli]
    rows += [[_mmss(a.t_s), "trainee", f"{a.action.replace('_', ' ')} ({a.ref}): "
              + (a.detail if a.ok else f"REFUSED - {a.detail}")] for a in session.actions]
    rows.sort(key=lambda r: r[0])
    doc.add(Heading("What happened"), Table(["time", "who", "what"], rows, widths=(0.8, 0.9, 6)))
    truth = [[e.id, e.kind.replace("_", " "), _mmss(e.at_s), "decoy (not gunfire)" if e.decoy else "gunfire",
              f"#{session.alert_of[e.id]} at {_mmss(session.alert_t[e.id])}" if e.id in session.alert_of else "no alert"]
             for e in sc.events]
    doc.add(Heading("Ground truth"), Table(["event", "kind", "at", "", "alert"], truth, widths=(1.4, 1.6, 0.8, 1.6, 1.6)))
    return doc
