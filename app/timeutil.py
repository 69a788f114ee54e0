"""UTC time helpers shared by the CLI, readers and services (Qt-free)."""
from __future__ import annotations

from datetime import datetime, timezone


def parse_utc_ns(text: str) -> int:
    """ISO 8601 UTC time (``2018-12-19T00:49:26.000Z``) → integer ns since the epoch.

    Fractions of a second are kept to the nanosecond; a time without a zone is taken as UTC.
    """
    s = text.strip()
    frac_ns = 0
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    # Split off the fractional seconds ourselves (datetime keeps only microseconds).
    if "." in s:
        head, rest = s.split(".", 1)
        digits = ""
        while rest and rest[0].isdigit():
            digits += rest[0]
            rest = rest[1:]
        if not digits:
            raise ValueError(f"not an ISO 8601 time: {text!r}")
        frac_ns = int((digits + "000000000")[:9])
        s = head + rest
    try:
        dt = datetime.fromisoformat(s)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {text!r}") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    whole = int(dt.timestamp())
    return whole * 1_000_000_000 + frac_ns
