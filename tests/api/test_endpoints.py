"""What the endpoints do: check-ins move key results like the web form, computed progress, filters, pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from checkins.models import CheckIn
from objectives import progress as rules
from objectives.models import KeyResult, Objective
from teams.models import Membership
from tests.factories import (
    CheckInFactory,
    CycleFactory,
    InitiativeFactory,
    KeyResultFactory,
    ObjectiveFactory,
    TeamFactory,
)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


# --- Check-ins ---------------------------------------------------------------------------------------------


def test_it_moves_the_key_result_like_the_web_form(org, api):
    response = api(org.member).post(
        "/api/v1/checkins/",
        {"key_result": org.key_result.pk, "value": "25", "confidence": 4, "note": " Bra uke "},
    )
    assert response.status_code == 201
    body = response.json()
    checkin = CheckIn.objects.get()
    assert body["id"] == checkin.pk
    assert body["author"] == org.member.pk
    assert body["note"] == "Bra uke"
    org.key_result.refresh_from_db()
    assert org.key_result.current_value == Decimal(25)
    assert org.key_result.confidence == 4
    assert org.key_result.last_checkin_at == checkin.created_at

    kr = api(org.member).get(f"/api/v1/key-results/{org.key_result.pk}/").json()
    assert kr["current_value"] == "25.0000"
    assert kr["confidence"] == 4
    assert kr["progress"] == pytest.approx(0.5)


def test_it_ignores_an_author_sent_by_the_client(org, api):
    data = {"key_result": org.key_result.pk, "value": "25", "confidence": 7, "author": org.lead.pk}
    assert api(org.member).post("/api/v1/checkins/", data).json()["author"] == org.member.pk


def test_a_checkin_through_the_api_says_so_whatever_the_client_claims(org, api):
    data = {"key_result": org.key_result.pk, "value": "25", "confidence": 7, "source": "email"}
    created = api(org.member).post("/api/v1/checkins/", data).json()
    assert created["source"] == "api"


def test_it_recomputes_the_key_result_when_a_checkin_changes_or_goes(org, api):
    client = api(org.member)
    first = client.post("/api/v1/checkins/", {"key_result": org.key_result.pk, "value": 20, "confidence": 7})
    second = client.post("/api/v1/checkins/", {"key_result": org.key_result.pk, "value": 30, "confidence": 8})
    assert client.patch(f"/api/v1/checkins/{second.json()['id']}/", {"value": "35"}).status_code == 200
    org.key_result.refresh_from_db()
    assert (org.key_result.current_value, org.key_result.confidence) == (Decimal(35), 8)

    assert client.delete(f"/api/v1/checkins/{second.json()['id']}/").status_code == 204
    org.key_result.refresh_from_db()
    assert (org.key_result.current_value, org.key_result.confidence) == (Decimal(20), 7)

    assert client.delete(f"/api/v1/checkins/{first.json()['id']}/").status_code == 204
    org.key_result.refresh_from_db()
    assert (org.key_result.current_value, org.key_result.confidence) == (Decimal(10), None)


def test_it_filters_checkins_by_key_result_and_date(org, api):
    now = timezone.now()
    old = CheckInFactory(key_result=org.key_result, author=org.member, created_at=now - dt.timedelta(days=20))
    recent = CheckInFactory(
        key_result=org.key_result, author=org.member, created_at=now - dt.timedelta(days=2)
    )
    other = CheckInFactory(key_result=org.other_key_result, author=org.outsider, created_at=now)
    client = api(org.member)
    assert ids(client.get(f"/api/v1/checkins/?key_result={org.key_result.pk}")) == [recent.pk, old.pk]
    since = timezone.localdate(now - dt.timedelta(days=5)).isoformat()
    assert ids(client.get(f"/api/v1/checkins/?created_after={since}")) == [other.pk, recent.pk]
    until = timezone.localdate(now - dt.timedelta(days=10)).isoformat()
    assert ids(client.get(f"/api/v1/checkins/?created_before={until}")) == [old.pk]
    both = f"created_after={timezone.localdate(old.created_at).isoformat()}&created_before={until}"
    assert ids(client.get(f"/api/v1/checkins/?{both}&key_result={org.key_result.pk}")) == [old.pk]
    assert ids(client.get("/api/v1/checkins/?ordering=created_at")) == [old.pk, recent.pk, other.pk]


# --- Computed values ---------------------------------------------------------------------------------------


def test_it_computes_progress_expected_progress_and_health_with_the_progress_module(org, api):
    CheckInFactory(key_result=org.key_result, author=org.member, value=16, confidence=5)
    org.key_result.refresh_from_db()
    body = api(org.member).get(f"/api/v1/key-results/{org.key_result.pk}/").json()
    expected = org.cycle.expected_progress(timezone.localdate())
    assert body["progress"] == pytest.approx(0.2)
    assert body["expected_progress"] == pytest.approx(expected)
    assert body["health"] == rules.health(progress=0.2, expected=expected, confidence=5)


def test_it_weights_objective_progress_and_leaves_out_retired_key_results(org, api):
    heavy = KeyResultFactory(objective=org.objective, start_value=0, target_value=10, weight=3)
    retired = KeyResultFactory(objective=org.objective, start_value=0, target_value=10)
    CheckInFactory(key_result=heavy, author=org.member, value=10)  # 100 %, weight 3
    CheckInFactory(key_result=retired, author=org.member, value=10)
    KeyResult.objects.filter(pk=retired.pk).update(retired_at=timezone.now())
    body = api(org.member).get(f"/api/v1/objectives/{org.objective.pk}/").json()
    # (0 × 1 + 1 × 3) / 4: the first key result has no progress yet.
    assert body["progress"] == pytest.approx(0.75)
    listed = api(org.member).get(f"/api/v1/objectives/?team={org.team.pk}").json()["results"]
    assert listed[0]["progress"] == pytest.approx(0.75)


def test_it_moves_the_current_value_with_the_start_before_any_checkin(org, api):
    response = api(org.lead).patch(
        f"/api/v1/key-results/{org.key_result.pk}/", {"start_value": "12", "reason": "Feil startverdi"}
    )
    assert response.status_code == 200
    assert response.json()["current_value"] == "12.0000"


def test_it_creates_a_key_result_starting_at_its_start_value(org, api):
    data = {
        "objective": org.objective.pk,
        "title": "Ny",
        "kind": "decrease_to",
        "start_value": 9,
        "target_value": 3,
    }
    body = api(org.lead).post("/api/v1/key-results/", data).json()
    assert body["current_value"] == "9.0000"
    assert body["progress"] == 0.0
    assert body["confidence"] is None


# --- Filters, ordering, pages ------------------------------------------------------------------------------


@pytest.fixture
def spread(org):
    """A sub-team below Kurs, a second cycle, a draft and an archived objective."""
    subteam = TeamFactory(name="Kurs Nord", slug="kurs-nord", parent=org.team)
    next_cycle = CycleFactory(name="Q2 test", start_date=org.cycle.end_date, status="planning")
    return {
        "subteam": ObjectiveFactory(team=subteam, cycle=org.cycle, title="Nord", owner=org.member),
        "next": ObjectiveFactory(team=org.team, cycle=next_cycle, title="Neste"),
        "draft": ObjectiveFactory(
            team=org.team, cycle=org.cycle, title="Utkast", status=Objective.Status.DRAFT
        ),
        "archived": ObjectiveFactory(
            team=org.other_team, cycle=org.cycle, title="Arkiv", status=Objective.Status.ARCHIVED
        ),
        "next_cycle": next_cycle,
        "subteam_team": subteam,
    }


def test_it_filters_objectives(org, api, spread):
    client = api(org.member)
    team = f"team={org.team.pk}"
    assert set(ids(client.get(f"/api/v1/objectives/?{team}"))) == {
        org.objective.pk,
        spread["next"].pk,
        spread["draft"].pk,
    }
    assert set(ids(client.get(f"/api/v1/objectives/?{team}&include_subteams=true"))) == {
        org.objective.pk,
        spread["next"].pk,
        spread["draft"].pk,
        spread["subteam"].pk,
    }
    assert set(ids(client.get(f"/api/v1/objectives/?team={org.section.pk}&include_subteams=true"))) == set(
        Objective.objects.values_list("id", flat=True)
    )
    assert ids(client.get(f"/api/v1/objectives/?cycle={spread['next_cycle'].pk}")) == [spread["next"].pk]
    assert ids(client.get(f"/api/v1/objectives/?owner={org.member.pk}")) == [spread["subteam"].pk]
    assert ids(client.get("/api/v1/objectives/?status=draft")) == [spread["draft"].pk]
    assert ids(client.get("/api/v1/objectives/?status=archived")) == [spread["archived"].pk]


def test_it_keeps_other_teams_drafts_out_of_filtered_lists(org, api, spread):
    assert ids(api(org.outsider).get("/api/v1/objectives/?status=draft")) == []


def test_it_filters_key_results(org, api, spread):
    subteam_kr = KeyResultFactory(objective=spread["subteam"], owner=org.lead)
    next_kr = KeyResultFactory(objective=spread["next"])
    draft_kr = KeyResultFactory(objective=spread["draft"])
    client = api(org.member)
    assert set(ids(client.get(f"/api/v1/key-results/?team={org.team.pk}"))) == {
        org.key_result.pk,
        next_kr.pk,
        draft_kr.pk,
    }
    assert subteam_kr.pk in ids(client.get(f"/api/v1/key-results/?team={org.team.pk}&include_subteams=1"))
    assert ids(client.get(f"/api/v1/key-results/?cycle={spread['next_cycle'].pk}")) == [next_kr.pk]
    assert ids(client.get(f"/api/v1/key-results/?owner={org.lead.pk}")) == [subteam_kr.pk]
    assert ids(client.get("/api/v1/key-results/?status=draft")) == [draft_kr.pk]
    assert ids(api(org.outsider).get("/api/v1/key-results/?status=draft")) == []


def test_it_filters_initiatives(org, api):
    mine = InitiativeFactory(objective=org.objective, owner=org.member, status="in_progress")
    InitiativeFactory(objective=org.other_objective, owner=org.outsider)
    client = api(org.member)
    assert ids(client.get(f"/api/v1/initiatives/?owner={org.member.pk}")) == [mine.pk]
    assert ids(client.get("/api/v1/initiatives/?status=in_progress")) == [mine.pk]
    assert ids(client.get(f"/api/v1/initiatives/?team={org.team.pk}")) == [mine.pk]


def test_it_orders_lists(org, api, spread):
    titles = [
        o["title"] for o in api(org.member).get("/api/v1/objectives/?ordering=-title").json()["results"]
    ]
    assert titles == sorted(titles, reverse=True)
    names = [t["name"] for t in api(org.member).get("/api/v1/teams/?ordering=-name").json()["results"]]
    assert names == sorted(names, reverse=True)


def test_it_pages_every_list(org, api, spread):
    client = api(org.member)
    first = client.get("/api/v1/objectives/?page_size=2").json()
    assert first["count"] == 6
    assert len(first["results"]) == 2
    assert "page=2" in first["next"]
    second = client.get(first["next"]).json()
    assert not {o["id"] for o in first["results"]} & {o["id"] for o in second["results"]}


def test_it_caps_the_page_size(org, api):
    CheckIn.objects.bulk_create(
        CheckIn(key_result=org.key_result, author=org.member, value=n, confidence=5) for n in range(205)
    )
    response = api(org.member).get("/api/v1/checkins/?page_size=100000")
    assert response.status_code == 200
    assert response.json()["count"] == 205
    assert len(response.json()["results"]) == 200
    assert len(api(org.member).get("/api/v1/checkins/").json()["results"]) == 50


def test_it_lists_memberships_by_team(org, api):
    body = api(org.outsider).get(f"/api/v1/memberships/?team={org.team.pk}").json()
    assert {(m["user"], m["role"]) for m in body["results"]} == {
        (org.member.pk, "member"),
        (org.teammate.pk, "member"),
        (org.lead.pk, "lead"),
    }


def test_it_lets_a_lead_promote_a_member(org, api):
    membership = Membership.objects.get(user=org.member, team=org.team)
    response = api(org.lead).patch(f"/api/v1/memberships/{membership.pk}/", {"role": "lead"})
    assert response.status_code == 200
    assert response.json() == {
        "id": membership.pk,
        "team": org.team.pk,
        "user": org.member.pk,
        "role": "lead",
    }
    membership.refresh_from_db()
    assert membership.role == Membership.Role.LEAD


def test_it_lets_a_lead_publish_a_draft(org, api):
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT)
    response = api(org.lead).patch(f"/api/v1/objectives/{draft.pk}/", {"status": "active"})
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Objective.Status.ACTIVE


def test_it_lets_ambassadors_but_not_members_create_published_objectives(org, api):
    data = {"team": org.team.pk, "cycle": org.cycle.pk, "title": "Direkte aktivt", "status": "active"}
    assert api(org.member).post("/api/v1/objectives/", data).status_code == 403
    assert api(org.ambassador).post("/api/v1/objectives/", data).status_code == 201
