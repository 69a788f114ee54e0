"""A report as a list of plain blocks, rendered to HTML (``html.py``) or PDF (``pdf.py``)
from the same content: headings, paragraphs, key–value facts, tables and SVG figures."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence, Union


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    text: str
    style: str = ""        # "" | "note" | "warning"


@dataclass(frozen=True)
class Facts:
    """Key–value pairs shown as a two-column list."""
    items: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    widths: Sequence[float] = ()      # relative column widths (PDF); empty = equal
    caption: str = ""
    align_right: Sequence[int] = ()   # column indexes of numbers


@dataclass(frozen=True)
class Figure:
    svg: str
    caption: str = ""
    width_frac: float = 1.0           # share of the text width in the PDF


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Union[Heading, Para, Facts, Table, Figure, PageBreak]


@dataclass
class Document:
    title: str
    subtitle: str = ""
    banner: str = ""                  # e.g. "EXERCISE — training data only"
    footer: str = ""
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Document:
        self.blocks.extend(blocks)
        return self
