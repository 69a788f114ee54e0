"""Report periods: a calendar month or year in the agency's local time zone."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NS_PER_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Period:
    """``[start_ns, end_ns)`` in UTC nanoseconds; ``label`` as written (``2014-07``, ``2014``)."""

    label: str
    kind: str            # "month" | "year"
    year: int
    month: int | None
    tz: str
    start_ns: int
    end_ns: int

    @property
    def title(self) -> str:
        if self.kind == "year":
            return str(self.year)
        return datetime(self.year, self.month or 1, 1).strftime("%B %Y")


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}; use an IANA name such as America/Los_Angeles") from None


def _ns(dt: datetime) -> int:
    return int(dt.timestamp()) * NS_PER_S


def month(text: str, tz: str = "UTC") -> Period:
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month must look like 2014-07, got {text!r}")
    y, mo = int(m.group(1)), int(m.group(2))
    z = zone(tz)
    start = datetime(y, mo, 1, tzinfo=z)
    end = datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=z)
    return Period(f"{y:04d}-{mo:02d}", "month", y, mo, tz, _ns(start), _ns(end))


def year(text: str | int, tz: str = "UTC") -> Period:
    s = str(text).strip()
    if not re.fullmatch(r"\d{4}", s):
        raise ValueError(f"year must look like 2014, got {text!r}")
    y = int(s)
    z = zone(tz)
    return Period(s, "year", y, None, tz, _ns(datetime(y, 1, 1, tzinfo=z)), _ns(datetime(y + 1, 1, 1, tzinfo=z)))


def months_of(p: Period) -> list[Period]:
    """The months of a year period (the month itself for a month period)."""
    if p.kind == "month":
        return [p]
    return [month(f"{p.year}-{m:02d}", p.tz) for m in range(1, 13)]
