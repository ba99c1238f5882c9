"""The REST API follows the mid-cycle adjustment rule: a published key result changes only with a reason,
and every change lands in its history with who and why."""

from __future__ import annotations

from decimal import Decimal

import pytest

from objectives.models import KeyResult, Objective
from tests.factories import KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def url(key_result) -> str:
    return f"/api/v1/key-results/{key_result.pk}/"


def full_data(key_result, **overrides) -> dict:
    return {
        "objective": key_result.objective_id,
        "title": key_result.title,
        "kind": key_result.kind,
        "unit": key_result.unit,
        "start_value": str(key_result.start_value),
        "target_value": str(key_result.target_value),
        **overrides,
    }


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Øke antall kurs fra 10 til 50"},
        {"kind": "decrease_to", "target_value": "5"},
        {"unit": "kurs"},
        {"start_value": "12"},
        {"target_value": "50"},
    ],
)
def test_it_wants_a_reason_for_changing_a_published_key_result(org, api, change):
    response = api(org.lead).patch(url(org.key_result), change)
    assert response.status_code == 400
    assert "reason" in response.json()
    kr = KeyResult.objects.get(pk=org.key_result.pk)
    assert (kr.title, kr.kind, kr.unit, kr.start_value, kr.target_value) == (
        org.key_result.title,
        org.key_result.kind,
        org.key_result.unit,
        Decimal(10),
        Decimal(40),
    )
    assert kr.history.count() == 1  # only its creation


def test_the_missing_reason_is_explained_in_the_users_language(org, api):
    response = api(org.lead).patch(url(org.key_result), {"target_value": "50"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["reason"] == ["Give a short reason for adjusting a published key result."]


def test_a_blank_reason_is_no_reason(org, api):
    response = api(org.lead).patch(url(org.key_result), {"target_value": "50", "reason": "   "})
    assert response.status_code == 400
    assert "reason" in response.json()


def test_it_keeps_a_change_with_its_reason_and_author_in_history(org, api):
    response = api(org.lead).patch(url(org.key_result), {"target_value": "50", "reason": "Budsjettet økte"})
    assert response.status_code == 200
    assert "reason" not in response.json()  # write-only
    kr = KeyResult.objects.get(pk=org.key_result.pk)
    assert kr.target_value == Decimal(50)
    latest = kr.history.first()
    assert latest.history_change_reason == "Budsjettet økte"
    assert latest.history_user == org.lead
    assert latest.prev_record.target_value == Decimal(40)


def test_a_full_update_needs_a_reason_only_when_a_guarded_field_changes(org, api):
    client = api(org.lead)
    same = client.put(url(org.key_result), full_data(org.key_result, weight="2"))
    assert same.status_code == 200
    changed = client.put(url(org.key_result), full_data(org.key_result, title="Nytt navn"))
    assert changed.status_code == 400
    assert "reason" in changed.json()
    with_reason = client.put(
        url(org.key_result), full_data(org.key_result, title="Nytt navn", reason="Klarere")
    )
    assert with_reason.status_code == 200
    assert KeyResult.objects.get(pk=org.key_result.pk).history.first().history_change_reason == "Klarere"


def test_the_owner_changes_without_a_reason(org, api):
    response = api(org.lead).patch(url(org.key_result), {"owner": org.teammate.pk})
    assert response.status_code == 200
    assert KeyResult.objects.get(pk=org.key_result.pk).owner == org.teammate


def test_a_draft_changes_without_a_reason(org, api):
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT)
    kr = KeyResultFactory(objective=draft)
    response = api(org.lead).patch(url(kr), {"target_value": "50", "title": "Bedre tittel"})
    assert response.status_code == 200
    assert KeyResult.objects.get(pk=kr.pk).target_value == Decimal(50)


def test_creating_needs_no_reason(org, api):
    response = api(org.lead).post(
        "/api/v1/key-results/",
        {
            "objective": org.objective.pk,
            "title": "Øke påmeldinger",
            "kind": "increase_to",
            "start_value": "10",
            "target_value": "40",
        },
    )
    assert response.status_code == 201


def test_it_caps_the_reason(org, api):
    response = api(org.lead).patch(url(org.key_result), {"target_value": "50", "reason": "x" * 301})
    assert response.status_code == 400
    assert "reason" in response.json()
    assert KeyResult.objects.get(pk=org.key_result.pk).target_value == Decimal(40)


def test_another_teams_key_result_stays_out_of_reach(org, api):
    response = api(org.lead).patch(url(org.other_key_result), {"target_value": "50", "reason": "Fordi"})
    assert response.status_code in (403, 404)
    assert KeyResult.objects.get(pk=org.other_key_result.pk).target_value == Decimal(40)


def test_the_schema_documents_the_write_only_reason(org, api):
    schema = api(org.member).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    assert "reason" in components["PatchedKeyResultRequest"]["properties"]
    assert "reason" not in components["KeyResult"]["properties"]


def test_it_reports_the_missing_reason_with_the_other_errors(org, api):
    response = api(org.lead).patch(url(org.key_result), {"target_value": "5"})
    assert response.status_code == 400
    assert {"reason", "target_value"} <= set(response.json())
    assert KeyResult.objects.get(pk=org.key_result.pk).target_value == Decimal(40)
