"""The adoption panel's weekly bars: inline SVG drawn on the server, on a fixed 0–100 % scale.

``objectives.charts.sparkline`` scales to its own minimum and maximum, which suits a trend but would make
a team going from 90 % to 95 % look like one going from 0 % to 100 %; check-in rates need a fixed scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BAR = "#1f5fa8"
EMPTY = "#4f5b67"


def rate_bars(
    rates: Sequence[int | None], *, label: str, height: int = 28, bar: int = 7, gap: int = 2
) -> SafeString:
    """One bar per week, its height the percentage; a week without key results is a short grey tick."""
    width = max(len(rates) * (bar + gap) - gap, bar)
    out = [
        f'<svg class="rate-bars" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="0" y1="{height - 0.5}" x2="{width}" y2="{height - 0.5}" stroke="{EMPTY}" '
        'stroke-width="1"/>',
    ]
    for index, rate in enumerate(rates):
        x = index * (bar + gap)
        if rate is None:
            out.append(f'<rect x="{x}" y="{height - 2}" width="{bar}" height="2" fill="{EMPTY}"/>')
            continue
        bar_height = round((height - 1) * max(0, min(rate, 100)) / 100, 1)
        top = round(height - 1 - bar_height, 1)
        out.append(f'<rect x="{x}" y="{top}" width="{bar}" height="{bar_height}" fill="{BAR}"/>')
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - the only text, the label, is escaped


def weekly_bars(rates: Sequence[int | None], mondays: Sequence[date]) -> SafeString:
    """A team's bars of the weeks starting on ``mondays``, labelled with every week's number and rate."""
    weeks = ", ".join(
        _("week %(week)s: %(rate)s")
        % {"week": monday.isocalendar().week, "rate": "–" if rate is None else f"{rate} %"}
        for monday, rate in zip(mondays, rates, strict=True)
    )
    return rate_bars(rates, label=_("Key results checked in per week, %(weeks)s") % {"weeks": weeks})
