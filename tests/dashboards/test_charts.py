"""The adoption panel's weekly bars: fixed 0–100 % scale, ticks for empty weeks, an escaped label."""

from __future__ import annotations

import re

from dashboards.charts import rate_bars


def bar_heights(svg: str) -> list[float]:
    return [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]


def test_bars_use_a_fixed_scale():
    # 90 % and 95 % are nearly the same height, not the bottom and the top of the chart.
    heights = bar_heights(rate_bars([90, 95, 0, 100], label="x", height=28))
    assert heights == [24.3, 25.6, 0.0, 27.0]


def test_a_week_without_key_results_is_a_short_tick():
    svg = rate_bars([None, 50], label="x", height=28)
    assert bar_heights(svg)[0] == 2
    assert 'fill="#4f5b67"' in svg


def test_out_of_range_rates_are_clamped():
    assert bar_heights(rate_bars([150, -5], label="x", height=28)) == [27.0, 0.0]


def test_the_label_names_the_chart_and_is_escaped():
    svg = rate_bars([10], label='Team "<b>"')
    assert 'role="img"' in svg
    assert 'aria-label="Team &quot;&lt;b&gt;&quot;"' in svg
