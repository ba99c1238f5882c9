"""The inline SVG charts: pure functions from numbers and labels to labelled, escaped SVG."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.utils import translation

from objectives import progress
from objectives.charts import (
    BurnupLabels,
    Series,
    burnup_chart,
    line_chart,
    nice_ticks,
    sparkline,
)
from okrhub.numbers import format_number

LABELS = BurnupLabels(
    actual="Value",
    target="Target",
    threshold="Line to hold",
    pace="Expected pace",
    plan="Planned path",
    today="Today",
    week="W%(week)d",
)
START, END = dt.date(2027, 1, 1), dt.date(2027, 3, 31)
SVG = "{http://www.w3.org/2000/svg}"


def _burnup(**overrides) -> str:
    kwargs = {
        "chart_id": "burnup-1",
        "kind": progress.INCREASE_TO,
        "start": START,
        "end": END,
        "start_value": Decimal(10),
        "target_value": Decimal(40),
        "points": [(dt.date(2027, 1, 8), Decimal(12)), (dt.date(2027, 1, 15), Decimal(18))],
        "labels": LABELS,
        "title": "Burn-up: courses",
        "description": "Increase from 10 to 40 courses.",
        "y_unit": "courses",
        "today": dt.date(2027, 1, 20),
    }
    kwargs.update(overrides)
    return str(burnup_chart(**kwargs))


def test_it_is_well_formed_svg_with_title_and_description():
    root = ElementTree.fromstring(_burnup())
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "burnup-1-title burnup-1-desc"
    assert root.find(f"{SVG}title").text == "Burn-up: courses"
    assert root.find(f"{SVG}desc").text == "Increase from 10 to 40 courses."


def test_it_draws_value_target_and_pace_lines_with_a_legend():
    root = ElementTree.fromstring(_burnup())
    lines = {p.get("class"): p for p in root.iter(f"{SVG}polyline")}
    assert set(lines) == {"chart-actual", "chart-target", "chart-pace"}
    # Colour is not the only difference: target and pace are dashed differently, value is solid.
    assert lines["chart-actual"].get("stroke-dasharray") is None
    assert lines["chart-target"].get("stroke-dasharray") != lines["chart-pace"].get("stroke-dasharray")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for label in ("Value", "Target", "Expected pace", "Today", "courses", "W1"):
        assert label in texts


def test_the_value_line_starts_at_the_start_value_and_rises_with_the_points():
    root = ElementTree.fromstring(_burnup())
    actual = next(p for p in root.iter(f"{SVG}polyline") if p.get("class") == "chart-actual")
    coords = [tuple(map(float, pair.split(","))) for pair in actual.get("points").split()]
    assert len(coords) == 3
    xs, ys = zip(*coords, strict=True)
    assert xs == tuple(sorted(xs))
    assert ys[0] > ys[1] > ys[2]  # SVG y grows downwards: higher values sit higher


def test_the_pace_line_runs_from_start_value_to_target_over_the_cycle():
    root = ElementTree.fromstring(_burnup())
    pace = next(p for p in root.iter(f"{SVG}polyline") if p.get("class") == "chart-pace")
    target = next(p for p in root.iter(f"{SVG}polyline") if p.get("class") == "chart-target")
    (x0, y0), (x1, y1) = [tuple(map(float, pair.split(","))) for pair in pace.get("points").split()]
    (_, ty0), (tx1, ty1) = [tuple(map(float, pair.split(","))) for pair in target.get("points").split()]
    assert x1 == tx1 and y1 == ty1 == ty0  # the pace line ends on the target at the end of the cycle
    assert y0 > y1


def test_it_leaves_out_points_outside_the_cycle():
    svg = _burnup(points=[(dt.date(2026, 12, 1), Decimal(99)), (dt.date(2027, 1, 15), Decimal(18))])
    root = ElementTree.fromstring(svg)
    assert len(list(root.iter(f"{SVG}circle"))) == 2  # start value + one check-in


def test_it_escapes_every_label():
    svg = _burnup(title="<script>x</script>", y_unit="<b>", description='"quoted" & more')
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg
    ElementTree.fromstring(svg)


def test_it_copes_with_a_flat_key_result_and_no_points():
    svg = _burnup(start_value=Decimal(5), target_value=Decimal(5), points=[])
    ElementTree.fromstring(svg)


def test_it_thins_out_week_labels_on_a_long_cycle():
    svg = _burnup(end=dt.date(2027, 12, 31))
    week_labels = re.findall(r">W\d+<", svg)
    assert 8 <= len(week_labels) < 52


def test_line_chart_takes_any_series():
    svg = str(
        line_chart(
            chart_id="kpi-7",
            series=[Series("NPS", [(START, 10), (dt.date(2027, 2, 1), 30)], "actual")],
            start=START,
            end=END,
            title="NPS",
            description="NPS over the quarter",
        )
    )
    root = ElementTree.fromstring(svg)
    assert root.get("id") == "kpi-7"
    assert [t.text for t in root.iter(f"{SVG}text")][-1] == "NPS"


def test_nice_ticks_are_round_and_cover_the_range():
    assert nice_ticks(10, 40) == [10, 20, 30, 40]
    ticks = nice_ticks(0.3, 0.9)
    assert ticks[0] <= 0.3 and ticks[-1] >= 0.9
    assert nice_ticks(5, 5) == [4, 4.5, 5, 5.5, 6]


def test_format_number_drops_trailing_zeros_in_the_active_language():
    with translation.override("en"):
        assert format_number(Decimal("10.0000")) == "10"
        assert format_number(Decimal("12.5000")) == "12.5"
    with translation.override("nb"):
        assert format_number(Decimal("12.5000")) == "12,5"


def test_sparkline_has_a_label_and_a_point_per_value():
    svg = str(sparkline([1, 3, 2, 5], label="Progress the last 4 weeks: 1, 3, 2, 5"))
    root = ElementTree.fromstring(svg)
    assert root.get("aria-label") == "Progress the last 4 weeks: 1, 3, 2, 5"
    assert len(root.find(f"{SVG}polyline").get("points").split()) == 4


def test_sparkline_without_values_is_an_empty_labelled_svg():
    root = ElementTree.fromstring(str(sparkline([], label="No data")))
    assert root.find(f"{SVG}polyline") is None
    assert root.get("role") == "img"


def _lines(svg: str) -> dict[str, list[tuple[float, float]]]:
    root = ElementTree.fromstring(svg)
    return {
        p.get("class"): [tuple(map(float, pair.split(","))) for pair in p.get("points").split()]
        for p in root.iter(f"{SVG}polyline")
    }


@pytest.mark.parametrize("kind", [progress.STAY_ABOVE, progress.STAY_BELOW])
def test_a_stay_key_result_shows_the_line_to_hold_and_no_pace(kind):
    svg = _burnup(
        kind=kind, start_value=Decimal(80), target_value=Decimal(80), points=[(dt.date(2027, 1, 8), 83)]
    )
    lines = _lines(svg)
    assert set(lines) == {"chart-actual", "chart-threshold"}
    (x0, y0), (x1, y1) = lines["chart-threshold"]
    assert y0 == y1 and x0 < x1  # a flat line across the whole cycle
    texts = [t.text for t in ElementTree.fromstring(svg).iter(f"{SVG}text")]
    assert "Line to hold" in texts
    assert "Expected pace" not in texts and "Target" not in texts


def test_an_achieve_key_result_has_a_target_but_no_pace():
    lines = _lines(_burnup(kind=progress.ACHIEVE, start_value=0, target_value=1, points=[]))
    assert set(lines) == {"chart-actual", "chart-target"}


@pytest.mark.parametrize("kind", progress.PACED_KINDS)
def test_kinds_with_a_pace_draw_it(kind):
    target = Decimal(40) if kind == progress.INCREASE_TO else Decimal(2)
    assert "chart-pace" in _lines(_burnup(kind=kind, target_value=target))


def test_a_plan_bends_the_pace_line_through_the_milestones():
    milestones = [(dt.date(2027, 2, 15), Decimal(10)), (dt.date(2027, 3, 15), Decimal(30))]
    svg = _burnup(milestones=milestones)
    lines = _lines(svg)
    assert set(lines) == {"chart-actual", "chart-target", "chart-plan"}
    plan = lines["chart-plan"]
    assert len(plan) == 4  # start, two milestones, target
    xs, ys = zip(*plan, strict=True)
    assert xs == tuple(sorted(xs))
    assert ys[0] == ys[1]  # flat until the first milestone: collect data first
    assert ys[1] > ys[2] > ys[3]  # then up to the target
    target_y = lines["chart-target"][0][1]
    assert ys[3] == target_y
    root = ElementTree.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Planned path" in texts and "Expected pace" not in texts
    # Each milestone is a point with its date and planned value in words.
    titles = [t.text for c in root.iter(f"{SVG}circle") for t in c.iter(f"{SVG}title")]
    assert "2027-02-15: 10" in titles and "2027-03-15: 30" in titles


def test_a_plan_means_nothing_to_a_stay_key_result():
    svg = _burnup(kind=progress.STAY_ABOVE, target_value=Decimal(10), milestones=[(dt.date(2027, 2, 15), 12)])
    assert set(_lines(svg)) == {"chart-actual", "chart-threshold"}
