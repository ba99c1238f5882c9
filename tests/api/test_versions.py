"""Edits that never lose a change: every object response carries an ETag (its row version), PUT/PATCH/DELETE
honour If-Match (412 when stale, nothing changes), and a PATCH without it writes only the fields it sent,
under a row lock, so two PATCHes of different fields both survive (the race runs on PostgreSQL)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from checkins.models import CheckIn
from objectives.models import KeyResult, Objective
from tests.factories import CheckInFactory, InitiativeFactory, KeyResultFactory, ObjectiveFactory

ROUNDS = 10


def kr_url(key_result) -> str:
    return f"/api/v1/key-results/{key_result.pk}/"


@pytest.mark.django_db
class TestETag:
    def test_every_object_response_carries_its_version(self, org, api):
        initiative = InitiativeFactory(objective=org.objective)
        checkin = CheckInFactory(key_result=org.key_result, author=org.member)
        client = api(org.lead)
        for url, obj in [
            (kr_url(org.key_result), KeyResult.objects.get(pk=org.key_result.pk)),
            (f"/api/v1/objectives/{org.objective.pk}/", org.objective),
            (f"/api/v1/initiatives/{initiative.pk}/", initiative),
            (f"/api/v1/checkins/{checkin.pk}/", checkin),
            (f"/api/v1/teams/{org.team.pk}/", org.team),
            (f"/api/v1/cycles/{org.cycle.pk}/", org.cycle),
        ]:
            response = client.get(url)
            assert response.status_code == 200
            assert response["ETag"] == f'"{obj.version}"', url

    def test_a_list_has_no_etag(self, org, api):
        assert "ETag" not in api(org.lead).get("/api/v1/key-results/")

    def test_a_change_answers_with_the_new_version(self, org, api):
        client = api(org.lead)
        before = client.get(kr_url(org.key_result))["ETag"]
        response = client.patch(kr_url(org.key_result), {"weight": "2"}, HTTP_IF_MATCH=before)
        assert response.status_code == 200
        assert response["ETag"] != before
        assert client.get(kr_url(org.key_result))["ETag"] == response["ETag"]

    def test_a_created_object_carries_its_version(self, org, api):
        response = api(org.lead).post(
            "/api/v1/initiatives/", {"objective": org.objective.pk, "title": "Nytt tiltak"}
        )
        assert response.status_code == 201
        assert response["ETag"] == '"1"'

    def test_a_check_in_moves_the_key_result_s_version(self, org, api):
        client = api(org.lead)
        before = client.get(kr_url(org.key_result))["ETag"]
        CheckInFactory(key_result=org.key_result, author=org.member)
        assert client.get(kr_url(org.key_result))["ETag"] != before


@pytest.mark.django_db
class TestIfMatch:
    def test_a_stale_version_is_refused_and_nothing_changes(self, org, api):
        client = api(org.lead)
        stale = client.get(kr_url(org.key_result))["ETag"]
        response = client.patch(kr_url(org.key_result), {"title": "A", "reason": "x"}, HTTP_IF_MATCH=stale)
        assert response.status_code == 200
        response = client.patch(
            kr_url(org.key_result), {"target_value": "99", "reason": "x"}, HTTP_IF_MATCH=stale
        )
        assert response.status_code == 412
        assert "detail" in response.json()
        assert response["ETag"] == client.get(kr_url(org.key_result))["ETag"]
        key_result = KeyResult.objects.get(pk=org.key_result.pk)
        assert (key_result.title, key_result.target_value) == ("A", Decimal(40))

    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_put_patch_and_delete_honour_it(self, org, api, method):
        objective = ObjectiveFactory(team=org.team, cycle=org.cycle, title="Mål")
        url = f"/api/v1/objectives/{objective.pk}/"
        data = {"team": org.team.pk, "cycle": org.cycle.pk, "title": "Nytt", "status": "active"}
        response = getattr(api(org.lead), method)(
            url, data if method != "delete" else None, HTTP_IF_MATCH='"0"'
        )
        assert response.status_code == 412
        assert Objective.objects.get(pk=objective.pk).title == "Mål"
        current = f'"{Objective.objects.get(pk=objective.pk).version}"'
        response = getattr(api(org.lead), method)(
            url, data if method != "delete" else None, HTTP_IF_MATCH=current
        )
        assert response.status_code in (200, 204)

    @pytest.mark.parametrize("header", ["*", '"0", "{version}"'])
    def test_any_and_lists_of_tags(self, org, api, header):
        version = KeyResult.objects.get(pk=org.key_result.pk).version
        response = api(org.lead).patch(
            kr_url(org.key_result), {"weight": "2"}, HTTP_IF_MATCH=header.format(version=version)
        )
        assert response.status_code == 200

    def test_a_weak_tag_never_matches(self, org, api):
        version = KeyResult.objects.get(pk=org.key_result.pk).version
        response = api(org.lead).patch(
            kr_url(org.key_result), {"weight": "2"}, HTTP_IF_MATCH=f'W/"{version}"'
        )
        assert response.status_code == 412

    def test_permission_and_state_come_first(self, org, api):
        """Another team's lead gets 403, not a hint about versions; a locked object 409."""
        response = api(org.lead).patch(
            f"/api/v1/objectives/{org.other_objective.pk}/", {"title": "x"}, HTTP_IF_MATCH='"0"'
        )
        assert response.status_code == 403
        Objective.objects.filter(pk=org.objective.pk).update(status=Objective.Status.ARCHIVED)
        response = api(org.lead).patch(
            f"/api/v1/objectives/{org.objective.pk}/", {"title": "x"}, HTTP_IF_MATCH='"0"'
        )
        assert response.status_code == 409


@pytest.mark.django_db
def test_a_patch_writes_only_the_fields_it_sent(org, api):
    client = api(org.lead)
    with CaptureQueriesContext(connection) as queries:
        response = client.patch(kr_url(org.key_result), {"weight": "2"})
    assert response.status_code == 200
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "objectives_keyresult"')]
    assert len(updates) == 1
    assert '"weight"' in updates[0] and '"version"' in updates[0]
    assert '"title"' not in updates[0] and '"target_value"' not in updates[0]


@pytest.mark.django_db
def test_the_schema_documents_etag_if_match_409_and_412(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    item = schema["paths"]["/api/v1/key-results/{id}/"]
    for method in ("put", "patch", "delete"):
        assert "If-Match" in {p["name"] for p in item[method]["parameters"] if p["in"] == "header"}
        assert {"409", "412"} <= set(item[method]["responses"])
    for method in ("get", "put", "patch"):
        assert "ETag" in item[method]["responses"]["200"]["headers"]
    assert "409" in schema["paths"]["/api/v1/checkins/"]["post"]["responses"]
    assert "ETag" in schema["paths"]["/api/v1/checkins/"]["post"]["responses"]["201"]["headers"]
    # Teams are never read-only, so no 409 there; they still carry versions.
    team = schema["paths"]["/api/v1/teams/{id}/"]
    assert "409" not in team["patch"]["responses"] and "412" in team["patch"]["responses"]


# --- Two real requests at the same moment (PostgreSQL row locks) -------------------------------------------


@pytest.fixture
def require_postgresql(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite serialises every writer, so there is no race to test")


def _client(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _race(requests: list[tuple[APIClient, str, dict, dict]]) -> list:
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def send(index, client, url, data, headers) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = client.patch(url, data, format="json", **headers)
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_leads_patching_different_fields_both_keep_their_change(require_postgresql, org):
    lead_a, lead_b = _client(org.lead), _client(org.section_leader)
    for round_number in range(ROUNDS):
        key_result = KeyResultFactory(objective=org.objective, title="Start", target_value=Decimal(40))
        url = kr_url(key_result)
        title = f"Øke antall kurs, runde {round_number}"
        responses = _race(
            [
                (lead_a, url, {"title": title, "reason": "Klarere"}, {}),
                (lead_b, url, {"target_value": "50", "reason": "Mer ambisiøst"}, {}),
            ]
        )
        assert [getattr(r, "status_code", r) for r in responses] == [200, 200]
        key_result.refresh_from_db()
        assert (key_result.title, key_result.target_value) == (title, Decimal(50))
        assert key_result.version == 3


def test_two_leads_with_the_same_if_match_one_wins_one_gets_412(require_postgresql, org):
    lead_a, lead_b = _client(org.lead), _client(org.section_leader)
    for _round in range(ROUNDS):
        key_result = KeyResultFactory(objective=org.objective, title="Start", target_value=Decimal(40))
        url = kr_url(key_result)
        tag = {"HTTP_IF_MATCH": f'"{key_result.version}"'}
        responses = _race(
            [
                (lead_a, url, {"title": "Ny tittel", "reason": "x"}, tag),
                (lead_b, url, {"target_value": "50", "reason": "y"}, tag),
            ]
        )
        assert sorted(getattr(r, "status_code", r) for r in responses) == [200, 412]
        key_result.refresh_from_db()
        winner = responses[0] if responses[0].status_code == 200 else responses[1]
        assert winner["ETag"] == f'"{key_result.version}"'
        assert (key_result.title == "Ny tittel") != (key_result.target_value == Decimal(50))


def test_two_check_in_edits_of_different_fields_both_survive(require_postgresql, org):
    checkin = CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(20), note="")
    member = _client(org.member)
    responses = _race(
        [
            (member, f"/api/v1/checkins/{checkin.pk}/", {"note": "Oppdatert"}, {}),
            (member, f"/api/v1/checkins/{checkin.pk}/", {"value": "25"}, {}),
        ]
    )
    assert [getattr(r, "status_code", r) for r in responses] == [200, 200]
    checkin = CheckIn.objects.get(pk=checkin.pk)
    assert (checkin.note, checkin.value) == ("Oppdatert", Decimal(25))
