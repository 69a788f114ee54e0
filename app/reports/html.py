"""Render a report ``Document`` as one self-contained HTML file (inline SVG and CSS; no
scripts, no network)."""
from __future__ import annotations

from html import escape

from app.reports.blocks import Document, Facts, Figure, Heading, PageBreak, Para, Table

CSS = """
body{font-family:Helvetica,Arial,sans-serif;color:#222;max-width:980px;margin:24px auto;padding:0 16px;line-height:1.4}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;border-bottom:2px solid #2f6690;padding-bottom:2px;margin-top:28px}
h3{font-size:15px;margin-top:18px} .subtitle{color:#555;margin-bottom:16px}
.banner{background:#b9770e;color:#fff;font-weight:bold;padding:8px 12px;margin:8px 0 16px;letter-spacing:.5px}
table{border-collapse:collapse;width:100%;margin:8px 0 4px;font-size:13px}
th{background:#eaf2f8;text-align:left;padding:4px 6px;border-bottom:1px solid #aab7b8}
td{padding:3px 6px;border-bottom:1px solid #e5e8e8;vertical-align:top} td.num{text-align:right;font-variant-numeric:tabular-nums}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;font-size:14px}
dl.facts dt{color:#555} dl.facts dd{margin:0;font-weight:600}
figure{margin:12px 0} figcaption,.caption{font-size:12px;color:#555}
p.note{color:#555;font-size:13px} p.warning{background:#fdebd0;padding:6px 10px}
footer{margin-top:32px;font-size:11px;color:#777;border-top:1px solid #ddd;padding-top:6px}
@media print{.pagebreak{page-break-after:always}}
"""


def to_html(doc: Document) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{escape(doc.title)}</title>", f"<style>{CSS}</style></head><body>",
           f"<h1>{escape(doc.title)}</h1>"]
    if doc.subtitle:
        out.append(f'<div class="subtitle">{escape(doc.subtitle)}</div>')
    if doc.banner:
        out.append(f'<div class="banner">{escape(doc.banner)}</div>')
    for b in doc.blocks:
        if isinstance(b, Heading):
            lvl = min(4, max(2, b.level))
            out.append(f"<h{lvl}>{escape(b.text)}</h{lvl}>")
        elif isinstance(b, Para):
            cls = f' class="{b.style}"' if b.style else ""
            out.append(f"<p{cls}>{escape(b.text)}</p>")
        elif isinstance(b, Facts):
            out.append('<dl class="facts">' + "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>"
                                                     for k, v in b.items) + "</dl>")
        elif isinstance(b, Table):
            head = "".join(f"<th>{escape(str(h))}</th>" for h in b.headers)
            body = []
            for row in b.rows:
                cells = "".join(f'<td{" class=num" if i in b.align_right else ""}>{escape(str(c))}</td>'
                                for i, c in enumerate(row))
                body.append(f"<tr>{cells}</tr>")
            cap = f'<div class="caption">{escape(b.caption)}</div>' if b.caption else ""
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{cap}")
        elif isinstance(b, Figure):
            cap = f"<figcaption>{escape(b.caption)}</figcaption>" if b.caption else ""
            out.append(f"<figure>{b.svg}{cap}</figure>")
        elif isinstance(b, PageBreak):
            out.append('<div class="pagebreak"></div>')
    if doc.footer:
        out.append(f"<footer>{escape(doc.footer)}</footer>")
    out.append("</body></html>")
    return "\n".join(out)
