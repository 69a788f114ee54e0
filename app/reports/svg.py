"""Charts drawn as plain SVG (no plotting library): bars, a heat map over the coverage
area, a shot map and a waveform.  The same SVG is inlined in the HTML reports and placed
in the PDFs (fpdf2 renders this subset: rect, line, circle, polyline, polygon, text).

Text inside charts is kept to Latin-1 so the PDF's built-in fonts can draw it.
"""
from __future__ import annotations

import math
from typing import Sequence
from xml.sax.saxutils import escape

from app.reports.program import HeatMap

FONT = 'font-family="Helvetica, Arial, sans-serif"'
INK = "#222222"
GRID = "#d0d0d0"
BAR = "#2f6690"
SHOOTER_COLOURS = ("#c0392b", "#2471a3", "#229954", "#b9770e", "#7d3c98", "#566573")


def latin1(text: str) -> str:
    """Text the PDF core fonts can draw: common typography mapped, the rest replaced."""
    table = {"→": "->", "←": "<-", "—": "-", "–": "-", "…": "...", "≥": ">=", "≤": "<=", "±": "+/-",
             "“": '"', "”": '"', "‘": "'", "’": "'", "×": "x", "µ": "u", "·": ".", "•": "*", "≈": "~"}
    out = "".join(table.get(c, c) for c in str(text))
    return out.encode("latin-1", "replace").decode("latin-1")


def _t(text: object) -> str:
    return escape(latin1(str(text)))


def _open(w: float, h: float) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
            f'viewBox="0 0 {w:.0f} {h:.0f}">')


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * e:
            return m * e
    return 10 * e


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str = "", width: int = 640,
              height: int = 220, colour: str = BAR, label_every: int = 1, value_labels: bool = True) -> str:
    """Vertical bars with a y axis from 0 and the value over each bar."""
    left, right, top, bottom = 40, 10, 26 if title else 10, 30
    pw, ph = width - left - right, height - top - bottom
    vmax = _nice_max(max(values, default=0))
    n = max(1, len(values))
    slot = pw / n
    bw = max(1.0, slot * 0.75)
    parts = [_open(width, height), f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>']
    if title:
        parts.append(f'<text x="{left}" y="16" {FONT} font-size="13" font-weight="bold" fill="{INK}">{_t(title)}</text>')
    for k in range(5):
        v = vmax * k / 4
        y = top + ph - ph * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="{GRID}" stroke-width="0.6"/>')
        lab = f"{v:g}" if v < 1000 else f"{v / 1000:g}k"
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" {FONT} font-size="9" text-anchor="end" fill="{INK}">{lab}</text>')
    for i, (lab, v) in enumerate(zip(labels, values)):
        x = left + i * slot + (slot - bw) / 2
        h = ph * (v / vmax)
        y = top + ph - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{h:.1f}" fill="{colour}"/>')
        if value_labels and v and n <= 31:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{y - 2:.1f}" {FONT} font-size="8" text-anchor="middle" '
                         f'fill="{INK}">{v:g}</text>')
        if i % label_every == 0:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{top + ph + 13:.1f}" {FONT} font-size="9" '
                         f'text-anchor="middle" fill="{INK}">{_t(lab)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="{INK}" stroke-width="1"/>')
    parts.append("</svg>")
    return "".join(parts)


def _heat_colour(f: float) -> str:
    """0 → pale yellow, 1 → dark red."""
    stops = ((255, 255, 204), (254, 178, 76), (240, 59, 32), (128, 0, 38))
    f = min(1.0, max(0.0, f)) * (len(stops) - 1)
    i = min(len(stops) - 2, int(f))
    a, b, t = stops[i], stops[i + 1], f - i
    return "#%02x%02x%02x" % tuple(int(round(a[k] + (b[k] - a[k]) * t)) for k in range(3))


def heat_map(heat: HeatMap, *, title: str = "Activations by location", width: int = 640) -> str:
    """Grid cells coloured by count (empty cells blank) with the coverage outline."""
    la0, lo0, la1, lo1 = heat.bbox
    rows = len(heat.counts)
    cols = len(heat.counts[0]) if rows else 1
    top, left, legend = 26, 10, 46
    k = math.cos(math.radians((la0 + la1) / 2))
    aspect = (la1 - la0) / max((lo1 - lo0) * k, 1e-12)
    pw = width - 2 * left
    ph = max(60.0, min(560.0, pw * aspect))
    height = top + ph + legend

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return left + (lon - lo0) / (lo1 - lo0) * pw, top + ph - (lat - la0) / (la1 - la0) * ph

    parts = [_open(width, height), f'<rect x="0" y="0" width="{width}" height="{height:.0f}" fill="#ffffff"/>',
             f'<text x="{left}" y="16" {FONT} font-size="13" font-weight="bold" fill="{INK}">{_t(title)}</text>',
             f'<rect x="{left}" y="{top}" width="{pw}" height="{ph:.1f}" fill="#f4f6f7" stroke="{GRID}"/>']
    cw, ch = pw / cols, ph / rows if rows else ph
    mx = max(heat.max, 1)
    for r, row in enumerate(heat.counts):
        for c, n in enumerate(row):
            if n:
                x, y = left + c * cw, top + ph - (r + 1) * ch
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cw + 0.3:.1f}" height="{ch + 0.3:.1f}" '
                             f'fill="{_heat_colour(math.sqrt(n / mx))}"/>')
    if heat.coverage:
        pts = " ".join("%.1f,%.1f" % xy(lat, lon) for lon, lat in heat.coverage)
        parts.append(f'<polygon points="{pts}" fill="none" stroke="#1b4f72" stroke-width="1.5" stroke-dasharray="5 3"/>')
    # scale bar
    km_w = pw / ((lo1 - lo0) * k * 111.32)
    bar_km = next((v for v in (0.25, 0.5, 1, 2, 5, 10, 20) if v * km_w >= pw * 0.12), 20)
    yb = top + ph + 16
    parts.append(f'<line x1="{left}" y1="{yb}" x2="{left + bar_km * km_w:.1f}" y2="{yb}" stroke="{INK}" stroke-width="2"/>')
    parts.append(f'<text x="{left}" y="{yb + 13}" {FONT} font-size="9" fill="{INK}">{bar_km:g} km</text>')
    # legend
    lx = width - left - 200
    for i in range(5):
        parts.append(f'<rect x="{lx + i * 30}" y="{yb - 8}" width="30" height="10" fill="{_heat_colour(i / 4)}"/>')
    parts.append(f'<text x="{lx}" y="{yb + 14}" {FONT} font-size="9" fill="{INK}">1</text>')
    parts.append(f'<text x="{lx + 150}" y="{yb + 14}" {FONT} font-size="9" text-anchor="end" fill="{INK}">'
                 f'{mx} per cell</text>')
    parts.append(f'<text x="{lx + 155}" y="{yb + 1}" {FONT} font-size="9" fill="{INK}">activations</text>')
    parts.append("</svg>")
    return "".join(parts)


def shot_map(shots: Sequence[dict], *, sensors: Sequence[tuple[str, float, float]] = (), title: str = "Shot locations",
             width: int = 640, height: int = 420, min_extent_m: float = 120.0) -> str:
    """Shots in local metres (``x_m``, ``y_m``, ``err95_m``, ``shooter``, ``n``): numbered dots
    with 95 % error circles, one colour per shooter; sensors as grey triangles; north up."""
    xs = [s["x_m"] for s in shots] + [s[1] for s in sensors]
    ys = [s["y_m"] for s in shots] + [s[2] for s in sensors]
    top, pad = 26, 16
    parts = [_open(width, height), f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
             f'<text x="{pad}" y="16" {FONT} font-size="13" font-weight="bold" fill="{INK}">{_t(title)}</text>']
    if not xs:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" {FONT} font-size="12" text-anchor="middle" '
                     f'fill="{INK}">No located shots</text></svg>')
        return "".join(parts)
    ex = [s.get("err95_m") or 0.0 for s in shots]
    x0 = min(min(xs), *(s["x_m"] - e for s, e in zip(shots, ex))) if shots else min(xs)
    x1 = max(max(xs), *(s["x_m"] + e for s, e in zip(shots, ex))) if shots else max(xs)
    y0 = min(min(ys), *(s["y_m"] - e for s, e in zip(shots, ex))) if shots else min(ys)
    y1 = max(max(ys), *(s["y_m"] + e for s, e in zip(shots, ex))) if shots else max(ys)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    pw, ph = width - 2 * pad, height - top - 2 * pad
    span = max(x1 - x0, (y1 - y0) * pw / ph, min_extent_m) * 1.15
    scale = pw / span

    def xy(x: float, y: float) -> tuple[float, float]:
        return pad + pw / 2 + (x - cx) * scale, top + ph / 2 - (y - cy) * scale

    parts.append(f'<rect x="{pad}" y="{top}" width="{pw}" height="{ph}" fill="#f8f9f9" stroke="{GRID}"/>')
    for sid, sx, sy in sensors:
        px, py = xy(sx, sy)
        parts.append(f'<polygon points="{px:.1f},{py - 5:.1f} {px - 4.5:.1f},{py + 3.5:.1f} {px + 4.5:.1f},{py + 3.5:.1f}" '
                     f'fill="#909497"/>')
        parts.append(f'<text x="{px + 6:.1f}" y="{py + 3:.1f}" {FONT} font-size="8" fill="#616a6b">{_t(sid)}</text>')
    for s in shots:
        col = SHOOTER_COLOURS[(max(1, int(s.get("shooter") or 1)) - 1) % len(SHOOTER_COLOURS)]
        px, py = xy(s["x_m"], s["y_m"])
        r = (s.get("err95_m") or 0.0) * scale
        if r > 1:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{r:.1f}" fill="{col}" fill-opacity="0.10" '
                         f'stroke="{col}" stroke-width="0.8" stroke-dasharray="3 2"/>')
    for s in shots:
        col = SHOOTER_COLOURS[(max(1, int(s.get("shooter") or 1)) - 1) % len(SHOOTER_COLOURS)]
        px, py = xy(s["x_m"], s["y_m"])
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{col}" stroke="#ffffff" stroke-width="0.8"/>')
        parts.append(f'<text x="{px + 5:.1f}" y="{py - 4:.1f}" {FONT} font-size="9" fill="{col}">{s.get("n", "")}</text>')
    # scale bar and north arrow
    bar_m = next((v for v in (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000) if v * scale >= pw * 0.15), 2000)
    yb = top + ph - 10
    parts.append(f'<line x1="{pad + 10}" y1="{yb}" x2="{pad + 10 + bar_m * scale:.1f}" y2="{yb}" stroke="{INK}" stroke-width="2"/>')
    parts.append(f'<text x="{pad + 10}" y="{yb - 4}" {FONT} font-size="9" fill="{INK}">{bar_m} m</text>')
    nx = pad + pw - 16
    parts.append(f'<polygon points="{nx},{top + 8} {nx - 5},{top + 22} {nx + 5},{top + 22}" fill="{INK}"/>')
    parts.append(f'<text x="{nx}" y="{top + 34}" {FONT} font-size="9" text-anchor="middle" fill="{INK}">N</text>')
    shooters = sorted({max(1, int(s.get("shooter") or 1)) for s in shots})
    for i, k in enumerate(shooters):
        col = SHOOTER_COLOURS[(k - 1) % len(SHOOTER_COLOURS)]
        parts.append(f'<circle cx="{pad + 14 + i * 80}" cy="{top + 12}" r="4" fill="{col}"/>')
        parts.append(f'<text x="{pad + 22 + i * 80}" y="{top + 15}" {FONT} font-size="9" fill="{INK}">shooter {k}</text>')
    parts.append("</svg>")
    return "".join(parts)


def waveform(samples: Sequence[float], sample_rate: float, *, markers_s: Sequence[tuple[float, str]] = (),
             title: str = "Waveform", width: int = 640, height: int = 160, columns: int = 600) -> str:
    """Peak envelope (min/max per pixel column) of ``samples`` with labelled time markers."""
    top, left, bottom = 24, 36, 18
    pw, ph = width - left - 8, height - top - bottom
    n = len(samples)
    parts = [_open(width, height), f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
             f'<text x="{left}" y="15" {FONT} font-size="12" font-weight="bold" fill="{INK}">{_t(title)}</text>',
             f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fbfcfc" stroke="{GRID}"/>']
    if n == 0:
        parts.append("</svg>")
        return "".join(parts)
    peak = max(1e-12, max(abs(float(v)) for v in samples))
    cols = max(2, min(columns, n))
    mid = top + ph / 2
    pts_top, pts_bot = [], []
    for c in range(cols):
        a, b = c * n // cols, max(c * n // cols + 1, (c + 1) * n // cols)
        seg = samples[a:b]
        hi, lo = max(seg) / peak, min(seg) / peak
        x = left + pw * c / (cols - 1)
        pts_top.append(f"{x:.1f},{mid - hi * ph / 2:.1f}")
        pts_bot.append(f"{x:.1f},{mid - lo * ph / 2:.1f}")
    parts.append(f'<polygon points="{" ".join(pts_top + pts_bot[::-1])}" fill="#1f618d" stroke="#1f618d" '
                 f'stroke-width="0.4"/>')
    dur = n / sample_rate
    step = next((v for v in (0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60) if dur / v <= 10), 60)
    t = 0.0
    while t <= dur + 1e-9:
        x = left + pw * t / dur
        parts.append(f'<text x="{x:.1f}" y="{top + ph + 12}" {FONT} font-size="8" text-anchor="middle" '
                     f'fill="{INK}">{t:g} s</text>')
        t += step
    for t_s, lab in markers_s:
        if 0 <= t_s <= dur:
            x = left + pw * t_s / dur
            parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#c0392b" '
                         f'stroke-width="0.8"/>')
            parts.append(f'<text x="{x + 2:.1f}" y="{top + 9}" {FONT} font-size="8" fill="#c0392b">{_t(lab)}</text>')
    parts.append("</svg>")
    return "".join(parts)
