"""Cycle presets: tertials (T1–T3) and quarters (Q1–Q4) of a year, and the period that follows a cycle.

Pure functions of dates and names (no Django imports), used by the cycles page, the cycle services' overlap
rule and the demo. A cycle's *kind* is read from its name: "T2 2027" is a tertial, "Q3 2027" a quarter,
anything else is custom. Cycles of the same kind may not overlap; a tertial and a quarter may.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

TERTIAL = "tertial"
QUARTER = "quarter"
CUSTOM = "custom"

# kind → (name prefix, periods per year, months per period)
_KINDS = {TERTIAL: ("T", 3, 4), QUARTER: ("Q", 4, 3)}
_NAME = re.compile(r"^(?P<prefix>[TQ])(?P<number>\d) (?P<year>\d{4})$")


@dataclass(frozen=True)
class Period:
    name: str
    start: dt.date
    end: dt.date  # the last day, inclusive
    kind: str = CUSTOM


def preset(kind: str, *, year: int, number: int) -> Period:
    """Tertial or quarter ``number`` (1-based) of ``year``: its name, first and last day."""
    prefix, per_year, months = _KINDS[kind]
    if not 1 <= number <= per_year:
        raise ValueError(f"{kind} {number} does not exist")
    start = dt.date(year, months * (number - 1) + 1, 1)
    end = dt.date(year + 1, 1, 1) if number == per_year else dt.date(year, months * number + 1, 1)
    return Period(name=f"{prefix}{number} {year}", start=start, end=end - dt.timedelta(days=1), kind=kind)


def presets_for(year: int) -> list[Period]:
    return [
        preset(kind, year=year, number=n)
        for kind in (TERTIAL, QUARTER)
        for n in range(1, _KINDS[kind][1] + 1)
    ]


def containing(kind: str, day: dt.date) -> Period:
    """The tertial or quarter that contains ``day``."""
    months = _KINDS[kind][2]
    return preset(kind, year=day.year, number=(day.month - 1) // months + 1)


def kind_of(name: str) -> str:
    match = _NAME.match(name.strip())
    if match is None:
        return CUSTOM
    kind = TERTIAL if match["prefix"] == "T" else QUARTER
    return kind if 1 <= int(match["number"]) <= _KINDS[kind][1] else CUSTOM


def next_period(*, name: str, start: dt.date, end: dt.date) -> Period:
    """What follows a cycle: the next tertial or quarter by name; for a custom cycle one of the same length
    starting the day after it ends (to be named by whoever creates it)."""
    kind = kind_of(name)
    if kind != CUSTOM:
        return containing(kind, end + dt.timedelta(days=1))
    length = end - start
    first = end + dt.timedelta(days=1)
    return Period(name="", start=first, end=first + length, kind=CUSTOM)


def overlaps(a_start: dt.date, a_end: dt.date, b_start: dt.date, b_end: dt.date) -> bool:
    return a_start <= b_end and b_start <= a_end
