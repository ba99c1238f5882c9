"""The planned path editor on a key result's workshop page (workshops:key_result_plan)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from objectives.models import KeyResult, Milestone, Objective
from objectives.services import key_result_plan_set
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {"HTTP_HX_REQUEST": "true"}


def _day(org, days: int) -> dt.date:
    return org.cycle.start_date + dt.timedelta(days=days)


def _rows(*rows, total: int | None = None, initial: int = 0) -> dict:
    data = {
        "plan-TOTAL_FORMS": str(total if total is not None else len(rows)),
        "plan-INITIAL_FORMS": str(initial),
        "plan-MIN_NUM_FORMS": "0",
        "plan-MAX_NUM_FORMS": "24",
    }
    for index, row in enumerate(rows):
        day, value, *delete = row
        data[f"plan-{index}-date"] = day
        data[f"plan-{index}-planned_value"] = value
        if delete:
            data[f"plan-{index}-DELETE"] = "on"
    return data


def _url(key_result) -> str:
    return reverse("workshops:key_result_plan", args=[key_result.pk])


def _plan(key_result) -> list[tuple[dt.date, Decimal]]:
    return list(Milestone.objects.filter(key_result=key_result).values_list("date", "planned_value"))


def test_the_edit_page_has_the_plan_editor_prefilled(org, login):
    key_result_plan_set(key_result=org.key_result, actor=org.lead, milestones=[(_day(org, 30), 12)])
    html = (
        login(org.lead)
        .get(reverse("workshops:key_result_edit", args=[org.key_result.pk]), **EN)
        .content.decode()
    )
    assert 'id="kr-plan"' in html and f'action="{_url(org.key_result)}"' in html
    assert f'value="{_day(org, 30).isoformat()}"' in html and 'name="plan-0-planned_value"' in html
    assert 'name="plan-2-date"' in html  # one milestone and two empty rows


def test_a_lead_sets_the_plan_without_javascript(org, login):
    # Norwegian, so "12,5" is twelve and a half.
    data = _rows((_day(org, 60).isoformat(), "30"), (_day(org, 30).isoformat(), "12,5"), ("", ""))
    response = login(org.lead).post(_url(org.key_result), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("workshops:key_result_edit", args=[org.key_result.pk])
    assert _plan(org.key_result) == [(_day(org, 30), Decimal("12.5")), (_day(org, 60), Decimal(30))]


def test_over_htmx_the_editor_swaps_in_place(org, login):
    response = login(org.lead).post(
        _url(org.key_result), _rows((_day(org, 30).isoformat(), "20")), **EN, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="kr-plan"' in body and "The planned path was saved." in body
    assert f'value="{_day(org, 30).isoformat()}"' in body


def test_removing_rows_removes_milestones(org, login):
    key_result_plan_set(
        key_result=org.key_result, actor=org.lead, milestones=[(_day(org, 30), 12), (_day(org, 60), 30)]
    )
    data = _rows((_day(org, 30).isoformat(), "12", "delete"), (_day(org, 60).isoformat(), "30"), initial=2)
    login(org.lead).post(_url(org.key_result), data)
    assert _plan(org.key_result) == [(_day(org, 60), Decimal(30))]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(None, "20")], "Give the date of this milestone."),
        ([("{d30}", "")], "Give the value planned by this date."),
        ([("{d30}", "99")], "between the start value and the target"),
        ([("{d0}", "20")], "after the cycle starts"),
        ([("{d30}", "20"), ("{d30}", "25")], "one milestone per date"),
        ([("{d30}", "lots")], "Enter a number."),
    ],
)
def test_bad_rows_are_explained_and_change_nothing(org, login, rows, message):
    key_result_plan_set(key_result=org.key_result, actor=org.lead, milestones=[(_day(org, 45), 25)])
    days = {"{d0}": _day(org, 0).isoformat(), "{d30}": _day(org, 30).isoformat()}
    data = _rows(*[(days.get(day, "") if day else "", value) for day, value in rows])
    response = login(org.lead).post(_url(org.key_result), data, **EN)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and 'role="alert"' in body
    assert _plan(org.key_result) == [(_day(org, 45), Decimal(25))]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("teammate", 403), ("outsider", 403), ("lead", 302), ("section_leader", 302)],
)
def test_who_may_change_a_published_key_result_s_plan(org, login, persona, status):
    response = login(getattr(org, persona)).post(
        _url(org.key_result), _rows((_day(org, 30).isoformat(), "20"))
    )
    assert response.status_code == status
    assert bool(_plan(org.key_result)) is (status == 302)


def test_the_team_drafts_a_plan_in_the_workshop_and_other_teams_do_not_see_it(org, login):
    cycle = CycleFactory(
        name="Next", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 3, 31), status="planning"
    )
    draft = ObjectiveFactory(team=org.team, cycle=cycle, status=Objective.Status.DRAFT)
    key_result = KeyResultFactory(objective=draft)
    data = _rows(("2030-02-01", "20"))
    assert login(org.outsider).post(_url(key_result), data).status_code == 404
    assert login(org.member).post(_url(key_result), data).status_code == 302
    assert _plan(key_result) == [(dt.date(2030, 2, 1), Decimal(20))]


@pytest.mark.parametrize("kind", [KeyResult.Kind.ACHIEVE, KeyResult.Kind.STAY_ABOVE])
def test_kinds_without_a_pace_have_no_plan_editor(org, login, kind):
    key_result = KeyResultFactory(objective=org.objective, kind=kind, start_value=0, target_value=1)
    html = login(org.lead).get(reverse("workshops:key_result_edit", args=[key_result.pk])).content.decode()
    assert 'id="kr-plan"' not in html
    assert login(org.lead).post(_url(key_result), _rows((_day(org, 30).isoformat(), "1"))).status_code == 403


def test_a_closed_cycle_s_plan_cannot_change(org, login):
    org.cycle.status = "closed"
    org.cycle.save()
    assert (
        login(org.lead).post(_url(org.key_result), _rows((_day(org, 30).isoformat(), "20"))).status_code
        == 403
    )
