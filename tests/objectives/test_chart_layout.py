"""Charts fill their container (responsive SVG) and label their x axis, the KPI chart too."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from objectives.charts import Series, line_chart
from workshops.services import kpi_checkin_submit, kpi_promote


def test_a_line_chart_is_as_wide_as_its_container_and_keeps_its_proportions():
    start = timezone.localdate()
    svg = str(
        line_chart(
            chart_id="c",
            series=[Series("Verdi", [(start, 1), (start + timedelta(days=14), 2)])],
            start=start,
            end=start + timedelta(days=28),
            title="t",
            description="d",
            width=880,
            height=320,
        )
    )
    root = re.match(r"<svg [^>]*>", svg).group(0)
    assert 'viewBox="0 0 880 320"' in root
    assert 'width="100%"' in root
    assert "height=" not in root  # the height follows from the width and the viewBox


def test_the_kpi_chart_labels_its_weeks(org, login, client):
    kpi = kpi_promote(
        key_result=org.key_result, actor=org.lead, name="Kurs", unit="", kind="stay_above", target_value=30
    )
    kpi_checkin_submit(kpi=kpi, author=org.lead, value=Decimal(12), note="")
    client.cookies["django_language"] = "en"
    html = login(org.member).get(reverse("workshops:kpi_detail", args=[kpi.pk])).content.decode()
    chart = re.search(r'<svg id="kpi-\d+-chart".*?</svg>', html, re.S).group(0)
    today = timezone.localdate()
    next_monday = today + timedelta(days=7 - today.weekday())
    labels = re.findall(r'<text [^>]*text-anchor="middle"[^>]*>(W\d+)</text>', chart)
    assert labels, "the x axis has week labels"
    assert f"W{next_monday.isocalendar().week}" in labels
