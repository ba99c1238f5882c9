"""The API follows the Organisation and Cycles pages' rules: organisation admins manage cycles and the whole
team tree, leads the teams inside their subtree; closing a cycle is POST /api/v1/cycles/<id>/close/."""

from __future__ import annotations

import datetime as dt

import pytest

from objectives.models import Cycle, Objective
from teams.models import Team
from tests.conftest import PERSONAS
from tests.factories import (
    CycleFactory,
    KeyResultFactory,
    ObjectiveFactory,
)


def matrix(**expected):
    assert set(expected) == set(PERSONAS)
    return pytest.mark.parametrize(("who", "status"), list(expected.items()))


@matrix(anonymous=401, member=403, lead=403, elsewhere=403, ambassador=403, org_admin=200, staff=200)
def test_only_org_admins_close_a_cycle(org, api, people, who, status):
    KeyResultFactory(objective=org.objective)
    response = api(people[who]).post(f"/api/v1/cycles/{org.cycle.pk}/close/")
    assert response.status_code == status
    org.cycle.refresh_from_db()
    assert org.cycle.is_closed == (status == 200)
    if status == 200:
        assert response.json()["status"] == "closed"
        org.objective.refresh_from_db()
        assert org.objective.status == Objective.Status.ARCHIVED
        assert all(kr.final_score is not None for kr in org.objective.key_results.all())


def test_closing_a_closed_cycle_is_a_conflict(org, api, people):
    client = api(people["org_admin"])
    assert client.post(f"/api/v1/cycles/{org.cycle.pk}/close/").status_code == 200
    response = client.post(f"/api/v1/cycles/{org.cycle.pk}/close/")
    assert response.status_code == 409
    assert response.json()["detail"]


@matrix(anonymous=401, member=403, lead=403, elsewhere=403, ambassador=403, org_admin=201, staff=201)
def test_only_org_admins_create_cycles(api, people, who, status):
    data = {"name": "Q2 2047", "start_date": "2047-04-01", "end_date": "2047-06-30"}
    assert api(people[who]).post("/api/v1/cycles/", data).status_code == status


def test_patching_the_status_runs_the_lifecycle(org, api, people):
    cycle = CycleFactory(
        name="T1 2046",
        start_date=dt.date(2046, 1, 1),
        end_date=dt.date(2046, 4, 30),
        status=Cycle.Status.PLANNING,
    )
    published = ObjectiveFactory(team=org.team, cycle=cycle, status=Objective.Status.PUBLISHED)
    client = api(people["org_admin"])
    assert client.patch(f"/api/v1/cycles/{cycle.pk}/", {"status": "active"}).status_code == 200
    published.refresh_from_db()
    assert published.status == Objective.Status.ACTIVE
    response = client.patch(f"/api/v1/cycles/{cycle.pk}/", {"status": "upcoming"})
    assert response.status_code == 400 and "status" in response.json()


def test_overlapping_cycles_are_refused(org, api, people):
    client = api(people["org_admin"])
    data = {"name": "Q3 2047", "start_date": "2047-07-01", "end_date": "2047-09-30"}
    assert client.post("/api/v1/cycles/", data).status_code == 201
    data = {"name": "Q4 2047", "start_date": "2047-09-01", "end_date": "2047-12-31"}
    response = client.post("/api/v1/cycles/", data)
    assert response.status_code == 400
    assert not Cycle.objects.filter(name="Q4 2047").exists()


def test_published_objectives_follow_the_cycle(org, api, people):
    cycle = CycleFactory(
        name="T2 2046",
        start_date=dt.date(2046, 5, 1),
        end_date=dt.date(2046, 8, 31),
        status=Cycle.Status.PLANNING,
    )
    client = api(org.lead)
    base = {"team": org.team.pk, "cycle": cycle.pk, "title": "Mål"}
    assert client.post("/api/v1/objectives/", {**base, "status": "active"}).status_code == 400
    assert client.post("/api/v1/objectives/", {**base, "status": "published"}).status_code == 201
    # Published objectives do not count as active work: not in the active filter.
    listed = client.get("/api/v1/objectives/", {"cycle": cycle.pk, "status": "active"}).json()
    assert listed["count"] == 0


@matrix(anonymous=401, member=403, lead=201, elsewhere=403, ambassador=403, org_admin=201, staff=201)
def test_leads_create_sub_teams_in_their_subtree(org, api, people, who, status):
    response = api(people[who]).post("/api/v1/teams/", {"name": "Kurs Øst", "parent": org.team.pk})
    assert response.status_code == status
    if status == 201:
        assert response.json()["slug"] == "kurs-ost"
        assert response.json()["archived_at"] is None


@matrix(anonymous=401, member=403, lead=403, elsewhere=403, ambassador=403, org_admin=201, staff=201)
def test_only_org_admins_create_top_level_teams(api, people, who, status):
    assert api(people[who]).post("/api/v1/teams/", {"name": "Region Nord"}).status_code == status


@matrix(anonymous=401, member=403, lead=403, elsewhere=403, ambassador=403, org_admin=200, staff=200)
def test_moving_needs_the_subtree_and_the_destination(org, api, people, who, status):
    response = api(people[who]).patch(f"/api/v1/teams/{org.team.pk}/", {"parent": None})
    assert response.status_code == status
    org.team.refresh_from_db()
    assert (org.team.parent is None) == (status == 200)


@matrix(anonymous=401, member=403, lead=403, elsewhere=403, ambassador=403, org_admin=400, staff=400)
def test_only_org_admins_delete_teams(org, api, people, who, status):
    # The section has teams below it, so even an admin's delete is refused (400) and nothing changes.
    assert api(people[who]).delete(f"/api/v1/teams/{org.section.pk}/").status_code == status
    assert Team.objects.filter(pk=org.section.pk).exists()


def test_a_loop_through_the_api_has_the_clear_message(org, api, people):
    response = api(people["org_admin"]).patch(f"/api/v1/teams/{org.section.pk}/", {"parent": org.team.pk})
    assert response.status_code == 400
    assert "parent" in response.json()
