"""Bad input is a 400 with field errors, never a 500, and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from checkins.models import CheckIn
from objectives.models import Cycle, KeyResult, Objective
from teams.models import Membership
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory

HUGE = "1" + "0" * 13  # 13 digits before the point: more than DecimalField(16, 4) holds


# --- Check-ins ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"value": "mange", "confidence": 7}, "value"),
        ({"value": "20", "confidence": "høy"}, "confidence"),
        ({"value": "20", "confidence": 0}, "confidence"),
        ({"value": "20", "confidence": 11}, "confidence"),
        ({"value": HUGE, "confidence": 7}, "value"),
        ({"value": "1.23456", "confidence": 7}, "value"),
        ({"value": "NaN", "confidence": 7}, "value"),
        ({"value": None, "confidence": 7}, "value"),
        ({"confidence": 7}, "value"),
        ({"value": "20", "confidence": 7, "note": "x" * 2001}, "note"),
    ],
)
def test_it_rejects_bad_checkins(org, api, data, field):
    response = api(org.member).post("/api/v1/checkins/", {"key_result": org.key_result.pk, **data})
    assert response.status_code == 400
    assert field in response.json()
    assert not CheckIn.objects.exists()
    org.key_result.refresh_from_db()
    assert org.key_result.current_value == Decimal(10)


@pytest.mark.parametrize("key_result", ["abc", 999999, 10**30, None, [1]])
def test_it_rejects_unknown_key_results(org, api, key_result):
    response = api(org.member).post(
        "/api/v1/checkins/", {"key_result": key_result, "value": 1, "confidence": 5}
    )
    assert response.status_code == 400
    assert "key_result" in response.json()


def test_it_rejects_a_checkin_on_a_key_result_of_a_closed_cycle(org, api):
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    response = api(org.member).post(
        "/api/v1/checkins/", {"key_result": org.key_result.pk, "value": "20", "confidence": 7}
    )
    assert response.status_code == 409
    assert "detail" in response.json()
    assert not CheckIn.objects.exists()


def test_it_rejects_a_checkin_on_a_draft(org, api):
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT)
    key_result = KeyResultFactory(objective=draft)
    response = api(org.member).post(
        "/api/v1/checkins/", {"key_result": key_result.pk, "value": 1, "confidence": 5}
    )
    assert response.status_code == 409
    assert "detail" in response.json()


def test_it_wants_done_or_not_done_for_achieve(org, api):
    key_result = KeyResultFactory(
        objective=org.objective, kind=KeyResult.Kind.ACHIEVE, start_value=0, target_value=1
    )
    response = api(org.member).post(
        "/api/v1/checkins/", {"key_result": key_result.pk, "value": 2, "confidence": 5}
    )
    assert response.status_code == 400
    assert "value" in response.json()


def test_it_rejects_a_malformed_json_body(org, api):
    response = api(org.member).generic(
        "POST", "/api/v1/checkins/", '{"value": ', content_type="application/json"
    )
    assert response.status_code == 400


def test_it_keeps_a_checkin_on_its_key_result(org, api):
    other = KeyResultFactory(objective=org.objective)
    create = api(org.member).post(
        "/api/v1/checkins/", {"key_result": org.key_result.pk, "value": 15, "confidence": 5}
    )
    response = api(org.member).patch(f"/api/v1/checkins/{create.json()['id']}/", {"key_result": other.pk})
    assert response.status_code == 400
    assert "key_result" in response.json()


# --- Key results -------------------------------------------------------------------------------------------


def key_result_data(org, **overrides):
    return {
        "objective": org.objective.pk,
        "title": "Øke påmeldinger",
        "kind": "increase_to",
        "start_value": "10",
        "target_value": "40",
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"target_value": "5"}, "target_value"),  # increase_to below its start
        ({"kind": "decrease_to", "target_value": "50"}, "target_value"),
        ({"start_value": "ti"}, "start_value"),
        ({"target_value": HUGE}, "target_value"),
        ({"target_value": "-" + HUGE}, "target_value"),
        ({"weight": "0"}, "weight"),
        ({"weight": "1000000"}, "weight"),
        ({"kind": "double_it"}, "kind"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"objective": 999999}, "objective"),
        ({"objective": "første"}, "objective"),
        ({"owner": 999999}, "owner"),
    ],
)
def test_it_rejects_bad_key_results(org, api, overrides, field):
    response = api(org.lead).post("/api/v1/key-results/", key_result_data(org, **overrides))
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert KeyResult.objects.count() == 2


def test_it_rejects_a_key_result_in_a_closed_cycle(org, api):
    closed = CycleFactory(name="Q3 closed", status=Cycle.Status.CLOSED)
    objective = ObjectiveFactory(team=org.team, cycle=closed)
    response = api(org.lead).post("/api/v1/key-results/", key_result_data(org, objective=objective.pk))
    assert response.status_code == 409
    assert "detail" in response.json()


def test_it_checks_a_partial_update_against_the_stored_values(org, api):
    response = api(org.lead).patch(f"/api/v1/key-results/{org.key_result.pk}/", {"target_value": "5"})
    assert response.status_code == 400
    assert "target_value" in response.json()
    org.key_result.refresh_from_db()
    assert org.key_result.target_value == Decimal(40)


def test_it_ignores_read_only_fields(org, api):
    response = api(org.lead).patch(
        f"/api/v1/key-results/{org.key_result.pk}/", {"current_value": "39", "confidence": 9, "progress": 1}
    )
    assert response.status_code == 200
    org.key_result.refresh_from_db()
    assert org.key_result.current_value == Decimal(10)
    assert org.key_result.confidence is None


# --- Objectives, initiatives, memberships, cycles, teams ---------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"team": 999999}, "team"),
        ({"team": "kurs"}, "team"),
        ({"cycle": None}, "cycle"),
        ({"status": "live"}, "status"),
        ({"status": "published"}, "status"),  # the cycle is active: published objectives are active in it
        ({"title": ""}, "title"),
        ({"parent": 999999}, "parent"),
    ],
)
def test_it_rejects_bad_objectives(org, api, overrides, field):
    data = {"team": org.team.pk, "cycle": org.cycle.pk, "title": "Mål", **overrides}
    response = api(org.lead).post("/api/v1/objectives/", data)
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_it_rejects_an_objective_in_a_closed_cycle(org, api):
    closed = CycleFactory(name="Q3 closed", status=Cycle.Status.CLOSED)
    response = api(org.lead).post(
        "/api/v1/objectives/", {"team": org.team.pk, "cycle": closed.pk, "title": "Mål"}
    )
    assert response.status_code == 409
    assert "detail" in response.json()


def test_it_rejects_a_parent_from_a_cycle_that_does_not_overlap(org, api):
    start = org.cycle.end_date + dt.timedelta(days=1)
    other_cycle = CycleFactory(name="Q4", start_date=start, end_date=start + dt.timedelta(days=90))
    response = api(org.lead).post(
        "/api/v1/objectives/",
        {"team": org.team.pk, "cycle": other_cycle.pk, "title": "Mål", "parent": org.objective.pk},
    )
    assert response.status_code == 400
    assert "parent" in response.json()


def test_it_rejects_an_initiative_with_a_key_result_of_another_objective(org, api):
    response = api(org.lead).post(
        "/api/v1/initiatives/",
        {"objective": org.objective.pk, "key_result": org.other_key_result.pk, "title": "Tiltak"},
    )
    assert response.status_code == 400
    assert "key_result" in response.json()


@pytest.mark.parametrize(("due_date", "status"), [("31.12.2026", "planned"), ("2026-12-31", "parked")])
def test_it_rejects_bad_initiatives(org, api, due_date, status):
    response = api(org.lead).post(
        "/api/v1/initiatives/",
        {"objective": org.objective.pk, "title": "Tiltak", "due_date": due_date, "status": status},
    )
    assert response.status_code == 400


def test_it_rejects_a_duplicate_membership(org, api):
    response = api(org.lead).post("/api/v1/memberships/", {"team": org.team.pk, "user": org.member.pk})
    assert response.status_code == 400
    assert Membership.objects.filter(user=org.member).count() == 1


def test_it_rejects_a_cycle_ending_before_it_starts(org, api):
    data = {"name": "Baklengs", "start_date": "2027-06-30", "end_date": "2027-04-01"}
    response = api(org.staff).post("/api/v1/cycles/", data)
    assert response.status_code == 400
    assert "end_date" in response.json()


def test_it_refuses_to_delete_a_cycle_in_use(org, api):
    response = api(org.staff).delete(f"/api/v1/cycles/{org.cycle.pk}/")
    assert response.status_code == 400
    assert Cycle.objects.filter(pk=org.cycle.pk).exists()


def test_it_refuses_to_place_a_team_below_itself(org, api):
    response = api(org.staff).patch(f"/api/v1/teams/{org.section.pk}/", {"parent": org.team.pk})
    assert response.status_code == 400
    assert "parent" in response.json()


def test_it_refuses_to_delete_a_team_with_teams_below(org, api):
    response = api(org.staff).delete(f"/api/v1/teams/{org.section.pk}/")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    ["team=kurs", "cycle=999999", "owner=x", "status=done", "ordering=password"],
)
def test_it_rejects_bad_filters(org, api, query):
    response = api(org.member).get(f"/api/v1/objectives/?{query}")
    # An unknown ordering field is ignored (DRF); every other bad filter is a 400.
    assert response.status_code == (200 if query.startswith("ordering") else 400)


@pytest.mark.parametrize("query", ["created_after=i%20går", "created_before=2026-13-01", "key_result=x"])
def test_it_rejects_bad_checkin_filters(org, api, query):
    assert api(org.member).get(f"/api/v1/checkins/?{query}").status_code == 400


def test_it_answers_404_for_a_page_beyond_the_last(org, api):
    assert api(org.member).get("/api/v1/objectives/?page=99").status_code == 404


@pytest.mark.parametrize(
    "path", ["objectives/abc/", "objectives/99999999999999999999999/", "key-results/-1/"]
)
def test_it_answers_404_for_odd_ids(org, api, path):
    assert api(org.member).get(f"/api/v1/{path}").status_code == 404
