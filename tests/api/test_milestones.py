"""/api/v1/key-results/<id>/milestones/: read and replace a key result's planned path."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from objectives.models import Milestone, Objective

pytestmark = pytest.mark.django_db


def _url(key_result) -> str:
    return f"/api/v1/key-results/{key_result.pk}/milestones/"


def _day(org, days: int) -> str:
    return (org.cycle.start_date + dt.timedelta(days=days)).isoformat()


def test_a_lead_sets_reads_and_removes_the_plan(org, api):
    plan = [{"date": _day(org, 60), "planned_value": "30"}, {"date": _day(org, 30), "planned_value": "10"}]
    response = api(org.lead).put(_url(org.key_result), plan, format="json")
    assert response.status_code == 200, response.json()
    expected = [
        {"date": _day(org, 30), "planned_value": "10.0000"},
        {"date": _day(org, 60), "planned_value": "30.0000"},
    ]
    assert response.json() == expected
    assert api(org.member).get(_url(org.key_result)).json() == expected

    assert api(org.lead).put(_url(org.key_result), [], format="json").json() == []
    assert not Milestone.objects.exists()


def test_expected_progress_follows_the_plan(org, api):
    # The cycle started 45 days ago; a plan of nothing until day 60 expects nothing yet.
    api(org.lead).put(_url(org.key_result), [{"date": _day(org, 60), "planned_value": "10"}], format="json")
    body = api(org.member).get(f"/api/v1/key-results/{org.key_result.pk}/").json()
    assert body["expected_progress"] == 0.0


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        ([{"date": "2001-01-01", "planned_value": "20"}], "milestones"),
        ([{"date": "day 1", "planned_value": "20"}], "date"),
        ([{"planned_value": "20"}], "date"),
        ("not a list", "non_field_errors"),
    ],
)
def test_bad_plans_are_400_and_change_nothing(org, api, plan, field):
    api(org.lead).put(_url(org.key_result), [{"date": _day(org, 30), "planned_value": "20"}], format="json")
    response = api(org.lead).put(_url(org.key_result), plan, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in json.dumps(body), body  # list errors come keyed by row: {"0": {"date": […]}}
    assert list(Milestone.objects.values_list("planned_value", flat=True)) == [20]


@pytest.mark.parametrize(("persona", "status"), [("member", 403), ("outsider", 403), ("section_leader", 200)])
def test_only_who_may_change_the_key_result_changes_its_plan(org, api, persona, status):
    plan = [{"date": _day(org, 30), "planned_value": "20"}]
    assert api(getattr(org, persona)).put(_url(org.key_result), plan, format="json").status_code == status


def test_another_team_s_draft_plan_is_not_found(org, api):
    Objective.objects.filter(pk=org.other_objective.pk).update(status=Objective.Status.DRAFT)
    assert api(org.member).get(_url(org.other_key_result)).status_code == 404


def test_a_closed_cycle_s_plan_cannot_change(org, api):
    org.cycle.status = "closed"
    org.cycle.save()
    plan = [{"date": _day(org, 30), "planned_value": "20"}]
    response = api(org.lead).put(_url(org.key_result), plan, format="json")
    assert response.status_code == 409  # read-only in its state (objectives/writability.py), whoever asks
    assert not org.key_result.milestones.exists()
