"""User-entered names reach pages and SVG charts escaped: team names, KPI names and units, chart labels."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from objectives.charts import Series, line_chart, sparkline

EVIL = '<script>alert("x")</script> & co'
ESCAPED = "&lt;script&gt;"


def test_chart_legend_and_axis_labels_are_escaped():
    start = dt.date(2027, 1, 4)
    svg = str(
        line_chart(
            chart_id='c"1',
            series=[
                Series(label=EVIL, points=[(start, 1), (start + dt.timedelta(days=7), 2)], style="actual")
            ],
            start=start,
            end=start + dt.timedelta(days=14),
            title=EVIL,
            description=EVIL,
            y_unit=EVIL,
            today=start + dt.timedelta(days=3),
            today_label=EVIL,
            week_label=lambda monday: EVIL,
        )
    )
    assert "<script>" not in svg and ESCAPED in svg
    ElementTree.fromstring(svg)  # still well-formed: nothing broke out of an attribute or element


def test_sparkline_label_is_escaped():
    svg = str(sparkline([1, 2], label=EVIL))
    assert "<script>" not in svg and 'aria-label="&lt;script&gt;alert(&quot;x&quot;)' in svg
    ElementTree.fromstring(svg)


@pytest.mark.django_db
def test_team_names_are_escaped_on_the_team_pages_and_dashboard(org, login):
    org.team.name = EVIL
    org.team.save()
    client = login(org.member)
    for url in (
        reverse("teams:list"),
        reverse("teams:detail", args=[org.team.slug]),
        reverse("dashboards:index"),
    ):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body, url
        assert ESCAPED in body, url
