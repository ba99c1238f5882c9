"""Charts drawn on the server as inline SVG: no JavaScript, no chart library (why: README, "Charts").

Pure functions: they take numbers, dates and already translated labels and return SVG markup, so the key
result page, KPI pages and dashboard sparklines can share them and tests can read the output.

Colour is never the only signal: each line also has its own dash pattern and a text label in the legend,
and every chart carries a <title> and <desc> for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

from objectives import progress
from okrhub.numbers import format_number

Number = Decimal | int | float
Point = tuple[date, Number]

# Stroke colour (AA contrast on white), width, dash pattern and whether to draw point markers.
STYLES: dict[str, tuple[str, float, str | None, bool]] = {
    "actual": ("#1f5fa8", 3, None, True),
    "target": ("#1b6e2e", 2, "8 5", False),
    "threshold": ("#1b6e2e", 2, "12 4 2 4", False),  # the line a "stay" key result must hold
    "pace": ("#4f5b67", 2, "2 4", False),
    "plan": ("#4f5b67", 2, "2 4", True),  # the pace along a planned path, with a marker per milestone
}


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[Point]
    style: str = "actual"  # a key of STYLES


@dataclass(frozen=True)
class BurnupLabels:
    """Translated words for a burn-up chart; ``week`` is a %-format with ``week`` (e.g. "W%(week)d")."""

    actual: str
    target: str
    threshold: str  # the line to hold, for ``stay_above`` / ``stay_below``
    pace: str
    plan: str  # the pace along a planned path (milestones)
    today: str
    week: str

    @classmethod
    def for_key_result(cls) -> BurnupLabels:
        """A key result's burn-up in the active language (the key result page, the meeting's presenter)."""
        from django.utils.translation import gettext as _

        return cls(
            actual=_("Value"),
            target=_("Target"),
            threshold=_("Line to hold"),
            pace=_("Expected pace"),
            plan=_("Planned path"),
            today=_("Today"),
            week=_("W%(week)d"),
        )


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (steps of 1, 2, 2.5 or 5 × 10ⁿ) covering [low, high]."""
    if high < low:
        low, high = high, low
    if high == low:
        low, high = low - 1, high + 1
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _week_starts(start: date, end: date, *, max_count: int) -> list[date]:
    """The Mondays from ``start`` to ``end``, at most ``max_count`` of them (every n-th on long spans).

    Computed by offsets, never by stepping past ``end``: a stored cycle that ends near ``date.max`` or spans
    centuries must not overflow or draw a tick per pixel.
    """
    offset = (7 - start.weekday()) % 7
    if (end - start).days < offset:
        return []
    first = start + timedelta(days=offset)
    count = (end - first).days // 7 + 1
    stride = max(1, math.ceil(count / max(max_count, 1)))
    return [first + timedelta(days=7 * stride * index) for index in range(math.ceil(count / stride))]


def line_chart(
    *,
    chart_id: str,
    series: Sequence[Series],
    start: date,
    end: date,
    title: str,
    description: str,
    y_unit: str = "",
    today: date | None = None,
    today_label: str = "",
    week_label: Callable[[date], str] | None = None,
    width: int = 640,
    height: int = 300,
) -> SafeString:
    """A labelled line chart from ``start`` to ``end``: axes, week ticks, legend, optional today line."""
    left, right, top, bottom = 64, 16, 28, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(v) for s in series for _, v in s.points]
    ticks = nice_ticks(min(values, default=0.0), max(values, default=1.0))
    y_low, y_high = ticks[0], ticks[-1]
    span_days = max((end - start).days, 1)

    def x_of(day: date) -> float:
        days = min(max((day - start).days, 0), span_days)
        return round(left + plot_w * days / span_days, 1)

    def y_of(value: Number) -> float:
        return round(top + plot_h * (1 - (float(value) - y_low) / (y_high - y_low)), 1)

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    out = [
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]
    # Horizontal grid lines with value labels.
    for tick in ticks:
        y = y_of(tick)
        out.append(
            f'<line x1="{left}" y1="{y}" x2="{left + plot_w}" y2="{y}" stroke="#dde3ea" stroke-width="1"/>'
        )
        tick_text = escape(format_number(tick))
        out.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" fill="#1d2833">{tick_text}</text>')
    if y_unit:
        out.append(
            f'<text x="14" y="{top + plot_h / 2}" text-anchor="middle" fill="#1d2833" '
            f'transform="rotate(-90 14 {top + plot_h / 2})">{escape(y_unit)}</text>'
        )
    # Week ticks along the x axis; thinned out so labels never overlap.
    weeks = _week_starts(start, end, max_count=plot_w // 4)
    every = max(1, math.ceil(len(weeks) * 44 / plot_w))
    base_y = top + plot_h
    out.append(f'<line x1="{left}" y1="{base_y}" x2="{left + plot_w}" y2="{base_y}" stroke="#1d2833"/>')
    for index, monday in enumerate(weeks):
        x = x_of(monday)
        out.append(f'<line x1="{x}" y1="{base_y}" x2="{x}" y2="{base_y + 4}" stroke="#1d2833"/>')
        if week_label and index % every == 0:
            out.append(
                f'<text x="{x}" y="{base_y + 16}" text-anchor="middle" fill="#1d2833">'
                f"{escape(week_label(monday))}</text>"
            )
    if today is not None and start <= today <= end:
        x = x_of(today)
        out.append(
            f'<line class="chart-today" x1="{x}" y1="{top}" x2="{x}" y2="{base_y}" stroke="#a3141b" '
            'stroke-width="1" stroke-dasharray="1 3"/>'
        )
        if today_label:
            out.append(
                f'<text x="{x}" y="{top - 8}" text-anchor="middle" fill="#a3141b">'
                f"{escape(today_label)}</text>"
            )
    # The lines, then a legend that names each one next to a sample of its dash pattern.
    for s in series:
        colour, stroke_width, dash, markers = STYLES[s.style]
        coords = " ".join(f"{x_of(day)},{y_of(value)}" for day, value in s.points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<polyline class="chart-{escape(s.style)}" points="{coords}" fill="none" stroke="{colour}" '
            f'stroke-width="{stroke_width}" stroke-linejoin="round"{dash_attr}/>'
        )
        if markers:
            for day, value in s.points:
                out.append(
                    f'<circle cx="{x_of(day)}" cy="{y_of(value)}" r="4" fill="{colour}">'
                    f"<title>{escape(day.isoformat())}: {escape(format_number(value))}</title></circle>"
                )
    legend_y = height - 14
    legend_x = left
    for s in series:
        colour, stroke_width, dash, _ = STYLES[s.style]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{legend_x}" y1="{legend_y - 4}" x2="{legend_x + 28}" y2="{legend_y - 4}" '
            f'stroke="{colour}" stroke-width="{stroke_width}"{dash_attr}/>'
        )
        out.append(f'<text x="{legend_x + 34}" y="{legend_y}" fill="#1d2833">{escape(s.label)}</text>')
        legend_x += 34 + 7 * len(s.label) + 24
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every dynamic value above is escaped


def burnup_chart(
    *,
    chart_id: str,
    kind: str,
    start: date,
    end: date,
    start_value: Number,
    target_value: Number,
    points: Sequence[Point],
    labels: BurnupLabels,
    title: str,
    description: str,
    y_unit: str = "",
    today: date | None = None,
    milestones: Sequence[Point] = (),
    width: int = 880,
    height: int = 320,
) -> SafeString:
    """Value over the cycle's weeks with the target line and, for the kinds with a pace, the expected pace
    from start value to target: the straight line, or the planned path through the ``milestones``
    (``progress.planned_path``). A "stay" key result shows the line it must hold (the threshold) instead of
    a target, and neither it nor an ``achieve`` key result has a pace line (``progress.PACED_KINDS``)."""
    actual = [(start, start_value), *[(day, value) for day, value in points if start <= day <= end]]
    line = ((start, target_value), (end, target_value))
    if kind in (progress.STAY_ABOVE, progress.STAY_BELOW):
        series = [Series(labels.threshold, line, "threshold")]
    else:
        series = [Series(labels.target, line, "target")]
    if kind in progress.PACED_KINDS:
        path = progress.planned_path(
            start=start_value, target=target_value, cycle_start=start, cycle_end=end, milestones=milestones
        )
        if len(path) > 2:
            series.append(Series(labels.plan, path, "plan"))
        else:
            series.append(Series(labels.pace, path, "pace"))
    series.append(Series(labels.actual, actual, "actual"))
    return line_chart(
        chart_id=chart_id,
        series=series,
        start=start,
        end=end,
        title=title,
        description=description,
        y_unit=y_unit,
        today=today,
        today_label=labels.today,
        week_label=lambda monday: labels.week % {"week": monday.isocalendar().week},
        width=width,
        height=height,
    )


def sparkline(values: Sequence[Number], *, label: str, width: int = 120, height: int = 28) -> SafeString:
    """A tiny trend line for tables and dashboard cards; ``label`` says in words what it shows."""
    numbers = [float(v) for v in values]
    out = [
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    if numbers:
        low, high = min(numbers), max(numbers)
        spread = (high - low) or 1.0
        step = (width - 4) / max(len(numbers) - 1, 1)
        coords = [
            (round(2 + i * step, 1), round(2 + (height - 4) * (1 - (n - low) / spread), 1))
            for i, n in enumerate(numbers)
        ]
        joined = " ".join(f"{x},{y}" for x, y in coords)
        out.append(f'<polyline points="{joined}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
        last_x, last_y = coords[-1]
        out.append(f'<circle cx="{last_x}" cy="{last_y}" r="2.5" fill="#1f5fa8"/>')
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - the only text, the label, is escaped
