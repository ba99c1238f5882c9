"""GET /api/v1/meetings/?team=<id>: minutes, decisions and actions (linked to their initiatives), with the
meetings' permission rule, a bounded number of queries and a warning-free schema."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from meetings import services
from objectives.models import Objective
from tests.factories import KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def _api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def meetings(org):
    ended = services.meeting_start(
        team=org.team, user=org.member, now=timezone.now() - timezone.timedelta(days=7)
    )
    services.meeting_decision_add(meeting=ended, author=org.member, body="Vi satser på Bergen")
    action = services.meeting_action_add(
        meeting=ended,
        key_result=org.key_result,
        title="Ring hotellet",
        owner=org.teammate,
        due_date=timezone.localdate(),
    )
    services.meeting_end(meeting=ended, user=org.member)
    open_ = services.meeting_start(team=org.team, user=org.member)
    services.meeting_decision_add(meeting=open_, author=org.member, body="Ikke ferdig ennå")
    return ended, open_, action


def test_it_lists_a_teams_minutes_decisions_and_actions(org, meetings):
    ended, open_, action = meetings
    response = _api(org.member).get("/api/v1/meetings/", {"team": org.team.pk})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [open_.pk, ended.pk]  # newest first
    row = rows[1]
    assert row["decisions"][0]["body"] == "Vi satser på Bergen"
    assert row["minutes"]["decisions"][0]["body"] == "Vi satser på Bergen"
    (listed,) = row["actions"]
    assert listed["initiative"] == action.initiative_id
    assert listed["initiative_url"].endswith(f"/api/v1/initiatives/{action.initiative_id}/")
    assert (listed["owner"], listed["key_result"], listed["status"]) == (
        org.teammate.pk,
        org.key_result.pk,
        "planned",
    )
    assert _api(org.member).get(listed["initiative_url"]).status_code == 200


@pytest.mark.parametrize(
    ("who", "sees_open"),
    [("member", True), ("lead", True), ("section_leader", True), ("outsider", False), ("ambassador", False)],
)
def test_others_read_only_ended_meetings(org, meetings, who, sees_open):
    ended, open_, _ = meetings
    response = _api(getattr(org, who)).get("/api/v1/meetings/", {"team": org.team.pk})
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == ({ended.pk, open_.pk} if sees_open else {ended.pk})
    detail = _api(getattr(org, who)).get(f"/api/v1/meetings/{open_.pk}/")
    assert detail.status_code == (200 if sees_open else 404)


def test_the_minutes_never_hold_drafts(org, meetings):
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT)
    KeyResultFactory(objective=draft, title="Hemmelig")
    ended = services.meeting_start(
        team=org.team, user=org.member, now=timezone.now() + timezone.timedelta(days=7)
    )
    services.meeting_end(meeting=ended, user=org.member)
    response = _api(org.outsider).get(f"/api/v1/meetings/{ended.pk}/")
    assert response.status_code == 200 and "Hemmelig" not in response.content.decode()


def test_anonymous_clients_are_refused(org, meetings):
    assert APIClient().get("/api/v1/meetings/").status_code in (401, 403)


@pytest.mark.parametrize("team", ["abc", "99999999", "<b>1</b>", "1" * 40])
def test_a_bad_team_filter_is_a_400(org, meetings, team):
    response = _api(org.member).get("/api/v1/meetings/", {"team": team})
    assert response.status_code == 400


def test_it_is_read_only(org, meetings):
    ended, _, _ = meetings
    assert _api(org.member).post("/api/v1/meetings/", {"team": org.team.pk}).status_code == 405
    assert _api(org.member).delete(f"/api/v1/meetings/{ended.pk}/").status_code == 405


@pytest.mark.parametrize("extra", [1, 8])
def test_the_list_runs_the_same_queries_at_two_sizes(org, django_assert_num_queries, extra):
    for n in range(extra):
        meeting = services.meeting_start(
            team=org.team, user=org.member, now=timezone.now() - timezone.timedelta(days=7 * (n + 1))
        )
        services.meeting_decision_add(meeting=meeting, author=org.member, body=f"B{n}")
        services.meeting_action_add(
            meeting=meeting,
            key_result=org.key_result,
            title=f"A{n}",
            owner=org.member,
            due_date=timezone.localdate(),
        )
        services.meeting_end(meeting=meeting, user=org.member)
    client = _api(org.member)
    # token + user, memberships, profile flags, the team of the filter, page count, page, decisions, notes,
    # actions with their initiatives
    with django_assert_num_queries(9):
        response = client.get("/api/v1/meetings/", {"team": org.team.pk})
    assert len(response.json()["results"]) == extra


def test_the_schema_documents_it_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/meetings/" in text and "initiative_url" in text
