"""Cycle and due dates are bounded to 2000–2100; pages and charts survive any date already stored."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from objectives import services
from objectives.charts import BurnupLabels, burnup_chart
from objectives.models import Cycle, Initiative
from tests.factories import InitiativeFactory


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


LABELS = BurnupLabels(
    actual="Value",
    target="Target",
    threshold="Line to hold",
    pace="Expected pace",
    plan="Planned path",
    today="Today",
    week="W%(week)d",
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end"),
    [(dt.date(1, 1, 1), dt.date(2027, 1, 1)), (dt.date(2027, 1, 1), dt.date(9999, 12, 31))],
)
def test_it_refuses_a_cycle_outside_the_years_2000_to_2100(start, end):
    with translation.override("nb"), pytest.raises(ValidationError) as error:
        services.cycle_create(name="Feiltastet", start_date=start, end_date=end)
    assert "mellom årene 2000 og 2100" in " ".join(error.value.messages)
    assert not Cycle.objects.filter(name="Feiltastet").exists()


@pytest.mark.django_db
def test_it_accepts_the_bounds_themselves():
    cycle = services.cycle_create(name="Lang", start_date=dt.date(2000, 1, 1), end_date=dt.date(2100, 12, 31))
    assert cycle.pk


def test_the_api_answers_400_with_the_field_error(org):
    response = api(org.staff).post(
        "/api/v1/cycles/", {"name": "Feil", "start_date": "0001-01-01", "end_date": "9999-12-31"}
    )
    assert response.status_code == 400
    body = response.json()
    assert "2000" in body["start_date"][0] and "2100" in body["end_date"][0]
    assert not Cycle.objects.filter(name="Feil").exists()
    kept = org.cycle.end_date
    response = api(org.staff).patch(f"/api/v1/cycles/{org.cycle.pk}/", {"end_date": "2101-01-01"})
    assert response.status_code == 400
    org.cycle.refresh_from_db()
    assert org.cycle.end_date == kept


def test_the_api_refuses_an_initiative_due_far_away(org):
    initiative = InitiativeFactory(objective=org.objective, owner=org.member)
    response = api(org.member).patch(f"/api/v1/initiatives/{initiative.pk}/", {"due_date": "1999-12-31"})
    assert response.status_code == 400
    assert "due_date" in response.json()
    initiative.refresh_from_db()
    assert initiative.due_date is None


def test_the_admin_form_refuses_year_one(org, rf):
    form_class = site._registry[Cycle].get_form(rf.get("/"), None)
    form = form_class(
        data={"name": "Admin", "start_date": "0001-01-01", "end_date": "2027-01-01", "status": "planning"}
    )
    assert not form.is_valid()
    assert "start_date" in form.errors


def test_the_initiative_model_refuses_a_due_date_in_2101(org):
    initiative = Initiative(objective=org.objective, title="X", due_date=dt.date(2101, 1, 1))
    with pytest.raises(ValidationError) as error:
        initiative.full_clean()
    assert "due_date" in error.value.message_dict


@pytest.mark.parametrize(
    ("start", "end", "today"),
    [
        (dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2027, 1, 20)),
        (dt.date(9999, 12, 24), dt.date(9999, 12, 31), dt.date(9999, 12, 31)),
        (dt.date(1, 1, 1), dt.date(1, 1, 2), dt.date(1, 1, 1)),
    ],
)
def test_the_burnup_chart_draws_any_date_range(start, end, today):
    svg = burnup_chart(
        chart_id="c",
        kind="increase_to",
        start=start,
        end=end,
        start_value=0,
        target_value=10,
        points=[(today, 5)],
        labels=LABELS,
        title="t",
        description="d",
        today=today,
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    # Week ticks are thinned to at most one per 4 px of the plot, whatever the span.
    assert len(re.findall(r"<line ", svg)) < 400


def test_pages_answer_200_with_extreme_stored_dates(org, client):
    # Dates like these can only be stored behind the validators' back (an old row, a raw update).
    Cycle.objects.filter(pk=org.cycle.pk).update(start_date=dt.date(1, 1, 1), end_date=dt.date(9999, 12, 31))
    InitiativeFactory(objective=org.objective, owner=org.member)
    Initiative.objects.update(due_date=dt.date(9999, 12, 31))
    client.force_login(org.lead)
    urls = [
        reverse("checkins:key_result_detail", args=[org.key_result.pk]),
        reverse("checkins:my_week"),
        reverse("dashboards:index") + f"?cycle={org.cycle.pk}",
        reverse("teams:detail", args=[org.team.slug]),
        reverse("workshops:board", args=[org.team.slug, org.cycle.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    client.post(
        reverse("checkins:checkin_create", args=[org.key_result.pk]), {"value": "12", "confidence": "7"}
    )
    assert client.get(urls[0]).status_code == 200
