"""Render a report ``Document`` as PDF with fpdf2 (offline; built-in Helvetica, so text
is mapped to Latin-1; figures are the same SVG as the HTML)."""
from __future__ import annotations

import io
import re
from pathlib import Path

from app.reports.blocks import Document, Facts, Figure, Heading, PageBreak, Para, Table
from app.reports.svg import latin1


def _svg_size(svg: str) -> tuple[float, float]:
    m = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    return (float(m.group(1)), float(m.group(2))) if m else (640.0, 300.0)


def to_pdf(doc: Document, path: str | Path | None = None) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class _PDF(FPDF):
        def header(self) -> None:
            if doc.banner:
                self.set_fill_color(185, 119, 14)
                self.set_text_color(255, 255, 255)
                self.set_font("helvetica", "B", 9)
                self.cell(0, 6, latin1(doc.banner), fill=True, new_x="LMARGIN", new_y="NEXT", align="C")
                self.set_text_color(34, 34, 34)
                self.ln(2)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("helvetica", "", 7)
            self.set_text_color(120, 120, 120)
            self.cell(0, 5, latin1(f"{doc.title} - {doc.footer}"), align="L")
            self.cell(0, 5, f"page {self.page_no()}/{{nb}}", align="R")
            self.set_text_color(34, 34, 34)

    pdf = _PDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(14, 12, 14)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_title(latin1(doc.title))
    pdf.set_creator("Tocsin")
    pdf.set_text_color(34, 34, 34)
    pdf.set_font("helvetica", "B", 17)
    pdf.multi_cell(0, 8, latin1(doc.title), new_x="LMARGIN", new_y="NEXT")
    if doc.subtitle:
        pdf.set_font("helvetica", "", 10)
        pdf.set_text_color(85, 85, 85)
        pdf.multi_cell(0, 5, latin1(doc.subtitle), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(34, 34, 34)
    pdf.ln(2)
    text_w = pdf.w - pdf.l_margin - pdf.r_margin
    for b in doc.blocks:
        if isinstance(b, Heading):
            if pdf.get_y() > pdf.h - 40:
                pdf.add_page()
            pdf.ln(3)
            pdf.set_font("helvetica", "B", 13 if b.level <= 2 else 11)
            pdf.set_text_color(31, 78, 121)
            pdf.multi_cell(0, 6, latin1(b.text), new_x="LMARGIN", new_y="NEXT")
            if b.level <= 2:
                pdf.set_draw_color(47, 102, 144)
                pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + text_w, pdf.get_y())
                pdf.ln(1.5)
            pdf.set_text_color(34, 34, 34)
        elif isinstance(b, Para):
            pdf.set_font("helvetica", "I" if b.style == "note" else "", 9 if b.style == "note" else 10)
            if b.style == "warning":
                pdf.set_fill_color(253, 235, 208)
            pdf.multi_cell(0, 5, latin1(b.text), fill=b.style == "warning", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif isinstance(b, Facts):
            kw = 62
            for k, v in b.items:
                pdf.set_font("helvetica", "", 9)
                pdf.set_text_color(85, 85, 85)
                pdf.cell(kw, 5, latin1(k))
                pdf.set_text_color(34, 34, 34)
                pdf.set_font("helvetica", "B", 9)
                pdf.multi_cell(text_w - kw, 5, latin1(str(v)), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif isinstance(b, Table):
            _table(pdf, b, text_w, FontFace)
        elif isinstance(b, Figure):
            w_px, h_px = _svg_size(b.svg)
            w = text_w * b.width_frac
            h = w * h_px / w_px
            if pdf.get_y() + h > pdf.h - 18:
                pdf.add_page()
            pdf.image(io.BytesIO(b.svg.encode("utf-8")), x=pdf.l_margin, y=pdf.get_y(), w=w)
            pdf.set_y(pdf.get_y() + h + 1)
            if b.caption:
                pdf.set_font("helvetica", "I", 8)
                pdf.multi_cell(0, 4, latin1(b.caption), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif isinstance(b, PageBreak):
            pdf.add_page()
    data = bytes(pdf.output())
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _table(pdf, b: Table, text_w: float, FontFace) -> None:
    pdf.set_font("helvetica", "", 8)
    widths = tuple(b.widths) if b.widths else tuple(1.0 for _ in b.headers)
    aligns = tuple("RIGHT" if i in b.align_right else "LEFT" for i in range(len(b.headers)))
    head = FontFace(emphasis="BOLD", fill_color=(234, 242, 248))
    with pdf.table(col_widths=widths, width=text_w, text_align=aligns, headings_style=head,
                   line_height=4.2, padding=0.8, borders_layout="HORIZONTAL_LINES", first_row_as_headings=True) as t:
        row = t.row()
        for h in b.headers:
            row.cell(latin1(str(h)))
        for r in b.rows:
            row = t.row()
            for c in r:
                row.cell(latin1(str(c)))
    if b.caption:
        pdf.set_font("helvetica", "I", 8)
        pdf.multi_cell(0, 4, latin1(b.caption), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
